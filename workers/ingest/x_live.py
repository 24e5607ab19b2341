"""X as a live source: the client the settings describe, and `tickertape ingest --x-stream` — X's
filtered stream into the tweets topic, its rules kept in step with the accounts users follow (read from
Redis every ``TT_X_RULES_SYNC`` seconds)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import httpx
import redis

from workers.errors import XApiError
from workers.ingest.files import InputRecord, RecordMapper
from workers.ingest.producer import IngestCounts, TweetProducer
from workers.ingest.x_client import XClient
from workers.ingest.x_stream import stream_records, sync_rules
from workers.settings import Settings
from workers.store import FeedStore

log = logging.getLogger(__name__)


def client_for(settings: Settings) -> XClient:
    """A client on ``TT_X_API_BASE``; raises ValueError when no bearer token is set."""
    if settings.x_bearer_token is None:
        raise ValueError("set TT_X_BEARER_TOKEN to the X app's bearer token (README: \"Live sources\")")
    return XClient(settings.x_api_base, settings.x_bearer_token.get_secret_value())


def run_stream(
    settings: Settings, client: XClient, producer: TweetProducer, store: FeedStore, stop: threading.Event
) -> IngestCounts:
    """Stream until ``stop`` is set. The first rule sync runs before the stream opens, so a refused token
    or too many accounts for the tier is an error here (XApiError, ValueError), not a log line later."""

    def sync_now() -> None:
        sync_rules(client, store.followed_accounts(), settings.x_rule_max_length, settings.x_rule_max_count)

    def keep_rules() -> None:
        while not stop.wait(settings.x_rules_sync):
            try:
                sync_now()
            except (XApiError, ValueError, httpx.HTTPError, redis.RedisError) as exc:
                log.error("stream rules not synced, trying again in %.0f s: %s", settings.x_rules_sync, exc)

    sync_now()
    syncer = threading.Thread(target=keep_rules, name="x-rules", daemon=True)
    syncer.start()
    heard = store.redis.get(store.keys.x_stream_heard())
    records = stream_records(client, stop, last_line_at=float(heard) if heard else None)
    try:
        return producer.ingest(_noting_when_heard(records, store), RecordMapper())
    finally:
        stop.set()
        syncer.join(timeout=5)


def _noting_when_heard(records: Iterator[InputRecord], store: FeedStore, every_s: float = 5.0) -> Iterator[InputRecord]:
    """``records``, writing to Redis every ``every_s`` when the stream was last heard from."""
    noted = 0.0
    for item in records:
        now = time.time()
        if now - noted >= every_s:
            store.redis.set(store.keys.x_stream_heard(), f"{now:.3f}")
            noted = now
        yield item
