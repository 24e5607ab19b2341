from datetime import datetime, timezone

import orjson
import pytest
from pydantic import ValidationError

from schemas import SCHEMA_VERSION, ExtractionResult, MentionKind, TokenMention, Tweet, canonical_symbol, decode, encode, explain


def _tweet(**overrides: object) -> Tweet:
    fields = {"id": "1", "author": "@Alice", "text": "long $BTC", "created_at": "2025-01-02T03:04:05Z"}
    return Tweet.model_validate({**fields, **overrides})


def test_tweet_round_trips_through_orjson() -> None:
    tweet = _tweet()
    again = decode(Tweet, encode(tweet))
    assert again == tweet
    assert again.author == "Alice"
    assert again.created_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert orjson.loads(encode(tweet))["schema_version"] == SCHEMA_VERSION


def test_naive_times_are_utc() -> None:
    assert _tweet(created_at="2025-01-02T03:04:05").created_at.tzinfo == timezone.utc


def test_result_lists_each_symbol_once_in_order_of_first_mention() -> None:
    mentions = [
        TokenMention(symbol="ETH", text="$ETH", start=0, end=4, kind=MentionKind.CASHTAG),
        TokenMention(symbol="BTC", text="bitcoin", start=9, end=16, kind=MentionKind.NAME),
        TokenMention(symbol="ETH", text="以太坊", start=20, end=23, kind=MentionKind.ZH_NAME),
    ]
    result = ExtractionResult.of(_tweet(), mentions, "rules-v1")
    assert result.tokens == ["ETH", "BTC"]
    assert decode(ExtractionResult, encode(result)) == result


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "not JSON"),
        (b'{"id": "1", "author": "a", "created_at": "2025-01-01T00:00:00Z"}', "invalid tweet: text: Field required"),
        (b'{"id": "1", "author": "a", "text": "", "created_at": "2025-01-01T00:00:00Z"}', "invalid tweet: text"),
        (b'{"id": "1", "author": "a", "text": "x", "created_at": "yesterday"}', "invalid tweet: created_at"),
    ],
)
def test_bad_records_explain_themselves(payload: bytes, reason: str) -> None:
    with pytest.raises((ValidationError, orjson.JSONDecodeError)) as caught:
        decode(Tweet, payload)
    assert explain(caught.value).startswith(reason)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("btc", "BTC"),
        ("ca:0xAbC0000000000000000000000000000000000001", "CA:0xabc0000000000000000000000000000000000001"),
        ("CA:7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr", "CA:7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr"),
    ],
)
def test_canonical_symbol_keeps_solana_case(written: str, stored: str) -> None:
    assert canonical_symbol(written) == stored


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"schema_version": 99}, "unsupported schema_version 99"),
        ({"created_at": "0001-01-01T00:00:00Z"}, "not a plausible tweet time"),
        ({"created_at": "2999-01-01T00:00:00Z"}, "not a plausible tweet time"),
    ],
)
def test_unknown_versions_and_impossible_times_are_bad_records(overrides: dict[str, object], reason: str) -> None:
    raw = orjson.dumps({"id": "1", "author": "a", "text": "long $BTC", "created_at": "2025-01-02T03:04:05Z", **overrides})
    with pytest.raises(ValidationError) as failed:
        decode(Tweet, raw)
    assert reason in explain(failed.value)
