"""Tweets of the accounts users follow, live from X's filtered stream (API v2), as ingest records.

The stream delivers what the project's rules match (:mod:`workers.ingest.x_rules`: ``from:`` clauses for
every followed account, kept in step with the follows by :func:`sync_rules`). Each line is one post with
its author expanded; a line that is not one becomes a record with its reason, which the producer sends to
the dead-letter topic. Keep-alive newlines are skipped and a line cut off by a dropped connection is never
read as a post. Reconnects follow X's documented back-off: network errors linearly from 250 ms to 16 s,
HTTP errors exponentially from 5 s to 320 s, 429 until the rate-limit window resets (else from 60 s). A
reconnect, or a restart that knows when its predecessor last heard from the stream, asks for the minutes
it missed again (``backfill_minutes``, at most 5: X's limit); the posts that repeats are stored once, by
id, downstream.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator

import httpx

from workers.errors import XApiError
from workers.ingest.files import InputRecord
from workers.ingest.x_client import Backoff, XClient, post_record
from workers.ingest.x_rules import RuleChange, sync

log = logging.getLogger(__name__)

SOURCE = "x-stream"
BACKFILL_MAX_MINUTES = 5


def record(line: bytes) -> InputRecord | None:
    """One stream line as an ingest record; None for a keep-alive or a stream-level notice."""
    text = line.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        return InputRecord(SOURCE, text, error=f"not JSON: {exc.msg}")
    if not isinstance(body, dict):
        return InputRecord(SOURCE, text, error="not a stream message")
    if body.get("data") is None:
        # Disconnect notices and the like come as {"errors": [...]}: about the connection, not a post.
        log.warning("stream notice: %s", text[:300])
        return None
    includes = body.get("includes")
    return post_record(body["data"], includes.get("users") if isinstance(includes, dict) else None, text, SOURCE)


def stream_records(
    client: XClient,
    stop: threading.Event,
    sleep: Callable[[float], bool] | None = None,
    last_line_at: float | None = None,
) -> Iterator[InputRecord]:
    """Records from the stream until ``stop`` is set, reconnecting with :class:`Backoff`.

    ``last_line_at``: when a previous run last heard from the stream (unix s), so the first connection
    backfills the gap too. A reconnect asks for one minute more than the gap: lines read in the moments
    before a stop or a drop may not have reached Kafka yet."""
    wait = sleep or stop.wait
    backoff = Backoff()
    while not stop.is_set():
        gap = time.time() - last_line_at if last_line_at else None
        backfill = min(BACKFILL_MAX_MINUTES, math.ceil(gap / 60) + 1) if gap is not None else 0
        try:
            for line in client.lines(backfill):
                backoff.reset()
                last_line_at = time.time()
                if stop.is_set():
                    return
                item = record(line)
                if item is not None:
                    yield item
            delay = backoff.after_network_error()  # the server closed the stream
        except httpx.HTTPStatusError as exc:
            response = exc.response
            if response.status_code in (401, 403):
                raise XApiError(f"the stream refused the bearer token: HTTP {response.status_code} {response.text[:300]}") from None
            if response.status_code == 429:
                reset = response.headers.get("x-rate-limit-reset")
                delay = backoff.after_rate_limit(float(reset) if reset else None, time.time())
            else:
                delay = backoff.after_http_error()
        except httpx.TransportError as exc:
            delay = backoff.after_network_error()
            log.warning("stream connection lost (%s)", type(exc).__name__)
        log.warning("reconnecting to the stream in %.2f s", delay)
        wait(delay)


def sync_rules(client: XClient, accounts: set[str], max_length: int, max_rules: int) -> RuleChange:
    """Bring the stream's rules to ``accounts``; returns what changed."""
    change = sync(client.rules(), accounts, max_length, max_rules)
    if not change.empty:
        client.apply(change)
        log.info("stream rules: %d deleted, %d added", len(change.delete), len(change.add))
    return change
