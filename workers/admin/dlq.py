"""`tickertape dlq show|replay`: read the dead-letter topic and send what now parses back to ``tweets``.

Replay is for after a fix: a field mapping (``--text-field content``), a schema or extractor bug.
Each payload goes through the same :class:`~workers.ingest.files.RecordMapper` as ingest, so the ids
come out as ingest would have made them; replaying twice is harmless because a worker stores
each tweet id once. Dead letters stay on the topic (Kafka has no delete): replay reads all of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson
from kafka import KafkaConsumer, TopicPartition
from pydantic import ValidationError

from schemas import DeadLetter, Tweet, decode, explain
from workers.ingest.files import FieldMap, RecordMapper
from workers.ingest.producer import TweetProducer
from workers.settings import Settings


@dataclass
class ReplayReport:
    """What a replay did: ``failing`` counts letters that still fail, by the first words of the reason."""

    replayed: int = 0
    failing: Counter[str] = field(default_factory=Counter)


def dead_letters(settings: Settings, poll_ms: int = 1000) -> Iterator[DeadLetter]:
    """Every dead letter on ``TT_DLQ_TOPIC`` up to its end when called (then stops).

    Reads without a consumer group (nothing committed): every call sees the whole topic.
    A message that is not a DeadLetter is skipped (nothing but tickertape writes there).
    """
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap, enable_auto_commit=False, client_id="tickertape-dlq")
    try:
        partitions = consumer.partitions_for_topic(settings.dlq_topic) or set()
        tps = [TopicPartition(settings.dlq_topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            for records in consumer.poll(timeout_ms=poll_ms).values():
                for record in records:
                    if record.offset >= ends[TopicPartition(record.topic, record.partition)]:
                        continue  # arrived after the call: left for the next one
                    try:
                        yield decode(DeadLetter, record.value)
                    except (orjson.JSONDecodeError, ValidationError):
                        continue
    finally:
        consumer.close()


def to_tweet(letter: DeadLetter, mapper: RecordMapper) -> Tweet:
    """The tweet in ``letter``'s payload under ``mapper``'s field map; raises ValueError/ValidationError.

    Ingest-stage letters come from files ('name.jsonl:12') whose ids ingest prefixed with the file
    name (ingest's default; a custom ``--id-prefix`` is not recorded). Worker-stage payloads
    already carry final ids.
    """
    record = orjson.loads(letter.payload)  # JSONDecodeError is a ValueError
    if not isinstance(record, dict):
        raise ValueError("not JSON: not an object")
    prefix = Path(letter.source.rsplit(":", 1)[0]).stem if letter.stage == "ingest" else ""
    return replace(mapper, id_prefix=prefix).tweet(record, letter.source)


def replay(settings: Settings, fields: FieldMap | None = None, default_author: str | None = None) -> ReplayReport:
    """Send every dead letter that now maps to a tweet to ``TT_TWEETS_TOPIC``; count the rest."""
    mapper = RecordMapper(fields or FieldMap(), default_author=default_author)
    report = ReplayReport()
    producer = TweetProducer(settings)
    try:
        for letter in dead_letters(settings):
            try:
                producer.send(to_tweet(letter, mapper))
                report.replayed += 1
            except (ValueError, ValidationError) as exc:
                report.failing[explain(exc).split(":", 1)[0]] += 1
        producer.flush()
    finally:
        producer.close()
    return report
