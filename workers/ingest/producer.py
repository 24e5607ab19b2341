"""The ingestors' producer: tweets and ingest-stage dead letters onto Kafka (kafka-python).

Records are keyed by author so one account's tweets stay in order on one partition. Sends are
batched (``linger_ms``) and acknowledged by all in-sync replicas (``acks='all'``). A record that is
not a valid tweet goes to the dead-letter topic with the reason and is counted, never dropped.

Every queued record is held until Kafka acknowledges it. One that Kafka does not acknowledge within
``ingest_delivery_timeout`` (a broker outage longer than that) is written to the run's spill file
(:mod:`workers.ingest.spill`) with its id and reason, and counted as failed: nothing read is lost,
and no outage, however long, leaves the ingestor waiting for good.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple, TypeVar

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError
from pydantic import ValidationError

from schemas import DeadLetter, Tweet, encode, explain
from workers.ingest.files import InputRecord, RecordMapper
from workers.ingest.spill import SpilledRecord, SpillFile, read_spill
from workers.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class IngestCounts:
    """What an ingest run did; ``reasons`` counts dead letters by the first words of their reason."""

    sent: int = 0
    dead_letters: int = 0
    failed: int = 0  # records Kafka did not acknowledge in time: each is in the spill file
    replayed: int = 0  # records sent again from a spill file
    reasons: Counter[str] = field(default_factory=Counter)


T = TypeVar("T")


def paced(items: Iterable[T], rate: float) -> Iterator[T]:
    """``items`` at most ``rate`` per second on average (all at once when ``rate`` <= 0)."""
    started = time.perf_counter()
    for n, item in enumerate(items):
        if rate > 0 and (ahead := n / rate - (time.perf_counter() - started)) > 0:
            time.sleep(ahead)
        yield item


#: Seconds a flush waits beyond the delivery timeout: the producer's own expiry should fire first.
_FLUSH_MARGIN = 30.0
#: Failed sends logged one by one; the rest are only counted (all of them are in the spill file).
_LOGGED_FAILURES = 5


class _Queued(NamedTuple):
    topic: str
    key: str
    value: bytes
    record_id: str


class TweetProducer:
    """kafka-python producer of tweets and ingest-stage dead letters, spilling what Kafka does not take."""

    def __init__(self, settings: Settings, spill: SpillFile | None = None) -> None:
        self.settings = settings
        self.counts = IngestCounts()
        self.spill = spill or SpillFile.for_run(settings.spill_dir or settings.run_dir / "spill")
        # Queued records by sequence number until Kafka acknowledges (or fails) them.
        self._pending: dict[int, _Queued] = {}
        self._sequence = itertools.count()
        self._lock = threading.Lock()  # failures arrive on the network thread and the caller's
        self._stuck = False  # a flush timed out: kafka-python will not finish those batches
        delivery_ms = int(settings.ingest_delivery_timeout * 1000)
        self._producer = KafkaProducer(
            bootstrap_servers=settings.bootstrap,
            acks="all",
            linger_ms=10,
            batch_size=256 * 1024,
            retries=10,
            delivery_timeout_ms=delivery_ms,
            request_timeout_ms=min(30_000, max(1_000, delivery_ms // 2)),
            # More than one request in flight lets a retry overtake: an author's tweets would reorder.
            max_in_flight_requests_per_connection=1,
            client_id="tickertape-ingest",
        )

    def send(self, tweet: Tweet) -> None:
        """Queue ``tweet`` keyed by its author, stamped with the send time (end-to-end latency starts here)."""
        tweet = tweet.model_copy(update={"ingested_at": datetime.now(timezone.utc)})
        self._queue(self.settings.tweets_topic, tweet.author, encode(tweet), tweet.id)
        self.counts.sent += 1

    def dead_letter(self, payload: str, reason: str, source: str) -> None:
        """Queue a dead letter for a record that is not a tweet."""
        letter = DeadLetter.of("ingest", reason, payload, source)
        self._queue(self.settings.dlq_topic, source, encode(letter), source)
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

    def replay_spill(self, path: Path) -> IngestCounts:
        """Send a spill file's records again, byte for byte, then flush; what fails again spills anew."""
        for record in read_spill(path):
            self._queue(record.topic, record.key, record.value.encode(), record.record_id)
            self.counts.replayed += 1
        self.flush()
        return self.counts

    def flush(self) -> None:
        """Wait until every queued record is acknowledged or spilled; bounded however long Kafka is away."""
        try:
            self._producer.flush(timeout=self.settings.ingest_delivery_timeout + _FLUSH_MARGIN)
        except KafkaTimeoutError:
            # kafka-python can leave batches it could not deliver during an outage waiting for good (seen
            # after 120 s down: 5,109 of 6,000 tweets neither acknowledged nor failed). Unacknowledged
            # means not known to be stored: spill them.
            self._stuck = True
            reason = f"not acknowledged within {self.settings.ingest_delivery_timeout:g} s"
            for sequence in list(self._pending):
                self._fail(sequence, reason)

    def close(self) -> None:
        """Flush what is still pending and close; records the producer gives up on are spilled, not dropped."""
        if self._pending:
            self.flush()
        try:
            self._producer.close(timeout=0 if self._stuck else _FLUSH_MARGIN)
        except KafkaTimeoutError:
            # kafka-python's close() flushes first, and that flush waits on the stuck batches again (their
            # records are spilled already); its network thread is a daemon and ends with the process.
            log.warning("Kafka producer left with undeliverable batches; their records are in %s", self.spill.path)
        self.spill.close()

    def _queue(self, topic: str, key: str, value: bytes, record_id: str) -> None:
        sequence = next(self._sequence)
        self._pending[sequence] = _Queued(topic, key, value, record_id)
        try:
            future = self._producer.send(topic, key=key.encode(), value=value)
        except KafkaTimeoutError as exc:  # no metadata, or the buffer stayed full, for max_block_ms
            self._fail(sequence, f"not queued: {exc}")
            return
        future.add_callback(self._acknowledged, sequence).add_errback(self._failed, sequence)

    def _acknowledged(self, sequence: int, _metadata: object) -> None:
        self._pending.pop(sequence, None)

    def _failed(self, sequence: int, exc: BaseException) -> None:
        self._fail(sequence, repr(exc))

    def _fail(self, sequence: int, reason: str) -> None:
        with self._lock:
            record = self._pending.pop(sequence, None)
            if record is None:  # acknowledged, or spilled already by a flush that timed out
                return
            self.counts.failed += 1
            failed = self.counts.failed
        self.spill.write(SpilledRecord(topic=record.topic, key=record.key, value=record.value.decode(),
                                       record_id=record.record_id, reason=reason))
        if failed <= _LOGGED_FAILURES:
            log.error("not acknowledged by Kafka, spilled to %s: %s %s (%s)", self.spill.path, record.topic,
                      record.record_id, reason)
