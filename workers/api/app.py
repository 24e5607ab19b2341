"""The HTTP API (``tickertape api``): feeds, follows, token mentions, trending and live feeds over
:class:`workers.store.FeedStore`, plus the web page at ``/`` (static files in ``workers/api/web/``).

Queries are plain ``def`` endpoints: FastAPI runs them in its threadpool, so the sync FeedStore
(redis-py, a thread-safe connection pool) serves them without blocking the event loop. Only the
live stream is async: a redis.asyncio subscription to the live channels of the accounts the user
follows, which the workers publish each tweet to after its fan-out (:meth:`workers.keys.Keys.live`),
relayed as Server-Sent Events.
"""

# No `from __future__ import annotations`: FastAPI reads the Annotated parameter types (some built
# inside create_app from settings) at runtime.
import asyncio
import logging
import re
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import redis
import redis.asyncio as aioredis
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from schemas import ExtractionResult, FeedItem, canonical_symbol, decode, encode
from workers.durations import DURATION_PATTERN, parse_duration
from workers.settings import Settings, get_settings
from workers.store import FeedStore, checked_handle, cursor, handle

WEB_DIR = Path(__file__).parent / "web"
#: Twitter-style handles; ':' is excluded so a name can never reach into another key.
HANDLE_PATTERN = r"^@?[A-Za-z0-9_]{1,64}$"
#: Registry symbols (letters, digits, '.', '-', '_') or an unnamed contract 'CA:<address>'.
SYMBOL_PATTERN = r"^(CA:[A-Za-z0-9]{1,64}|[A-Za-z0-9][A-Za-z0-9._-]{0,31})$"
#: Seconds between SSE comments on a quiet stream: keeps proxies from closing it.
KEEPALIVE_S = 15.0
#: Seconds a stream waits for a message before checking that its client and the server are still there.
TICK_S = 1.0

User = Annotated[str, PathParam(pattern=HANDLE_PATTERN, description="The user (handle, case-insensitive, '@' optional).")]
Account = Annotated[str, PathParam(pattern=HANDLE_PATTERN, description="The followed account's handle.")]
Symbol = Annotated[str, PathParam(pattern=SYMBOL_PATTERN, description="Token symbol, e.g. BTC (case-insensitive).")]
SymbolFilter = Annotated[
    str | None, Query(pattern=SYMBOL_PATTERN, description="Only tweets mentioning this symbol.")
]
UserFilter = Annotated[
    str | None, Query(pattern=HANDLE_PATTERN, description="Only tweets from accounts this user follows.")
]
Before = Annotated[
    datetime | None,
    Query(description="Page by tweet time: only items strictly older (ISO 8601; no offset means UTC). "
          "Pass the previous page's `next_before`."),
]


class Page(BaseModel):
    """Items newest first, and where the next (older) page starts."""

    items: list[FeedItem]
    next_before: datetime | None = Field(description="`before` for the next page; null on the last one.")


class Following(BaseModel):
    user: str = Field(description="The user, as stored (lower case).")
    following: list[str] = Field(description="Accounts the user follows, sorted.")


Handle = Annotated[str, Field(pattern=HANDLE_PATTERN)]


class UserFollows(BaseModel):
    user: Handle
    accounts: list[Handle] = Field(max_length=10_000, description="Accounts to add to the user's follows.")


class FollowsImport(BaseModel):
    follows: list[UserFollows] = Field(
        max_length=1_000, description="Users and the accounts each now also follows; send a large graph in several calls.")


class FollowsImported(BaseModel):
    users: int = Field(description="Users in the request.")
    follows: int = Field(description="Follows in the request (after removing repeats).")
    added: int = Field(description="Follows that were new.")


class TrendRow(BaseModel):
    symbol: str
    tweets: int = Field(description="Tweets mentioning the symbol in the window.")
    previous: int = Field(description="Tweets mentioning it in the window before, of the same length.")
    change: int = Field(description="tweets − previous.")


class Trending(BaseModel):
    window_s: int = Field(description="Window length in seconds (whole trend buckets).")
    user: str | None = Field(description="Whose feed was counted; null: all tweets.")
    tokens: list[TrendRow]


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=timezone.utc) if moment and moment.tzinfo is None else moment


def _page(items: list[FeedItem], limit: int) -> Page:
    return Page(items=items, next_before=cursor(items[-1]) if len(items) == limit else None)


def _auth(expected: str) -> Callable[..., None]:
    """A dependency that admits requests carrying ``expected`` as a bearer token or ``?token=``."""
    bearer = HTTPBearer(auto_error=False, description="TT_API_TOKEN")

    def check(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        token: Annotated[str | None, Query(description="The API token, for clients that cannot set headers (EventSource).")] = None,
    ) -> None:
        given = credentials.credentials if credentials else token
        if given is None or not secrets.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(401, "missing or wrong API token", headers={"WWW-Authenticate": "Bearer"})

    return check


async def _live_events(
    client: aioredis.Redis, channels: list[str], symbol: str | None, request: Request
) -> AsyncIterator[str]:
    """SSE frames: ``ready`` once subscribed, then one ``item`` (FeedItem JSON) per new feed item.

    ``channels``: the live channels of the accounts the user follows (when the stream opens). Ends when
    the client goes away or the server stops (``app.state.stopping``): an open stream would otherwise
    hold uvicorn's shutdown until it is cut off.
    """
    stopping: Callable[[], bool] = request.app.state.stopping
    pubsub = client.pubsub()
    try:
        if channels:
            await pubsub.subscribe(*channels)
            # Wait for Redis to confirm, so a client that fetches the feed on `ready` misses nothing.
            while (await pubsub.get_message(timeout=KEEPALIVE_S) or {}).get("type") != "subscribe":
                pass
        yield "event: ready\ndata: {}\n\n"
        quiet = 0.0
        while not (stopping() or await request.is_disconnected()):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=TICK_S) if channels else None
            if not channels:
                await asyncio.sleep(TICK_S)
            if message is None:
                quiet += TICK_S
                if quiet >= KEEPALIVE_S:
                    quiet = 0.0
                    yield ": keepalive\n\n"
                continue
            item = FeedItem.of(decode(ExtractionResult, message["data"]))
            if symbol is None or symbol in item.tokens:
                quiet = 0.0
                yield f"id: {item.tweet_id}\nevent: item\ndata: {encode(item).decode()}\n\n"
    finally:
        await pubsub.aclose()


def create_app(settings: Settings | None = None, store: FeedStore | None = None) -> FastAPI:
    """The API and web page on ``settings``' Redis (``store``: one to reuse, e.g. in tests)."""
    settings = settings or get_settings()
    store = store or FeedStore.connect(settings)
    live = aioredis.Redis.from_url(settings.redis_dsn)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await live.aclose()

    app = FastAPI(
        title="tickertape",
        summary="Crypto token mentions in the tweets people follow: feeds, trending, live updates.",
        version="1",
        lifespan=lifespan,
        # The spec stays at /openapi.json; Swagger UI and ReDoc would load their scripts from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.stopping = lambda: False  # serve() points it at uvicorn's exit flag
    auth = [Depends(_auth(settings.api_token.get_secret_value()))] if settings.api_token else []
    api = APIRouter(prefix="/api", dependencies=auth)
    Limit = Annotated[int, Query(ge=1, le=settings.api_page_max, description="Most items to return.")]

    @app.exception_handler(redis.RedisError)
    async def redis_down(request: Request, exc: redis.RedisError) -> JSONResponse:
        return JSONResponse({"detail": f"Redis unavailable: {type(exc).__name__}"}, status_code=503)

    @api.get("/users/{user}/feed", response_model=Page, summary="A user's feed, newest first")
    def feed(user: User, symbol: SymbolFilter = None, before: Before = None, limit: Limit = 20) -> Page:
        return _page(store.feed(user, token=symbol, limit=limit, before=_utc(before)), limit)

    @api.get("/users/{user}/following", response_model=Following, summary="Accounts a user follows")
    def following(user: User) -> Following:
        return Following(user=handle(user), following=store.following(user))

    @api.put("/users/{user}/following/{account}", response_model=Following, summary="Follow an account")
    def follow(user: User, account: Account) -> Following:
        store.follow(user, [account])
        return Following(user=handle(user), following=store.following(user))

    @api.post("/follows", response_model=FollowsImported, summary="Add many users' follows in one call")
    def follow_many(body: FollowsImport) -> FollowsImported:
        counts = store.follow_many((checked_handle(f.user), [checked_handle(a) for a in f.accounts]) for f in body.follows)
        return FollowsImported(users=counts.users, follows=counts.follows, added=counts.added)

    @api.delete("/users/{user}/following/{account}", response_model=Following, summary="Unfollow an account")
    def unfollow(user: User, account: Account) -> Following:
        store.unfollow(user, [account])
        return Following(user=handle(user), following=store.following(user))

    @api.get("/tokens/{symbol}/mentions", response_model=Page, summary="Recent tweets mentioning a token")
    def mentions(symbol: Symbol, user: UserFilter = None, before: Before = None, limit: Limit = 20) -> Page:
        if user:  # the user's per-token feed: the same query as /users/{user}/feed?symbol=
            return feed(user, symbol, before, limit)
        found = store.mentions(symbol, limit=limit, before=_utc(before))
        return _page([FeedItem.of(r) for r in found], limit)

    @api.get("/trending", response_model=Trending, summary="Most mentioned tokens, with change vs the window before")
    def trending(
        window: Annotated[str, Query(pattern=DURATION_PATTERN, description="Window length: 90s, 15m, 1h, 2d.")] = "1h",
        user: Annotated[str | None, Query(pattern=HANDLE_PATTERN, description="Count only this user's feed.")] = None,
        limit: Annotated[int, Query(ge=1, le=settings.api_page_max, description="Most tokens to return.")] = 10,
    ) -> Trending:
        span = parse_duration(window)
        longest = settings.trend_retention // 2  # the window before must still be kept, to compare with
        if not settings.trend_bucket <= span.total_seconds() <= longest:
            # Shaped like FastAPI's own validation errors, as the spec says 422s are.
            raise RequestValidationError([{
                "type": "value_error", "loc": ("query", "window"), "input": window,
                "msg": f"window must be between {settings.trend_bucket}s (TT_TREND_BUCKET) and "
                f"{longest}s (half of TT_TREND_RETENTION)",
            }])
        now = datetime.now(timezone.utc)
        current = store.window_counts(span, now=now, user=user)
        previous = store.window_counts(span, now=now, user=user, back=1)
        rows = [TrendRow(symbol=s, tweets=n, previous=previous[s], change=n - previous[s]) for s, n in current.most_common(limit)]
        width = max(1, int(span.total_seconds() // settings.trend_bucket)) * settings.trend_bucket
        return Trending(window_s=width, user=handle(user) if user else None, tokens=rows)

    @api.get(
        "/users/{user}/stream",
        summary="Live feed (Server-Sent Events)",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}},
                         "description": "`ready` once subscribed, then an `item` event (FeedItem JSON) per new feed item."}},
    )
    async def stream(request: Request, user: User, symbol: SymbolFilter = None) -> StreamingResponse:
        following = await live.smembers(store.keys.following(handle(user)))
        channels = sorted(store.keys.live(account.decode()) for account in following)
        events = _live_events(live, channels, canonical_symbol(symbol) if symbol else None, request)
        # no-transform / X-Accel-Buffering: proxies must pass events through as they come.
        headers = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}
        return StreamingResponse(events, media_type="text/event-stream", headers=headers)

    app.include_router(api)
    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html")

    return app


class _RedactToken(logging.Filter):
    """Access-log lines show the path with its query: keep the API token (EventSource's `?token=`) out."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.args = tuple(_TOKEN_PARAM.sub(r"\1***", a) if isinstance(a, str) else a for a in (record.args or ()))
        return True


_TOKEN_PARAM = re.compile(r"([?&]token=)[^&\s]*")


def serve(settings: Settings) -> None:
    """Serve the API on ``settings.api_host``:``api_port`` until SIGTERM/SIGINT."""
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.api_host, port=settings.api_port))
    logging.getLogger("uvicorn.access").addFilter(_RedactToken())
    app.state.stopping = lambda: server.should_exit  # live streams end within TICK_S of a stop
    server.run()
