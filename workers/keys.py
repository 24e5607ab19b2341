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

    def feed(self, user: str) -> str:
        """ZSET tweet id → position (tweet time, see ``store.position``): tweets with mentions of the pushed
        accounts ``user`` follows (pulled accounts' tweets are merged in from :meth:`timeline` when read)."""
        return f"{self.prefix}:feed:{user}"

    def timeline(self, account: str) -> str:
        """ZSET tweet id → position: the tweets with mentions of a pulled ``account`` (one with more than
        ``TT_FANOUT_MAX_FOLLOWERS`` followers when it tweeted), written once instead of to every follower."""
        return f"{self.prefix}:timeline:{account}"

    def pulled(self) -> str:
        """SET of accounts with a :meth:`timeline`: those whose tweets were ever pulled, not pushed."""
        return f"{self.prefix}:pulled"

    def mentions(self, symbol: str) -> str:
        """ZSET tweet id → position (tweet time): every processed tweet that mentions ``symbol``."""
        return f"{self.prefix}:mentions:{symbol}"

    def trend(self, bucket: int, account: str | None = None) -> str:
        """ZSET symbol → tweets mentioning it in time bucket ``bucket`` (tweet time // bucket seconds):
        all tweets, or only a pulled ``account``'s (per-user trending adds those of the pulled accounts a
        user follows to what the user's feed holds)."""
        return f"{self.prefix}:trend:{bucket}" if account is None else f"{self.prefix}:trend:{bucket}:@{account}"

    def live(self, account: str) -> str:
        """Pub/sub CHANNEL: each result with mentions by ``account``, as ExtractionResult JSON, published
        once its fan-out is written (the API's live stream listens to the channels of a user's follows)."""
        return f"{self.prefix}:live:{account}"

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
