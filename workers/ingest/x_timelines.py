"""The followed accounts' timelines, polled: ``tickertape ingest --x-timelines``, for X tiers without the
filtered stream.

Each round reads every followed account's posts newer than the last one it sent (``since_id``, per
account, in Redis) and sends them oldest first. An account's ``since_id`` moves only after Kafka has
acknowledged (or the spill file holds) everything before it, so a restart resumes exactly where the
last acknowledged post was: no gap, and nothing sent twice. An account seen for the first time starts
from its newest page. X user ids are looked up once per handle and kept in Redis too.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator

import httpx

from workers.errors import XApiError
from workers.ingest.files import InputRecord, RecordMapper
from workers.ingest.producer import TweetProducer
from workers.ingest.x_client import XClient, post_record
from workers.store import FeedStore

log = logging.getLogger(__name__)

SOURCE = "x-timeline"


class Stopped(Exception):
    """The poller was stopped while it waited for X's rate-limit window."""


class TimelinePoller:
    """Polls ``client`` for the accounts ``store``'s users follow and sends what is new via ``producer``;
    ``stop`` ends a round between accounts, or a wait for the rate limit."""

    def __init__(self, client: XClient, store: FeedStore, producer: TweetProducer, stop: threading.Event) -> None:
        self.client, self.store, self.producer, self.stop = client, store, producer, stop
        self.keys = store.keys

    def wait(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Stopped

    def poll(self) -> int:
        """One round over every followed account; returns how many posts it sent."""
        ids = self._user_ids(sorted(self.store.followed_accounts()))
        sent = 0
        for handle, user_id in sorted(ids.items()):
            if self.stop.is_set():
                break
            since = self.store.redis.hget(self.keys.x_since_id(), handle)
            pages = list(self.client.posts_since(user_id, since.decode() if since else None, self.wait))
            posts = [(post, page.get("includes", {}).get("users")) for page in pages for post in page.get("data", [])]
            if not posts:
                continue
            posts.sort(key=lambda item: _number(item[0]))  # oldest first: the order they were written
            self.producer.ingest(_records(posts), RecordMapper())  # flushed: acknowledged or spilled
            newest = _number(posts[-1][0])
            if newest:
                self.store.redis.hset(self.keys.x_since_id(), handle, str(newest))
            sent += len(posts)
        return sent

    def _user_ids(self, handles: list[str]) -> dict[str, str]:
        """Handle → X user id for ``handles``: from Redis, looking up (and keeping) those not there yet."""
        if not handles:
            return {}
        known = dict(zip(handles, self.store.redis.hmget(self.keys.x_user_ids(), handles)))
        ids = {h: v.decode() for h, v in known.items() if v is not None}
        missing = [h for h in handles if h not in ids]
        if missing:
            found = self.client.user_ids(missing, self.wait)
            if found:
                self.store.redis.hset(self.keys.x_user_ids(), mapping=found)
            for handle in sorted(set(missing) - set(found)):
                log.warning("X has no account @%s: not polled", handle)
            ids.update(found)
        return ids


def _number(post: object) -> int:
    """A post's id as a number (X's ids grow with time); 0 for a post without one (a dead letter)."""
    post_id = post.get("id") if isinstance(post, dict) else None
    return int(post_id) if isinstance(post_id, str) and post_id.isdigit() else 0


def _records(posts: list[tuple[object, object]]) -> Iterator[InputRecord]:
    for post, users in posts:
        yield post_record(post, users, json.dumps(post, ensure_ascii=False), SOURCE)


def run_timelines(poller: TimelinePoller, every_s: float) -> int:
    """Poll every ``every_s`` seconds until the poller's ``stop`` is set; returns how many posts were sent."""
    sent = 0
    try:
        while not poller.stop.is_set():
            try:
                sent += poller.poll()
            except (httpx.TransportError, XApiError) as exc:
                if isinstance(exc, XApiError) and exc.status < 500:
                    raise  # refused, not unwell: a bad token, a bad request
                log.warning("X unreachable or failing (%s): the next round tries again", exc)
            poller.wait(every_s)
    except Stopped:
        pass
    return sent
