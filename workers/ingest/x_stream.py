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
from dataclasses import dataclass
from typing import Any

import httpx

from workers.errors import XApiError
from workers.ingest.files import InputRecord
from workers.ingest.x_rules import Rule, RuleChange, sync

log = logging.getLogger(__name__)

STREAM_PATH = "/2/tweets/search/stream"
RULES_PATH = "/2/tweets/search/stream/rules"
#: The post, its author's handle and its time: what a Tweet needs.
STREAM_PARAMS = {"tweet.fields": "created_at,author_id", "expansions": "author_id", "user.fields": "username"}
SOURCE = "x-stream"
#: X sends a keep-alive every 20 s; a connection silent for longer than this is dead.
READ_TIMEOUT_S = 30.0
BACKFILL_MAX_MINUTES = 5
#: Rules one request adds, to keep each request small.
RULES_PER_REQUEST = 100


@dataclass
class Backoff:
    """X's documented reconnect waits; :meth:`reset` once a connection delivers."""

    network_s: float = 0.0
    http_s: float = 0.0
    rate_limit_s: float = 0.0

    def after_network_error(self) -> float:
        self.network_s = min(16.0, self.network_s + 0.25)
        return self.network_s

    def after_http_error(self) -> float:
        self.http_s = min(320.0, self.http_s * 2 if self.http_s else 5.0)
        return self.http_s

    def after_rate_limit(self, reset_at: float | None, now: float) -> float:
        self.rate_limit_s = self.rate_limit_s * 2 if self.rate_limit_s else 60.0
        return max(0.0, reset_at - now) if reset_at is not None else self.rate_limit_s

    def reset(self) -> None:
        self.network_s = self.http_s = self.rate_limit_s = 0.0


class XClient:
    """The filtered stream's endpoints under ``base`` (``TT_X_API_BASE``), with an app bearer token."""

    def __init__(self, base: str, bearer_token: str, http: httpx.Client | None = None) -> None:
        self.http = http or httpx.Client(
            base_url=base.rstrip("/"),
            headers={"Authorization": f"Bearer {bearer_token}", "User-Agent": "tickertape"},
            timeout=httpx.Timeout(10.0, read=READ_TIMEOUT_S),
        )

    def rules(self) -> list[Rule]:
        """The stream's rules, ours and any others."""
        body = self._json(self.http.get(RULES_PATH))
        return [Rule(r["value"], r.get("tag", ""), r["id"]) for r in body.get("data", [])]

    def apply(self, change: RuleChange) -> None:
        """Delete, then add: a gap in coverage rather than a moment of duplicate matches."""
        if change.delete:
            self._json(self.http.post(RULES_PATH, json={"delete": {"ids": [r.id for r in change.delete]}}))
        for start in range(0, len(change.add), RULES_PER_REQUEST):
            chunk = change.add[start:start + RULES_PER_REQUEST]
            self._json(self.http.post(RULES_PATH, json={"add": [{"value": r.value, "tag": r.tag} for r in chunk]}))

    def lines(self, backfill_minutes: int = 0) -> Iterator[bytes]:
        """The stream's complete lines, keep-alives included, until the connection ends. Raises
        httpx.HTTPStatusError on a refused connection and httpx.TransportError on a dropped one."""
        params = dict(STREAM_PARAMS, **({"backfill_minutes": str(backfill_minutes)} if backfill_minutes else {}))
        with self.http.stream("GET", STREAM_PATH, params=params) as response:
            if response.status_code != 200:
                response.read()
                response.raise_for_status()
            pending = b""
            for chunk in response.iter_bytes():
                *complete, pending = (pending + chunk).split(b"\n")
                yield from complete
            if pending:
                log.warning("the stream ended inside a line (%d bytes): dropped, a reconnect backfills it", len(pending))

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        body = response.json() if response.content else {}
        if response.status_code >= 400 or (body.get("errors") and not body.get("data") and not body.get("meta")):
            raise XApiError(f"{response.request.method} {response.request.url.path}: HTTP {response.status_code} "
                            f"{json.dumps(body.get('errors') or body.get('detail') or body)[:300]}")
        return body


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
    post = body.get("data")
    if post is None:
        # Disconnect notices and the like come as {"errors": [...]}: about the connection, not a post.
        log.warning("stream notice: %s", text[:300])
        return None
    if not isinstance(post, dict):
        return InputRecord(SOURCE, text, error="data is not a post")
    users = {u.get("id"): u.get("username") for u in body.get("includes", {}).get("users", []) if isinstance(u, dict)}
    author = users.get(post.get("author_id"))
    if not author:
        return InputRecord(SOURCE, text, error="the post's author is not in includes.users")
    return InputRecord(SOURCE, text, record={"id": post.get("id"), "author": author, "text": post.get("text"),
                                              "created_at": post.get("created_at")})


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
