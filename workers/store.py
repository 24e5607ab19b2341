"""Redis as the query side: idempotent result writes, fan-out feeds, mention timelines, trending.

This is also the Python API for readers::

    store = FeedStore.connect()
    store.follow("alice", ["cz_binance"])
    store.feed("alice", token="BTC", limit=20)
    store.trending(timedelta(hours=1))
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import redis

from schemas import ExtractionResult, FeedItem, canonical_symbol, decode, encode
from workers.keys import Keys
from workers.settings import Settings, get_settings

# One tweet's whole write, atomic and at most once: the result key is SET NX first, and if it
# already exists (a redelivered batch) nothing else runs, so counters are never bumped twice and
# nobody is told twice.
#   KEYS: result, stats, trend bucket, one mentions timeline per token, then per follower
#         n_tok + 2 keys: the feed, its per-token feeds, the follower's trend bucket.
#   ARGV: result JSON, result TTL, score (:func:`position`), tweet id, mentions cap, feed cap,
#         trend bucket expiry (unix s), token count, the tokens, then one live channel per
#         follower (channels are not keys). The PUBLISH comes after the follower's feed writes,
#         so a subscriber that reads the feed on a message finds the item there.
# A dead letter's marker and its count in one step, so a resent letter is never counted twice.
_MARK_DEAD_LETTER = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then redis.call('HINCRBY', KEYS[2], 'dead_letters', 1) end
"""

_WRITE_RESULT = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[2], 'tweets', 1)
local n_tok = tonumber(ARGV[8])
if n_tok == 0 then return 1 end
redis.call('HINCRBY', KEYS[2], 'tweets_with_mentions', 1)
redis.call('HINCRBY', KEYS[2], 'mentions', n_tok)
local score, id = ARGV[3], ARGV[4]
local mentions_cap, feed_cap = tonumber(ARGV[5]), tonumber(ARGV[6])
for i = 1, n_tok do
  redis.call('ZINCRBY', KEYS[3], 1, ARGV[8 + i])
  redis.call('ZADD', KEYS[3 + i], score, id)
  redis.call('ZREMRANGEBYRANK', KEYS[3 + i], 0, -mentions_cap - 1)
end
redis.call('EXPIREAT', KEYS[3], ARGV[7])
local follower = 0
for first = 4 + n_tok, #KEYS, n_tok + 2 do
  follower = follower + 1
  for i = first, first + n_tok do
    redis.call('ZADD', KEYS[i], score, id)
    redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -feed_cap - 1)
  end
  local trend = KEYS[first + n_tok + 1]
  for t = 1, n_tok do redis.call('ZINCRBY', trend, 1, ARGV[8 + t]) end
  redis.call('EXPIREAT', trend, ARGV[7])
  redis.call('PUBLISH', ARGV[8 + n_tok + follower], ARGV[1])
end
return 1
"""

#: What a user or followed account may be called: Twitter's handle alphabet. Names end up inside
#: key names, so anything else (':' above all) could reach into another key.
_HANDLE = re.compile(r"[a-z0-9_]{1,64}")


def handle(name: str) -> str:
    """The stored form of an account or user name: case-insensitive, may be written with '@'."""
    return name.strip().lstrip("@").lower()


def checked_handle(name: str) -> str:
    """:func:`handle` for names that become keys (users, follows); raises ValueError on other names."""
    stored = handle(name)
    if not _HANDLE.fullmatch(stored):
        raise ValueError(f"not a handle: {name!r} (letters, digits and _, at most 64)")
    return stored


@dataclass(frozen=True)
class FollowCounts:
    """What a bulk follow did: the ``users`` and ``follows`` it read, ``added`` of the follows new."""

    users: int
    follows: int
    added: int


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _micros(moment: datetime) -> int:
    """Exact integer microseconds since the epoch (no float rounding)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def position(tweet_id: str, created_at: datetime) -> int:
    """A tweet's score in feeds and timelines: its time in whole milliseconds, then a 0–999 tie-break
    from its id, in microsecond units. Tweets of the same second (real dumps are that coarse) thus get
    distinct scores, and a page that ends at one of them resumes exactly after it.
    """
    return _micros(created_at) // 1000 * 1000 + zlib.crc32(tweet_id.encode()) % 1000


def cursor(item: FeedItem | ExtractionResult) -> datetime:
    """The ``before`` that continues a listing after ``item``."""
    tweet_id = item.tweet_id
    return _EPOCH + timedelta(microseconds=position(tweet_id, item.created_at))


class FeedStore:
    """Reads and writes tickertape's Redis keys (names in :class:`workers.keys.Keys`)."""

    def __init__(self, client: redis.Redis, settings: Settings | None = None) -> None:
        """``client``: a redis-py client with ``decode_responses=False``."""
        self.redis = client
        self.settings = settings or get_settings()
        self.keys = Keys(self.settings.redis_prefix)
        self._write_result = client.register_script(_WRITE_RESULT)
        self._mark_dead_letter = client.register_script(_MARK_DEAD_LETTER)

    @classmethod
    def connect(cls, settings: Settings | None = None) -> FeedStore:
        """A store on the configured Redis (the local one when none is configured)."""
        settings = settings or get_settings()
        # Timeouts turn a Redis that stops answering into an error the worker retries, not a hang.
        client = redis.Redis.from_url(
            settings.redis_dsn, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30
        )
        return cls(client, settings)

    # --- writes (workers) -----------------------------------------------------------------------

    def write_results(self, results: Sequence[ExtractionResult]) -> list[bool]:
        """Store each result and fan it out; True where it was new, False for a redelivery."""
        if not results:
            return []
        authors = sorted({handle(r.author) for r in results})
        pipe = self.redis.pipeline(transaction=False)
        for author in authors:
            pipe.smembers(self.keys.followers(author))
        followers = {a: sorted(m.decode() for m in members) for a, members in zip(authors, pipe.execute())}

        s = self.settings
        pipe = self.redis.pipeline(transaction=False)
        for result in results:
            created = result.created_at.timestamp()
            bucket = int(created // s.trend_bucket)
            fan_out = followers[handle(result.author)] if result.tokens else []
            follower_keys: list[str] = []
            for user in fan_out:
                follower_keys.append(self.keys.feed(user))
                follower_keys.extend(self.keys.feed(user, sym) for sym in result.tokens)
                follower_keys.append(self.keys.trend(bucket, user))
            self._write_result(
                keys=[
                    self.keys.result(result.tweet_id),
                    self.keys.stats(),
                    self.keys.trend(bucket),
                    *(self.keys.mentions(sym) for sym in result.tokens),
                    *follower_keys,
                ],
                args=[
                    encode(result),
                    s.result_ttl,
                    position(result.tweet_id, result.created_at),
                    result.tweet_id,
                    s.mentions_cap,
                    s.feed_cap,
                    (bucket + 1) * s.trend_bucket + s.trend_retention,
                    len(result.tokens),
                    *result.tokens,
                    *(self.keys.live(user) for user in fan_out),
                ],
                client=pipe,
            )
        return [bool(done) for done in pipe.execute()]

    def already_sent(self, markers: Sequence[str]) -> list[bool]:
        """For each marker key (``keys.published``/``keys.dead_letter``), whether it is set."""
        if not markers:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for key in markers:
            pipe.exists(key)
        return [bool(n) for n in pipe.execute()]

    def mark_sent(self, published: Sequence[str], dead_letter_sources: Sequence[str] = ()) -> None:
        """Record that these messages were acknowledged by Kafka: ``published`` marker keys
        (``keys.published``), and dead letters by source, each counted once however often it is sent."""
        pipe = self.redis.pipeline(transaction=False)
        for key in published:
            pipe.set(key, b"1", ex=self.settings.result_ttl)
        for source in dead_letter_sources:
            self._mark_dead_letter(
                keys=[self.keys.dead_letter(source), self.keys.stats()], args=[self.settings.result_ttl], client=pipe
            )
        pipe.execute()

    # --- follow graph ---------------------------------------------------------------------------

    def follow(self, user: str, accounts: Iterable[str]) -> int:
        """Make ``user`` follow ``accounts``; returns how many were new. Only later tweets fan out."""
        return self._edit_follows(user, accounts, add=True)

    def follow_many(self, follows: Iterable[tuple[str, Iterable[str]]], edges_per_call: int = 250_000) -> FollowCounts:
        """Add many users' follows, e.g. a whole graph (``tickertape follow --import``), in pipelines of
        about ``edges_per_call`` follows: each command adds to one user's or one account's set, so none
        holds Redis long, and memory stays bounded. Unlike :meth:`follow` the two directions are not one
        transaction; every command is idempotent, so after a failure the import is run again.
        Names must already be handles (:func:`checked_handle`)."""
        users: set[str] = set()
        read = added = in_chunk = 0
        chunk: dict[str, set[str]] = {}
        for user, accounts in follows:
            new = set(accounts)
            users.add(user)
            chunk.setdefault(user, set()).update(new)
            read += len(new)
            in_chunk += len(new)
            if in_chunk >= edges_per_call:
                added += self._add_follows(chunk)
                chunk, in_chunk = {}, 0
        return FollowCounts(users=len(users), follows=read, added=added + self._add_follows(chunk))

    def _add_follows(self, chunk: dict[str, set[str]]) -> int:
        """One pipeline of SADDs, both directions; returns how many follows were new."""
        chunk = {user: accounts for user, accounts in chunk.items() if accounts}
        if not chunk:
            return 0
        followers: dict[str, list[str]] = {}
        for user, accounts in chunk.items():
            for account in accounts:
                followers.setdefault(account, []).append(user)
        pipe = self.redis.pipeline(transaction=False)
        for user, accounts in chunk.items():
            pipe.sadd(self.keys.following(user), *accounts)
        for account, fans in followers.items():
            pipe.sadd(self.keys.followers(account), *fans)
        return sum(pipe.execute()[: len(chunk)])

    def unfollow(self, user: str, accounts: Iterable[str]) -> int:
        """Stop ``user`` following ``accounts``; returns how many were followed. Feed items stay."""
        return self._edit_follows(user, accounts, add=False)

    def _edit_follows(self, user: str, accounts: Iterable[str], add: bool) -> int:
        # Both directions in one transaction: the fan-out reads followers, queries read following.
        user = checked_handle(user)
        handles = sorted({checked_handle(a) for a in accounts})
        if not handles:
            return 0
        pipe = self.redis.pipeline(transaction=True)
        edit = pipe.sadd if add else pipe.srem
        edit(self.keys.following(user), *handles)
        for account in handles:
            edit(self.keys.followers(account), user)
        return int(pipe.execute()[0])

    def followed_accounts(self) -> set[str]:
        """Every account at least one user follows (Redis drops a follower set once it is empty)."""
        start = len(self.keys.followers(""))
        return {key[start:].decode() for key in self.redis.scan_iter(match=self.keys.all_followers(), count=1000)}

    def following(self, user: str) -> list[str]:
        """Accounts ``user`` follows, sorted."""
        return sorted(m.decode() for m in self.redis.smembers(self.keys.following(checked_handle(user))))

    # --- reads ----------------------------------------------------------------------------------

    def result(self, tweet_id: str) -> ExtractionResult | None:
        """What a worker decided about ``tweet_id``, or None if not (or no longer) stored."""
        raw = self.redis.get(self.keys.result(tweet_id))
        return decode(ExtractionResult, raw) if raw is not None else None

    def feed(
        self, user: str, token: str | None = None, limit: int = 50, before: datetime | None = None
    ) -> list[FeedItem]:
        """Newest first: tweets with mentions from accounts ``user`` follows.

        ``token``: only tweets mentioning this symbol. ``before``: page by tweet time (exclusive).
        """
        key = self.keys.feed(checked_handle(user), canonical_symbol(token) if token else None)
        return [FeedItem.of(r) for r in self._newest(key, limit, before)]

    def mentions(self, symbol: str, limit: int = 50, before: datetime | None = None) -> list[ExtractionResult]:
        """Newest first: processed tweets that mention ``symbol``."""
        return self._newest(self.keys.mentions(canonical_symbol(symbol)), limit, before)

    def trending(
        self,
        window: timedelta = timedelta(hours=1),
        limit: int = 10,
        now: datetime | None = None,
        user: str | None = None,
    ) -> list[tuple[str, int]]:
        """Symbols by number of tweets mentioning them in the last ``window`` of tweet time.

        ``user``: count only tweets fanned out to that user's feed.
        """
        return self.window_counts(window, now=now, user=user).most_common(limit)

    def window_counts(
        self, window: timedelta, now: datetime | None = None, user: str | None = None, back: int = 0
    ) -> Counter[str]:
        """Tweets per symbol in a window of tweet time, as whole trend buckets.

        ``now``: the window's end (default: now); ``back``: how many windows earlier (1 = the window
        before, to compare with); ``user``: only tweets fanned out to that user's feed.
        """
        step = self.settings.trend_bucket
        width = max(1, int(window.total_seconds() // step))
        if (back + 1) * width * step > self.settings.trend_retention:
            raise ValueError(
                f"window {window} reaches past the {self.settings.trend_retention // 3600} h of trending kept "
                "(TT_TREND_RETENTION)" + (" for the window before it too" if back else "")
            )
        end = int((now or datetime.now(timezone.utc)).timestamp() // step) - back * width
        owner = checked_handle(user) if user else None
        pipe = self.redis.pipeline(transaction=False)
        for bucket in range(end - width + 1, end + 1):
            pipe.zrange(self.keys.trend(bucket, owner), 0, -1, withscores=True)
        counts: Counter[str] = Counter()
        for members in pipe.execute():
            for symbol, score in members:
                counts[symbol.decode()] += int(score)
        return counts

    def stats(self) -> dict[str, int]:
        """Counters: tweets, tweets_with_mentions, mentions, dead_letters."""
        raw = self.redis.hgetall(self.keys.stats())
        return {k.decode(): int(v) for k, v in raw.items()}

    def _newest(self, key: str, limit: int, before: datetime | None) -> list[ExtractionResult]:
        found: list[ExtractionResult] = []
        top = f"({_micros(before)}" if before else "+inf"
        while len(found) < limit:
            entries = self.redis.zrevrangebyscore(key, top, "-inf", start=0, num=limit - len(found), withscores=True)
            if not entries:
                break
            raws = self.redis.mget([self.keys.result(i.decode()) for i, _ in entries])
            found.extend(decode(ExtractionResult, raw) for raw in raws if raw is not None)
            # Results outlive their entries only by TT_RESULT_TTL: drop the expired ones for good, so
            # a page is only short at the real end of the listing.
            if expired := [i for (i, _), raw in zip(entries, raws, strict=True) if raw is None]:
                self.redis.zrem(key, *expired)
            top = f"({int(entries[-1][1])}"
        return found
