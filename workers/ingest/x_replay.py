"""A local X API v2 server in the documented shapes: the posts it is given, served to the project's own
X client exactly as X would serve them. ``tickertape demo --source x`` replays its tweets through it (no
bearer token, no network); the tests drive it and inject X's faults.

- The filtered stream and its rules. Posts are matched against the rules' ``from:`` clauses as X does.
  Each stream connection takes the next behaviour from ``connections`` ("429": refused with reset
  headers; "drop": a keep-alive and half a post, then the connection ends without its last chunk;
  "serve", the default once the list runs out). A connection serves every matching post not yet
  delivered, with a keep-alive newline after each; ``backfill_minutes`` serves those already delivered
  again first (all of them: a replay lasts minutes).
- ``/2/users/by``; ``/2/users/:id/tweets`` (newest first, in pages, after ``since_id``; the next
  responses' ``x-rate-limit-remaining`` taken from ``remaining``); ``/2/users/:id/following`` in pages
  (``following``).
- Faults, once per listed path: a 429 with reset headers (``rate_limited``), a 503 (``unavailable``).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

STREAM = "/2/tweets/search/stream"
RULES = "/2/tweets/search/stream/rules"


def _user_id(handle: str) -> str:
    """A stable numeric user id for a handle (X's ids are decimal strings)."""
    return str(zlib.crc32(handle.lower().encode()) + 10**9)


class XReplayServer:
    """The server's state: its posts, rules and scripted faults; :meth:`serving` puts it on a port."""

    def __init__(self, token: str = "test-token") -> None:
        self.token = token
        self.rules: dict[str, dict[str, str]] = {}
        self.posts: list[dict[str, Any]] = []  # stream messages, in order
        self.delivered = 0  # posts[:delivered] went out on some connection
        self.connections: list[str] = []
        self.stream_requests: list[dict[str, list[str]]] = []
        self.rule_requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)  # notified on each new post: streams serve it at once
        self._ids = itertools.count(1)
        self.closing = threading.Event()
        self.following: dict[str, list[str]] = {}  # X user id → the handles it follows
        self.rate_limited: list[str] = []  # paths to refuse once with a 429
        self.unavailable: list[str] = []  # paths to fail once with a 503
        self.remaining: list[str] = []  # x-rate-limit-remaining of the next timeline responses
        self.timeline_requests: list[dict[str, list[str]]] = []

    def post(self, author: str, text: str, post_id: str | None = None, **fields: Any) -> str:
        """Publish a post by ``author`` (a handle); returns its id."""
        with self.lock:
            number = next(self._ids)
            post_id = post_id or str(1_900_000_000_000_000_000 + number)
            user_id = _user_id(author)
            data = {"id": post_id, "text": text, "author_id": user_id, "edit_history_tweet_ids": [post_id],
                    "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"), **fields}
            self.posts.append({"data": data, "includes": {"users": [{"id": user_id, "username": author, "name": author}]},
                               "matching_rules": []})
            self.arrived.notify_all()
            return post_id

    def garbage(self, line: bytes) -> None:
        """A stream line that is no post (served to every connection, whatever the rules)."""
        with self.lock:
            self.posts.append({"raw": line})
            self.arrived.notify_all()

    def followed(self) -> set[str]:
        """Handles the rules match (``from:`` clauses of every rule)."""
        return {clause.removeprefix("from:").lower() for rule in self.rules.values() for clause in rule["value"].split(" OR ")}

    def _matches(self, message: dict[str, Any]) -> bool:
        if "raw" in message:
            return True
        return message["includes"]["users"][0]["username"].lower() in self.followed()

    @contextmanager
    def serving(self) -> Iterator[str]:
        """Serve on a free local port; yields the base URL for ``TT_X_API_BASE``."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {fake.token}":
                    return True
                self._json(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
                return False

            def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if not self._authorised():
                    return
                if url.path in fake.unavailable:
                    fake.unavailable.remove(url.path)
                    self._json(503, {"title": "Service Unavailable", "status": 503, "detail": "Service Unavailable"})
                elif url.path in fake.rate_limited:
                    fake.rate_limited.remove(url.path)
                    self._json(429, {"title": "Too Many Requests", "status": 429},
                               {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(time.time()) + 1)})
                elif url.path == "/2/users/by":
                    self._users_by(parse_qs(url.query)["usernames"][0].split(","))
                elif url.path.startswith("/2/users/") and url.path.endswith("/tweets"):
                    self._timeline(url.path.split("/")[3], parse_qs(url.query))
                elif url.path.startswith("/2/users/") and url.path.endswith("/following"):
                    self._following(url.path.split("/")[3], parse_qs(url.query))
                elif url.path == RULES:
                    with fake.lock:
                        data = [{"id": i, **r} for i, r in fake.rules.items()]
                    meta = {"sent": datetime.now(timezone.utc).isoformat(), "result_count": len(data)}
                    self._json(200, {"data": data, "meta": meta} if data else {"meta": meta})
                elif url.path == STREAM:
                    self._stream(parse_qs(url.query))
                else:
                    self._json(404, {"title": "Not Found Error", "status": 404})

            def _following(self, user_id: str, query: dict[str, list[str]]) -> None:
                if user_id not in fake.following:
                    self._json(200, {"errors": [{"title": "Not Found Error", "detail": f"Could not find user with id: [{user_id}]."}]})
                    return
                size = int(query["max_results"][0])
                start = int(query.get("pagination_token", ["0"])[0])
                names = fake.following[user_id][start:start + size]
                meta: dict[str, Any] = {"result_count": len(names)}
                if start + size < len(fake.following[user_id]):
                    meta["next_token"] = str(start + size)
                data = [{"id": _user_id(n), "name": n, "username": n} for n in names]
                self._json(200, {"data": data, "meta": meta} if data else {"meta": meta})

            def _users_by(self, names: list[str]) -> None:
                with fake.lock:
                    users = {m["includes"]["users"][0]["username"].lower(): m["includes"]["users"][0]
                             for m in fake.posts if "raw" not in m}
                data = [users[n.lower()] for n in names if n.lower() in users]
                errors = [{"value": n, "detail": f"Could not find user with usernames: [{n}].", "title": "Not Found Error"}
                          for n in names if n.lower() not in users]
                self._json(200, {k: v for k, v in (("data", data), ("errors", errors)) if v})

            def _timeline(self, user_id: str, query: dict[str, list[str]]) -> None:
                fake.timeline_requests.append(query)
                since = int(query.get("since_id", ["0"])[0])
                with fake.lock:
                    mine = [m for m in fake.posts if "raw" not in m and m["data"]["author_id"] == user_id and int(m["data"]["id"]) > since]
                    headers = {"x-rate-limit-remaining": fake.remaining.pop(0), "x-rate-limit-reset": str(int(time.time()) + 1)} if fake.remaining else {}
                mine.reverse()  # newest first
                size, start = int(query["max_results"][0]), int(query.get("pagination_token", ["0"])[0])
                page = mine[start:start + size]
                meta: dict[str, Any] = {"result_count": len(page)}
                if page:
                    meta |= {"newest_id": page[0]["data"]["id"], "oldest_id": page[-1]["data"]["id"]}
                if start + size < len(mine):
                    meta["next_token"] = str(start + size)
                users = [page[0]["includes"]["users"][0]] if page else []
                body = {"data": [m["data"] for m in page], "includes": {"users": users}, "meta": meta} if page else {"meta": meta}
                self._json(200, body, headers)

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.rule_requests.append(body)
                sent = datetime.now(timezone.utc).isoformat()
                with fake.lock:
                    if "delete" in body:
                        ids = body["delete"]["ids"]
                        deleted = [i for i in ids if fake.rules.pop(i, None) is not None]
                        self._json(200, {"meta": {"sent": sent, "summary": {"deleted": len(deleted), "not_deleted": len(ids) - len(deleted)}}})
                        return
                    created = []
                    for rule in body["add"]:
                        if len(rule["value"]) > 1024:
                            self._json(400, {"errors": [{"value": rule["value"][:40], "title": "RuleTooLong"}], "title": "Invalid Request"})
                            return
                        rule_id = str(1_800_000_000_000_000_000 + next(fake._ids))
                        fake.rules[rule_id] = {"value": rule["value"], "tag": rule.get("tag", "")}
                        created.append({"id": rule_id, **fake.rules[rule_id]})
                self._json(201, {"data": created, "meta": {"sent": sent, "summary": {
                    "created": len(created), "not_created": 0, "valid": len(created), "invalid": 0}}})

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _stream(self, query: dict[str, list[str]]) -> None:
                try:
                    self._serve(query)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client went away: what a stream's client does

            def _serve(self, query: dict[str, list[str]]) -> None:
                with fake.lock:
                    fake.stream_requests.append(query)
                    behaviour = fake.connections.pop(0) if fake.connections else "serve"
                if behaviour == "429":
                    reset = int(time.time()) + 1
                    self._json(429, {"title": "Too Many Requests", "status": 429, "detail": "Too Many Requests"},
                               {"x-rate-limit-limit": "50", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                cursor = 0 if "backfill_minutes" in query else fake.delivered
                while not fake.closing.is_set():
                    with fake.lock:
                        pending = list(enumerate(fake.posts[cursor:], start=cursor))
                    for index, message in pending:
                        cursor = index + 1
                        if not fake._matches(message):
                            continue
                        line = message["raw"] if "raw" in message else json.dumps(message).encode()
                        if behaviour == "drop":
                            self._chunk(b"\r\n" + line[: len(line) // 2])  # a keep-alive, then half a post
                            self.close_connection = True
                            return  # no terminating chunk: the connection just ends
                        self._chunk(line + b"\r\n" + b"\r\n")  # the post, then a keep-alive
                        with fake.lock:
                            fake.delivered = max(fake.delivered, index + 1)
                    self._chunk(b"\r\n")
                    with fake.arrived:
                        if len(fake.posts) == cursor:
                            fake.arrived.wait(0.2)
                self.wfile.write(b"0\r\n\r\n")

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            self.closing.set()
            server.shutdown()
            server.server_close()
