"""BatchProcessor against the real Redis, with the rule-based extractor."""

import hashlib
from collections.abc import Sequence
from datetime import datetime, timezone

import pytest

from model.extractor import load_extractor
from schemas import DEAD_LETTER_PAYLOAD_MAX, TokenMention, Tweet, encode
from workers.pipeline import BatchProcessor, RawRecord, parse_tweet
from workers.store import FeedStore

pytestmark = pytest.mark.integration


def raw(tweet_id: str, text: str, offset: int) -> RawRecord:
    tweet = Tweet(id=tweet_id, author="a", text=text, created_at=datetime.now(timezone.utc))
    return RawRecord(encode(tweet), f"tweets/0/{offset}")


class Fussy:
    """An extractor that fails on one text, as a model might on a pathological input."""

    name = "fussy"

    def extract_batch(self, texts: Sequence[str]) -> list[list[TokenMention]]:
        if any("boom" in t for t in texts):
            raise RuntimeError("boom")
        return load_extractor("rules").extract_batch(texts)


def test_batch_becomes_results_and_dead_letters(store: FeedStore) -> None:
    records = [raw("1", "long $BTC", 0), RawRecord(b"{oops", "tweets/0/1"), raw("2", "coffee time", 2)]
    outcome = BatchProcessor(load_extractor("rules"), store).process(records)
    assert [r.tweet_id for r in outcome.results] == ["1", "2"]
    assert [r.tokens for r in outcome.results] == [["BTC"], []]
    assert outcome.new == 2
    assert [r.tweet_id for r in outcome.to_publish] == ["1"]
    (letter,) = outcome.dead_letters
    assert (letter.source, letter.payload, letter.reason[:8]) == ("tweets/0/1", "{oops", "not JSON")


def test_redelivery_is_idempotent(store: FeedStore) -> None:
    processor = BatchProcessor(load_extractor("rules"), store)
    records = [raw("1", "long $BTC", 0), RawRecord(b"[]", "tweets/0/1")]
    first = processor.process(records)
    store.mark_sent([store.keys.published("1")], ["tweets/0/1"])
    again = processor.process(records)
    assert (again.new, again.to_publish, again.dead_letters) == (0, [], [])
    assert first.new == 1
    assert store.stats()["tweets"] == 1


def test_a_tweet_that_breaks_the_extractor_is_dead_lettered_alone(store: FeedStore) -> None:
    records = [raw("1", "long $ETH", 0), raw("2", "boom", 1), raw("3", "short $SOL", 2)]
    outcome = BatchProcessor(Fussy(), store).process(records)
    assert [r.tokens for r in outcome.results] == [["ETH"], ["SOL"]]
    (letter,) = outcome.dead_letters
    assert letter.source == "tweets/0/1" and "boom" in letter.reason


def test_empty_records_are_dead_letters(store: FeedStore) -> None:
    outcome = BatchProcessor(load_extractor("rules"), store).process([RawRecord(None, "tweets/0/7")])
    assert [(d.reason, d.source) for d in outcome.dead_letters] == [("empty record (no value)", "tweets/0/7")]


class Broken:
    """An extractor that has lost its device: it fails on everything."""

    name = "broken"

    def extract_batch(self, texts: Sequence[str]) -> list[list[TokenMention]]:
        raise RuntimeError("CUDA out of memory")


def test_an_extractor_failing_on_every_tweet_fails_the_batch(store: FeedStore) -> None:
    with pytest.raises(RuntimeError, match="failed on every tweet"):
        BatchProcessor(Broken(), store).process([raw("1", "long $ETH", 0), raw("2", "short $SOL", 1)])
    assert store.stats() == {}  # nothing stored: the batch is retried whole


def test_a_dead_letter_always_fits_a_kafka_message() -> None:
    """400 KB of invalid UTF-8 decodes to 1.2 MB of replacement characters: the letter carries the first
    64 K of them, with the record's full size and hash, so it is far below Kafka's 1 MB limit."""
    raw = b"\xff\xfe" * 200_000
    letter = parse_tweet(RawRecord(raw, "tweets/0/7"))
    assert letter.source == "tweets/0/7" and letter.reason.startswith("not JSON")
    assert len(letter.payload) == DEAD_LETTER_PAYLOAD_MAX and len(encode(letter)) < 300_000
    assert (letter.payload_bytes, letter.payload_sha256) == (len(raw), hashlib.sha256(raw).hexdigest())
    small = parse_tweet(RawRecord(b"{not json", "tweets/0/8"))
    assert small.payload == "{not json" and small.payload_bytes is None
