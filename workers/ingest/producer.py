"""The ingestors' producer: tweets and ingest-stage dead letters onto Kafka (kafka-python).

Records are keyed by author so one account's tweets stay in order on one partition. Sends are
batched (``linger_ms``) and acknowledged by all in-sync replicas (``acks='all'``). A record that is
not a valid tweet goes to the dead-letter topic with the reason and is counted, never dropped.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TypeVar

from kafka import KafkaProducer
from pydantic import ValidationError

from schemas import DeadLetter, Tweet, encode, explain
from workers.ingest.files import InputRecord, RecordMapper
from workers.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class IngestCounts:
    """What an ingest run did; ``reasons`` counts dead letters by the first words of their reason."""

    sent: int = 0
    dead_letters: int = 0
    failed: int = 0  # sends Kafka did not acknowledge (after the producer's retries)
    reasons: Counter[str] = field(default_factory=Counter)


T = TypeVar("T")


def paced(items: Iterable[T], rate: float) -> Iterator[T]:
    """``items`` at most ``rate`` per second on average (all at once when ``rate`` <= 0)."""
    started = time.perf_counter()
    for n, item in enumerate(items):
        if rate > 0 and (ahead := n / rate - (time.perf_counter() - started)) > 0:
            time.sleep(ahead)
        yield item


class TweetProducer:
    """kafka-python producer of tweets and ingest-stage dead letters."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.counts = IngestCounts()
        self._producer = KafkaProducer(
            bootstrap_servers=settings.bootstrap,
            acks="all",
            linger_ms=10,
            batch_size=256 * 1024,
            retries=10,
            # More than one request in flight lets a retry overtake: an author's tweets would reorder.
            max_in_flight_requests_per_connection=1,
            client_id="tickertape-ingest",
        )

    def send(self, tweet: Tweet) -> None:
        """Queue ``tweet`` keyed by its author, stamped with the send time (end-to-end latency starts here)."""
        tweet = tweet.model_copy(update={"ingested_at": datetime.now(timezone.utc)})
        self._producer.send(self.settings.tweets_topic, key=tweet.author.encode(), value=encode(tweet)).add_errback(
            self._failed
        )
        self.counts.sent += 1

    def dead_letter(self, payload: str, reason: str, source: str) -> None:
        """Queue a dead letter for a record that is not a tweet."""
        letter = DeadLetter.of("ingest", reason, payload, source)
        self._producer.send(self.settings.dlq_topic, key=source.encode(), value=encode(letter)).add_errback(self._failed)
        self.counts.dead_letters += 1
        self.counts.reasons[reason.split(":", 1)[0]] += 1

    def ingest(self, records: Iterable[InputRecord], mapper: RecordMapper, rate: float = 0.0) -> IngestCounts:
        """Send every record as a tweet or a dead letter, then flush. ``rate`` > 0 paces sends (records/s)."""
        for item in paced(records, rate):
            if item.record is None:
                self.dead_letter(item.raw, item.error or "unreadable", item.source)
                continue
            try:
                self.send(mapper.tweet(item.record, item.source))
            except (ValueError, ValidationError) as exc:
                self.dead_letter(item.raw, explain(exc), item.source)
        self.flush()
        return self.counts

    def stream(self, tweets: Iterable[Tweet], rate: float = 0.0) -> IngestCounts:
        """Send ready-made tweets (the firehose), then flush. ``rate`` > 0 paces sends (tweets/s)."""
        for tweet in paced(tweets, rate):
            self.send(tweet)
        self.flush()
        return self.counts

    def flush(self) -> None:
        """Block until every queued send is acknowledged or failed (failures land in ``counts.failed``)."""
        self._producer.flush()

    def _failed(self, exc: BaseException) -> None:
        # flush() returns either way: without this a rejected record would vanish unnoticed.
        self.counts.failed += 1
        log.error("send failed: %r", exc)

    def close(self) -> None:
        self._producer.close()
