"""Ingestors: tweets from files or the synthetic firehose onto the ``tweets`` topic (kafka-python).

Records are keyed by author so one account's tweets stay in order on one partition. Sends are
batched (``linger_ms``) and acknowledged by all in-sync replicas (``acks='all'``). A record that is
not a valid tweet goes to the dead-letter topic with the reason and is counted, never dropped.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

from kafka import KafkaProducer
from pydantic import ValidationError

from schemas import DeadLetter, Tweet, encode, explain
from workers.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InputRecord:
    """One input line: ``record`` when it parsed as an object, else ``error`` says why not."""

    source: str
    raw: str
    record: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class FieldMap:
    """Which input field holds each tweet attribute (files differ; ``--*-field`` options set these)."""

    id: str = "id"
    author: str = "author"
    text: str = "text"
    created_at: str = "created_at"


@dataclass
class IngestCounts:
    """What an ingest run did; ``reasons`` counts dead letters by the first words of their reason."""

    sent: int = 0
    dead_letters: int = 0
    failed: int = 0  # sends Kafka did not acknowledge (after the producer's retries)
    reasons: Counter[str] = field(default_factory=Counter)


# Formats seen in real dumps: RFC 3339, Twitter's API format, and "YYYY-mm-dd HH:MM:SS" with an
# optional zone abbreviation (CrypTop12 writes IST).
_TWITTER_FORMAT = "%a %b %d %H:%M:%S %z %Y"
_ZONES = {"UTC": timedelta(0), "GMT": timedelta(0), "IST": timedelta(hours=5, minutes=30)}
_ZONE_SUFFIX = re.compile(r"^(?P<stamp>\d.+?)\s+(?P<zone>[A-Z]{2,4})$")


def parse_time(value: Any) -> datetime:
    """A tweet time from the formats real dumps use (naive means UTC); raises ValueError."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, timezone.utc)
    text = str(value).strip()
    zone = timedelta(0)
    if m := _ZONE_SUFFIX.match(text):
        if m["zone"] not in _ZONES:
            raise ValueError(f"unknown time zone {m['zone']!r}")
        text, zone = m["stamp"], _ZONES[m["zone"]]
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.strptime(text, _TWITTER_FORMAT)
        except ValueError:
            raise ValueError(f"unreadable time {str(value)!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone(zone))
    return moment.astimezone(timezone.utc)


def read_file(path: Path) -> Iterator[InputRecord]:
    """The records of a JSONL or CSV file, with ``file:line`` sources; bad lines included, marked."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        if path.suffix.lower() == ".csv":
            for n, row in enumerate(csv.DictReader(handle), start=2):
                yield InputRecord(f"{path.name}:{n}", json.dumps(row, ensure_ascii=False), record=dict(row))
            return
        for n, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            source = f"{path.name}:{n}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield InputRecord(source, line.rstrip("\n"), error=f"not JSON: {exc.msg}")
                continue
            if isinstance(record, dict):
                yield InputRecord(source, line.rstrip("\n"), record=record)
            else:
                yield InputRecord(source, line.rstrip("\n"), error="not JSON: not an object")


@dataclass(frozen=True)
class RecordMapper:
    """Turns an input record into a :class:`Tweet`.

    ``id_prefix``: prepended as ``prefix:id`` to keep ids from different files apart (many dumps
    number rows 0, 1, …; equal ids would be deduplicated as one tweet). ``default_author``: for
    records without one. ``retime``: stamp tweets with the time they are sent, to replay an old dump
    as live traffic (records without a time get it anyway).
    """

    fields: FieldMap = FieldMap()
    id_prefix: str = ""
    default_author: str | None = None
    retime: bool = False

    def tweet(self, record: dict[str, Any], source: str) -> Tweet:
        """Raises ValueError or pydantic's ValidationError on a record that is not a tweet."""
        f = self.fields
        raw_id = record.get(f.id)
        if raw_id in (None, ""):
            raise ValueError(f"missing field {f.id!r}")
        author = record.get(f.author) or self.default_author
        if not author:
            raise ValueError(f"missing field {f.author!r}")
        now = datetime.now(timezone.utc)
        stamp = record.get(f.created_at)
        return Tweet(
            id=f"{self.id_prefix}:{raw_id}" if self.id_prefix else str(raw_id),
            author=str(author),
            text=record.get(f.text) or "",
            created_at=now if self.retime or stamp in (None, "") else parse_time(stamp),
            source=source,
            ingested_at=now,
        )


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
        letter = DeadLetter(stage="ingest", reason=reason, payload=payload, source=source)
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
