"""X API v2 as tickertape uses it: the filtered stream and its rules, users' following lists and
timelines, with an app bearer token (``TT_X_BEARER_TOKEN``) under ``TT_X_API_BASE``; and X's post shapes
as ingest records.

``httpx`` rather than tweepy: the stream needs its own connect and read timeouts and the reconnect
loop (backfill after a gap, a stop between keep-alives) is ours to run, which tweepy's StreamingClient owns.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from workers.errors import XApiError
from workers.ingest.files import InputRecord
from workers.ingest.x_rules import Rule, RuleChange

log = logging.getLogger(__name__)

STREAM_PATH = "/2/tweets/search/stream"
RULES_PATH = "/2/tweets/search/stream/rules"
#: The post, its author's handle and its time: what a Tweet needs.
POST_FIELDS = {"tweet.fields": "created_at,author_id", "expansions": "author_id", "user.fields": "username"}
#: X sends a keep-alive every 20 s; a connection silent for longer than this is dead.
READ_TIMEOUT_S = 30.0
#: Rules one request adds, to keep each request small.
RULES_PER_REQUEST = 100
#: The most a following-list page, a timeline page and a user lookup hold.
FOLLOWING_PAGE = 1000
TIMELINE_PAGE = 100
USERS_PER_LOOKUP = 100


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
    """The endpoints tickertape calls, under ``base`` (``TT_X_API_BASE``), with an app bearer token."""

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
        params = dict(POST_FIELDS, **({"backfill_minutes": str(backfill_minutes)} if backfill_minutes else {}))
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

    def following(self, user_id: str, wait: Callable[[float], object] = time.sleep) -> Iterator[str]:
        """The handles ``user_id`` follows (``/2/users/:id/following``), page by page."""
        params = {"max_results": str(FOLLOWING_PAGE), "user.fields": "username"}
        for page in self._pages(f"/2/users/{user_id}/following", params, wait):
            yield from (user["username"] for user in page.get("data", []))

    def user_ids(self, handles: list[str], wait: Callable[[float], object] = time.sleep) -> dict[str, str]:
        """Handle (lower case) → X user id, for those of ``handles`` X knows (``/2/users/by``)."""
        found: dict[str, str] = {}
        for start in range(0, len(handles), USERS_PER_LOOKUP):
            chunk = handles[start:start + USERS_PER_LOOKUP]
            body = self._json(self._get("/2/users/by", {"usernames": ",".join(chunk)}, wait))
            found.update((user["username"].lower(), user["id"]) for user in body.get("data", []))
        return found

    def posts_since(self, user_id: str, since_id: str | None, wait: Callable[[float], object] = time.sleep) -> Iterator[dict[str, Any]]:
        """Pages of ``user_id``'s posts newer than ``since_id``, newest first (``/2/users/:id/tweets``);
        with no ``since_id``, only the newest page."""
        params = dict(POST_FIELDS, max_results=str(TIMELINE_PAGE), **({"since_id": since_id} if since_id else {}))
        for page in self._pages(f"/2/users/{user_id}/tweets", params, wait):
            yield page
            if since_id is None:
                return

    def _pages(self, path: str, params: dict[str, str], wait: Callable[[float], object]) -> Iterator[dict[str, Any]]:
        params = dict(params)
        while True:
            page = self._json(self._get(path, params, wait))
            yield page
            token = page.get("meta", {}).get("next_token")
            if not token:
                return
            params["pagination_token"] = token

    def _get(self, path: str, params: dict[str, str], wait: Callable[[float], object]) -> httpx.Response:
        """GET, waiting out the rate limit: a 429 until its reset, and, when a response says none are left,
        until the reset before the next request is made (headers ``x-rate-limit-remaining`` / ``-reset``)."""
        while True:
            response = self.http.get(path, params=params)
            reset = response.headers.get("x-rate-limit-reset")
            until_reset = max(1.0, float(reset) - time.time()) if reset else 60.0
            if response.status_code == 429:
                log.warning("%s rate-limited: waiting %.0f s", path, until_reset)
                wait(until_reset)
                continue
            if response.headers.get("x-rate-limit-remaining") == "0":
                log.info("%s: no requests left in this window, waiting %.0f s", path, until_reset)
                wait(until_reset)
            return response

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        body = response.json() if response.content else {}
        if response.status_code >= 400 or (body.get("errors") and not body.get("data") and not body.get("meta")):
            raise XApiError(f"{response.request.method} {response.request.url.path}: HTTP {response.status_code} "
                            f"{json.dumps(body.get('errors') or body.get('detail') or body)[:300]}", response.status_code)
        return body


def post_record(post: Any, users: Any, raw: str, source: str) -> InputRecord:
    """A post (``data``) and the ``includes.users`` that name its author, as an ingest record: a tweet's
    fields, or the reason it is none."""
    if not isinstance(post, dict):
        return InputRecord(source, raw, error="data is not a post")
    names = {u.get("id"): u.get("username") for u in users if isinstance(u, dict)} if isinstance(users, list) else {}
    author = names.get(post.get("author_id"))
    if not author:
        return InputRecord(source, raw, error="the post's author is not in includes.users")
    return InputRecord(source, raw, record={"id": post.get("id"), "author": author, "text": post.get("text"),
                                           "created_at": post.get("created_at")})
