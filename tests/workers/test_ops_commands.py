"""`tickertape lag` and `tickertape dlq` on the real Kafka, and the metrics recorder."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata
from prometheus_client import REGISTRY

from schemas import DeadLetter, ExtractionResult, Tweet, decode, encode
from workers import metrics
from workers.admin.dlq import dead_letters, replay
from workers.admin.lag import consumer_lag
from workers.admin.topics import ensure_topics
from workers.ingest.files import FieldMap
from workers.ingest.firehose import Firehose
from workers.ingest.producer import TweetProducer
from workers.settings import Settings


def read_all(settings: Settings, topic: str) -> list[bytes]:
    consumer = KafkaConsumer(topic, bootstrap_servers=settings.bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=2000)
    try:
        return [m.value for m in consumer]
    finally:
        consumer.close()


@pytest.mark.integration
def test_lag_counts_from_the_committed_offset(settings: Settings) -> None:
    ensure_topics(settings)
    producer = TweetProducer(settings)
    producer.stream(Firehose(accounts=8, run="lag").tweets(40))
    producer.close()
    assert sum(r.lag for r in consumer_lag(settings)) == 40  # nothing committed: all of it

    group = KafkaConsumer(bootstrap_servers=settings.bootstrap, group_id=settings.worker_group, enable_auto_commit=False)
    busiest = max(consumer_lag(settings), key=lambda r: r.end)
    group.commit({TopicPartition(settings.tweets_topic, busiest.partition): OffsetAndMetadata(busiest.end - 1, "", -1)})
    group.close()
    rows = {r.partition: r for r in consumer_lag(settings)}
    assert rows[busiest.partition].committed == busiest.end - 1
    assert rows[busiest.partition].lag == 1
    assert sum(r.lag for r in rows.values()) == 40 - busiest.end + 1


@pytest.mark.integration
def test_dlq_replay_resends_what_now_parses(settings: Settings) -> None:
    ensure_topics(settings)
    good = Tweet(id="w1", author="alice", text="$BTC", created_at=datetime(2025, 1, 1, tzinfo=timezone.utc))
    producer = TweetProducer(settings)
    # A file whose text field is called 'content', a line that is no JSON, a tweet the extractor broke on.
    producer.dead_letter('{"id": "7", "author": "bob", "content": "ETH up", "created_at": "2025-01-02T00:00:00Z"}',
                         "invalid tweet: text: Field required", "dump.jsonl:7")
    producer.dead_letter("{broken", "not JSON: unexpected character", "dump.jsonl:8")
    producer.close()
    raw = KafkaProducer(bootstrap_servers=settings.bootstrap, acks="all")
    letter = DeadLetter(stage="worker", reason="extractor failed", payload=good.model_dump_json(), source="tweets/0/5")
    raw.send(settings.dlq_topic, value=encode(letter))
    raw.close()
    assert [d.source for d in sorted(dead_letters(settings), key=lambda d: d.source)] == [
        "dump.jsonl:7", "dump.jsonl:8", "tweets/0/5"]

    first = replay(settings)  # the extractor is fixed: the worker-stage tweet goes back
    assert first.replayed == 1 and sum(first.failing.values()) == 2
    second = replay(settings, FieldMap(text="content"))  # the mapping is fixed too
    # One field map per run: the worker-stage payload has no 'content' (it went back already).
    assert second.replayed == 1 and second.failing == {"not JSON": 1, "invalid tweet": 1}

    tweets = [decode(Tweet, v) for v in read_all(settings, settings.tweets_topic)]
    assert sorted((t.id, t.text) for t in tweets) == [("dump:7", "ETH up"), ("w1", "$BTC")]


def test_metrics_record_batches_and_lag() -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = sample("tickertape_tweets_processed_total"), sample("tickertape_end_to_end_seconds_count")
    now = datetime.now(timezone.utc)
    result = ExtractionResult(tweet_id="1", author="a", text="x", created_at=now, ingested_at=now,
                              tokens=[], mentions=[], backend="rules")
    metrics.record_batch(3, 0.01, [result, result], dead_letters=1)
    assert sample("tickertape_tweets_processed_total") == before[0] + 2
    assert sample("tickertape_end_to_end_seconds_count") == before[1] + 2
    metrics.set_lag({("tweets", 3): 5})
    metrics.set_lag({("tweets", 4): 7})  # partition 3 was revoked: its gauge goes
    assert sample("tickertape_consumer_lag", topic="tweets", partition="4") == 7
    assert REGISTRY.get_sample_value("tickertape_consumer_lag", {"topic": "tweets", "partition": "3"}) is None
