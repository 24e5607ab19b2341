"""Every Redis key tickertape reads or writes, in one place (see the README's key schema)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    """Key names under ``prefix``. Handles and symbols are case-folded by the callers."""

    prefix: str = "tt"

    def result(self, tweet_id: str) -> str:
        """STRING: the tweet's ExtractionResult JSON. Written once (SET NX): the idempotency marker."""
        return f"{self.prefix}:tweet:{tweet_id}"

    def published(self, tweet_id: str) -> str:
        """STRING: set once the tweet's token-mentions message is acknowledged by Kafka."""
        return f"{self.prefix}:published:{tweet_id}"

    def dead_letter(self, source: str) -> str:
        """STRING: set once a dead letter for ``source`` (topic/partition/offset) is sent."""
        return f"{self.prefix}:dlq:{source}"

    def followers(self, account: str) -> str:
        """SET of users following ``account`` (read by the fan-out on write)."""
        return f"{self.prefix}:followers:{account}"

    def all_followers(self) -> str:
        """SCAN pattern matching every :meth:`followers` key: the accounts someone follows."""
        return f"{self.prefix}:followers:*"

    def following(self, user: str) -> str:
        """SET of accounts ``user`` follows."""
        return f"{self.prefix}:following:{user}"

    def feed(self, user: str, symbol: str | None = None) -> str:
        """ZSET tweet id → position (tweet time, see ``store.position``): the user's feed, or its part that mentions ``symbol``."""
        return f"{self.prefix}:feed:{user}" if symbol is None else f"{self.prefix}:feed:{user}:{symbol}"

    def mentions(self, symbol: str) -> str:
        """ZSET tweet id → position (tweet time): every processed tweet that mentions ``symbol``."""
        return f"{self.prefix}:mentions:{symbol}"

    def trend(self, bucket: int, user: str | None = None) -> str:
        """ZSET symbol → tweets mentioning it in time bucket ``bucket`` (tweet time // bucket seconds):
        all tweets, or only those fanned out to ``user``'s feed."""
        return f"{self.prefix}:trend:{bucket}" if user is None else f"{self.prefix}:trend:{bucket}:{user}"

    def live(self, user: str) -> str:
        """Pub/sub CHANNEL: each result added to ``user``'s feed, as ExtractionResult JSON, published
        by the write script once it is in the feed (read by the API's live stream)."""
        return f"{self.prefix}:live:{user}"

    def x_stream_heard(self) -> str:
        """STRING: unix time the X stream ingestor last read a post, so a restart backfills the gap."""
        return f"{self.prefix}:x:stream:heard"

    def x_since_id(self) -> str:
        """HASH handle → id of the newest post of that account the timeline poller sent (and Kafka took)."""
        return f"{self.prefix}:x:since_id"

    def x_user_ids(self) -> str:
        """HASH handle → X user id, looked up once by the timeline poller."""
        return f"{self.prefix}:x:user_ids"

    def stats(self) -> str:
        """HASH of counters: tweets, tweets_with_mentions, mentions, dead_letters."""
        return f"{self.prefix}:stats"
