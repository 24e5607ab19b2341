"""The pydantic models behind every topic message and Redis value."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1
#: The first tweet was posted on 2006-03-21; a clock a day fast is tolerated, more is a bad record.
FIRST_TWEET = datetime(2006, 3, 21, tzinfo=timezone.utc)
FUTURE_SLACK = timedelta(days=1)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class _Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_version: int = SCHEMA_VERSION


class Tweet(_Contract):
    """One post on the ``tweets`` topic, keyed by ``author``."""

    id: str = Field(min_length=1, max_length=128, description="Source id, unique per tweet.")
    author: str = Field(min_length=1, max_length=128, description="Account handle, without '@'.")
    text: str = Field(min_length=1, max_length=10_000)
    created_at: datetime = Field(description="When the author posted it (UTC).")
    source: str = Field(default="unknown", description="Where the ingestor got it: 'file:line', 'firehose', 'x-stream', 'x-timeline'.")
    ingested_at: datetime = Field(default_factory=utcnow, description="When the ingestor produced it.")

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        # A record of a format this reader does not know is reported, not half-read.
        if value != SCHEMA_VERSION:
            raise ValueError(f"unsupported schema_version {value} (this reader knows {SCHEMA_VERSION})")
        return value

    @field_validator("author")
    @classmethod
    def _strip_at(cls, value: str) -> str:
        return value.lstrip("@")

    @field_validator("created_at", "ingested_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

    @field_validator("created_at")
    @classmethod
    def _plausible(cls, value: datetime) -> datetime:
        # A tweet from before Twitter or from the future would get a trending bucket that is expired
        # on creation or never read: it is a bad record.
        if not FIRST_TWEET <= value <= utcnow() + FUTURE_SLACK:
            raise ValueError(f"created_at {value.isoformat()} is not a plausible tweet time")
        return value


class MentionKind(StrEnum):
    """How a mention was written, which is also how much context it needed."""

    CASHTAG = "cashtag"  # $BTC
    HASHTAG = "hashtag"  # #bitcoin
    TICKER = "ticker"  # BTC without a sigil
    NAME = "name"  # Bitcoin, doge, Shiba Inu
    ZH_NAME = "zh_name"  # 比特币, 大饼
    CONTRACT = "contract"  # 0x… or a Solana mint


class TokenMention(_Contract):
    """One span of a tweet that names a crypto asset, resolved to its canonical symbol."""

    schema_version: int = Field(default=SCHEMA_VERSION, exclude=True)
    symbol: str = Field(description="Canonical upper-case ticker, or 'CA:<address>' for an unnamed contract.")
    text: str = Field(description="The span as written in the tweet.")
    start: int = Field(ge=0, description="Character offset of the span in the tweet text.")
    end: int = Field(ge=0, description="Offset one past the span's last character.")
    kind: MentionKind
    asset_id: str | None = Field(default=None, description="CoinGecko id when the registry knows it.")
    score: float = Field(default=1.0, ge=0.0, le=1.0, description="Backend confidence.")


class ExtractionResult(_Contract):
    """What a worker decided about one tweet; the message format of ``token-mentions``."""

    tweet_id: str
    author: str
    text: str
    created_at: datetime
    ingested_at: datetime
    processed_at: datetime = Field(default_factory=utcnow)
    tokens: list[str] = Field(description="Distinct symbols in order of first mention.")
    mentions: list[TokenMention]
    backend: str = Field(description="Extractor that produced it, with its version.")

    @classmethod
    def of(cls, tweet: Tweet, mentions: list[TokenMention], backend: str) -> ExtractionResult:
        return cls(
            tweet_id=tweet.id,
            author=tweet.author,
            text=tweet.text,
            created_at=tweet.created_at,
            ingested_at=tweet.ingested_at,
            tokens=distinct_symbols(mentions),
            mentions=mentions,
            backend=backend,
        )


class FeedItem(_Contract):
    """One entry of a user's feed: a followed account's tweet and the tokens it names."""

    tweet_id: str
    author: str
    text: str
    created_at: datetime
    tokens: list[str]
    mentions: list[TokenMention]

    @classmethod
    def of(cls, result: ExtractionResult) -> FeedItem:
        return cls(
            tweet_id=result.tweet_id,
            author=result.author,
            text=result.text,
            created_at=result.created_at,
            tokens=result.tokens,
            mentions=result.mentions,
        )


#: Most characters of a record a dead letter carries: a letter must always fit in a Kafka message
#: (1 MB by default), whatever it is about, or the record it reports could never be passed over.
DEAD_LETTER_PAYLOAD_MAX = 64 * 1024


class DeadLetter(_Contract):
    """A record that could not be processed, on ``tweets.dlq``, with why."""

    stage: Literal["ingest", "worker"]
    reason: str = Field(description="Human-readable cause, e.g. the validation error.")
    payload: str = Field(description="The offending record as received (decoded as UTF-8, replacement chars for "
                         f"bad bytes), its first {DEAD_LETTER_PAYLOAD_MAX:,} characters when longer.")
    source: str = Field(description="File and line, or topic/partition/offset, it came from.")
    failed_at: datetime = Field(default_factory=utcnow)
    payload_bytes: int | None = Field(default=None, description="The record's full size in bytes, when the payload was cut.")
    payload_sha256: str | None = Field(default=None, description="SHA-256 of the full record, when the payload was cut.")

    @classmethod
    def of(cls, stage: Literal["ingest", "worker"], reason: str, raw: bytes | str, source: str) -> DeadLetter:
        """The dead letter of record ``raw``, its payload cut to :data:`DEAD_LETTER_PAYLOAD_MAX` characters
        (with the full size and hash kept) so that the letter always fits where the record did not."""
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        if len(text) <= DEAD_LETTER_PAYLOAD_MAX:
            return cls(stage=stage, reason=reason, payload=text, source=source)
        data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
        return cls(
            stage=stage, reason=reason, payload=text[:DEAD_LETTER_PAYLOAD_MAX], source=source,
            payload_bytes=len(data), payload_sha256=hashlib.sha256(data).hexdigest(),
        )


def distinct_symbols(mentions: list[TokenMention]) -> list[str]:
    """Symbols of ``mentions`` without repeats, in order of first appearance."""
    return list(dict.fromkeys(m.symbol for m in mentions))


def normal_address(address: str) -> str:
    """A contract address as it is compared and stored: an EVM ``0x`` address lower-cased (hex is
    case-blind), a Solana mint as written (base58 is case-sensitive)."""
    return address.lower() if address[:2].lower() == "0x" else address


def contract_symbol(address: str) -> str:
    """The symbol of a contract no token name claims (LABELING.md): ``CA:<address>``."""
    return f"CA:{normal_address(address)}"


def canonical_symbol(symbol: str) -> str:
    """``symbol`` as results carry it (LABELING.md): tickers upper-cased; an unnamed contract as
    :func:`contract_symbol` writes it."""
    head, sep, address = symbol.strip().partition(":")
    if sep and head.upper() == "CA":
        return contract_symbol(address)
    return symbol.strip().upper()
