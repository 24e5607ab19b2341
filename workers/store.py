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

import orjson
import redis

from schemas import ExtractionResult, FeedItem, canonical_symbol, decode, encode
from workers.keys import Keys
from workers.settings import Settings, get_settings

# A dead letter's marker and its count in one step, so a resent letter is never counted twice.
_MARK_DEAD_LETTER = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then redis.call('HINCRBY', KEYS[2], 'dead_letters', 1) end
"""

# A tweet's own writes, at most once: the result key is SET NX first, and if it already exists (a
# redelivered batch) nothing else runs, so counters are never bumped twice. Its size does not grow with
# the author's followers: a pushed tweet's followers are written by _FAN_OUT, a pulled one's tweet goes
# to the author's timeline here.
#   KEYS: result, stats, trend bucket, author's timeline, the pulled set, author's trend bucket, then
#         one mentions timeline per token.
#   ARGV: result JSON, result TTL, score (:func:`position`), tweet id, mentions cap, timeline cap,
#         trend bucket expiry (unix s), pulled (1/0), author, token count, the tokens.
_WRITE_RESULT = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[2], 'tweets', 1)
local n_tok = tonumber(ARGV[10])
if n_tok == 0 then return 1 end
redis.call('HINCRBY', KEYS[2], 'tweets_with_mentions', 1)
redis.call('HINCRBY', KEYS[2], 'mentions', n_tok)
local score, id = ARGV[3], ARGV[4]
local mentions_cap = tonumber(ARGV[5])
for i = 1, n_tok do
  redis.call('ZINCRBY', KEYS[3], 1, ARGV[10 + i])
  redis.call('ZADD', KEYS[6 + i], score, id)
  redis.call('ZREMRANGEBYRANK', KEYS[6 + i], 0, -mentions_cap - 1)
end
redis.call('EXPIREAT', KEYS[3], ARGV[7])
if ARGV[8] == '1' then
  redis.call('ZADD', KEYS[4], score, id)
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -tonumber(ARGV[6]) - 1)
  redis.call('SADD', KEYS[5], ARGV[9])
  for i = 1, n_tok do redis.call('ZINCRBY', KEYS[6], 1, ARGV[10 + i]) end
  redis.call('EXPIREAT', KEYS[6], ARGV[7])
end
return 1
"""

# One chunk of a pushed tweet's fan-out: the tweet into each follower's feed, trimmed to the cap. No
# counters, so a chunk run twice (a redelivery, a worker killed mid-fan-out) changes nothing.
#   KEYS: followers' feeds (at most TT_FANOUT_CHUNK).   ARGV: score, tweet id, feed cap.
_FAN_OUT = """
local score, id, cap = ARGV[1], ARGV[2], -tonumber(ARGV[3]) - 1
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], score, id)
  redis.call('ZREMRANGEBYRANK', KEYS[i], 0, cap)
end
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
        self._fan_out = client.register_script(_FAN_OUT)
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
        """Store each result and fan it out; True where it was new, False for a redelivery.

        Tweets with mentions by accounts of at most ``TT_FANOUT_MAX_FOLLOWERS`` followers are pushed into
        every follower's feed, ``TT_FANOUT_CHUNK`` followers per call; those of bigger accounts are pulled:
        written once to the author's timeline, merged into feeds when read. The fan-out runs on every
        delivery, not only the first, so one cut short by a crash is completed by the redelivery.
        """
        if not results:
            return []
        s = self.settings
        pushed_to = self._push_targets(sorted({handle(r.author) for r in results if r.tokens}))
        encoded = [encode(result) for result in results]  # stored and announced: the same bytes
        pipe = self.redis.pipeline(transaction=False)
        for result, raw in zip(results, encoded, strict=True):
            author = handle(result.author)
            bucket = int(result.created_at.timestamp() // s.trend_bucket)
            self._write_result(
                keys=[
                    self.keys.result(result.tweet_id),
                    self.keys.stats(),
                    self.keys.trend(bucket),
                    self.keys.timeline(author),
                    self.keys.pulled(),
                    self.keys.trend(bucket, author),
                    *(self.keys.mentions(sym) for sym in result.tokens),
                ],
                args=[
                    raw,
                    s.result_ttl,
                    position(result.tweet_id, result.created_at),
                    result.tweet_id,
                    s.mentions_cap,
                    s.feed_cap,
                    (bucket + 1) * s.trend_bucket + s.trend_retention,
                    int(pushed_to.get(author, []) is None),
                    author,
                    len(result.tokens),
                    *result.tokens,
                ],
                client=pipe,
            )
        for result, raw in zip(results, encoded, strict=True):
            if not result.tokens:
                continue
            author = handle(result.author)
            followers = pushed_to[author] or []
            args = [position(result.tweet_id, result.created_at), result.tweet_id, s.feed_cap]
            for first in range(0, len(followers), s.fanout_chunk):
                chunk = followers[first : first + s.fanout_chunk]
                self._fan_out(keys=[self.keys.feed(user) for user in chunk], args=args, client=pipe)
            # After the fan-out, so a subscriber that reads the feed on a message finds the item there.
            pipe.publish(self.keys.live(author), raw)
        return [bool(done) for done in pipe.execute()[: len(results)]]

    def _push_targets(self, authors: list[str]) -> dict[str, list[str] | None]:
        """Each author's followers to push to, or None for an author pulled (too many followers): their
        sets are only read for authors under the threshold, so no read grows with an account's reach."""
        pipe = self.redis.pipeline(transaction=False)
        for author in authors:
            pipe.scard(self.keys.followers(author))
        counts = dict(zip(authors, pipe.execute(), strict=True))
        targets: dict[str, list[str] | None] = {
            a: None if counts[a] > self.settings.fanout_max_followers else [] for a in authors
        }
        small = [a for a in authors if targets[a] is not None and counts[a]]
        pipe = self.redis.pipeline(transaction=False)
        for author in small:
            pipe.smembers(self.keys.followers(author))
        targets.update((a, sorted(m.decode() for m in members)) for a, members in zip(small, pipe.execute(), strict=True))
        return targets

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
        """Newest first: tweets with mentions from accounts ``user`` follows (pushed into the feed and
        merged from pulled accounts' timelines; the same answer either way).

        ``token``: only tweets mentioning this symbol. ``before``: page by tweet time (exclusive).
        """
        owner = checked_handle(user)
        sources = [self.keys.feed(owner), *map(self.keys.timeline, self.pulled_following(owner))]
        symbol = canonical_symbol(token) if token else None
        return [FeedItem.of(r) for r in self._newest(sources, limit, before, symbol)]

    def pulled_following(self, user: str) -> list[str]:
        """The pulled accounts (:meth:`workers.keys.Keys.pulled`) among those ``user`` follows."""
        following = self.following(user)
        if not following:
            return []
        flags = self.redis.smismember(self.keys.pulled(), following)
        return [account for account, pulled in zip(following, flags, strict=True) if pulled]

    def mentions(self, symbol: str, limit: int = 50, before: datetime | None = None) -> list[ExtractionResult]:
        """Newest first: processed tweets that mention ``symbol``."""
        return self._newest([self.keys.mentions(canonical_symbol(symbol))], limit, before)

    def trending(
        self,
        window: timedelta = timedelta(hours=1),
        limit: int = 10,
        now: datetime | None = None,
        user: str | None = None,
    ) -> list[tuple[str, int]]:
        """Symbols by number of tweets mentioning them in the last ``window`` of tweet time.

        ``user``: count only tweets in that user's feed.
        """
        return self.window_counts(window, now=now, user=user).most_common(limit)

    def window_counts(
        self, window: timedelta, now: datetime | None = None, user: str | None = None, back: int = 0
    ) -> Counter[str]:
        """Tweets per symbol in a window of tweet time, as whole trend buckets.

        ``now``: the window's end (default: now); ``back``: how many windows earlier (1 = the window
        before, to compare with); ``user``: only tweets in that user's feed — what its pushed part still
        holds (the newest ``TT_FEED_CAP``), plus every tweet of the pulled accounts the user follows.
        """
        step = self.settings.trend_bucket
        width = max(1, int(window.total_seconds() // step))
        if (back + 1) * width * step > self.settings.trend_retention:
            raise ValueError(
                f"window {window} reaches past the {self.settings.trend_retention // 3600} h of trending kept "
                "(TT_TREND_RETENTION)" + (" for the window before it too" if back else "")
            )
        end = int((now or datetime.now(timezone.utc)).timestamp() // step) - back * width
        buckets = range(end - width + 1, end + 1)
        owner = checked_handle(user) if user else None
        counted: list[str | None] = [None] if owner is None else [*self.pulled_following(owner)]
        keys = [self.keys.trend(bucket, account) for account in counted for bucket in buckets]
        # One ZUNION: Redis sums the buckets (thousands, for a user following hundreds of pulled accounts).
        summed = self.redis.zunion(keys, withscores=True) if keys else []
        counts = Counter({symbol.decode(): int(score) for symbol, score in summed})
        if owner is not None:
            counts.update(self._pushed_counts(owner, buckets.start * step, buckets.stop * step))
        return counts

    def _pushed_counts(self, user: str, start_s: int, end_s: int) -> Counter[str]:
        """Tweets per symbol among those pushed into ``user``'s feed with a time in [start_s, end_s)."""
        ids = self.redis.zrangebyscore(self.keys.feed(user), start_s * 1_000_000, f"({end_s * 1_000_000}")
        counts: Counter[str] = Counter()
        for first in range(0, len(ids), 500):
            raws = self.redis.mget([self.keys.result(i.decode()) for i in ids[first : first + 500]])
            # Only the tokens are needed: orjson alone is 3.5× cheaper than validating the whole result.
            counts.update(symbol for raw in raws if raw is not None for symbol in orjson.loads(raw)["tokens"])
        return counts

    def stats(self) -> dict[str, int]:
        """Counters: tweets, tweets_with_mentions, mentions, dead_letters."""
        raw = self.redis.hgetall(self.keys.stats())
        return {k.decode(): int(v) for k, v in raw.items()}

    def _newest(
        self, sources: list[str], limit: int, before: datetime | None, symbol: str | None = None
    ) -> list[ExtractionResult]:
        """Newest first across the ``sources`` zsets (each tweet once), optionally only those mentioning
        ``symbol``. Pages of ``limit`` entries (at least 100 when filtering) are read from each source and
        merged by score."""
        found: list[ExtractionResult] = []
        top = f"({_micros(before)}" if before else "+inf"
        while len(found) < limit:
            page = limit - len(found) if symbol is None else max(limit, 100)
            pipe = self.redis.pipeline(transaction=False)
            for key in sources:
                pipe.zrevrangebyscore(key, top, "-inf", start=0, num=page, withscores=True)
            merged = {member: score for entries in pipe.execute() for member, score in entries}
            entries = sorted(merged.items(), key=lambda entry: -entry[1])[:page]
            if not entries:
                break
            raws = self.redis.mget([self.keys.result(i.decode()) for i, _ in entries])
            results = (decode(ExtractionResult, raw) for raw in raws if raw is not None)
            found.extend(r for r in results if symbol is None or symbol in r.tokens)
            # Results outlive their entries only by TT_RESULT_TTL: drop the expired ones for good, so
            # a page is only short at the real end of the listing.
            if expired := [i for (i, _), raw in zip(entries, raws, strict=True) if raw is None]:
                pipe = self.redis.pipeline(transaction=False)
                for key in sources:
                    pipe.zrem(key, *expired)
                pipe.execute()
            top = f"({int(entries[-1][1])}"
        return found[:limit]
