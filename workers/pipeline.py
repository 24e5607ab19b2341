"""One batch of raw ``tweets`` records in, results and dead letters out: the synchronous core.

It runs in a worker thread (see :mod:`workers.app`), so the event loop stays free for Kafka
heartbeats and commits while the extractor works.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import orjson
from pydantic import ValidationError

from model.extractor import Extractor
from schemas import DeadLetter, ExtractionResult, TokenMention, Tweet, decode, explain
from workers.keys import Keys

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawRecord:
    """A record as consumed: ``source`` is 'topic/partition/offset', the dead-letter address."""

    value: bytes | None
    source: str


@dataclass
class BatchOutcome:
    """What a batch produced; the caller publishes these, then marks them sent."""

    results: list[ExtractionResult] = field(default_factory=list)
    new: int = 0
    to_publish: list[ExtractionResult] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


def parse_tweet(record: RawRecord) -> Tweet | DeadLetter:
    """The tweet in ``record``, or a dead letter saying why it is not one."""
    if not record.value:  # a tombstone or empty message: nothing to decode
        return DeadLetter.of("worker", "empty record (no value)", b"", record.source)
    try:
        return decode(Tweet, record.value)
    except (orjson.JSONDecodeError, ValidationError) as exc:
        return DeadLetter.of("worker", explain(exc), record.value, record.source)


@dataclass
class Acknowledged:
    """The messages of one batch that Kafka acknowledged, remembered across the batch's tries.

    Their Redis markers (``keys.published``) are written after the acknowledgement. When Redis fails in
    between, the batch is retried, and without this the retry sends them again (one Redis outage there
    re-published 11 messages); the markers still go to Redis on the try that succeeds.
    """

    mentions: set[str] = field(default_factory=set)  # tweet ids
    dead_letters: set[str] = field(default_factory=set)  # sources

    def unsent(self, outcome: BatchOutcome) -> tuple[list[ExtractionResult], list[DeadLetter]]:
        """What of ``outcome`` an earlier try did not get acknowledged."""
        return (
            [r for r in outcome.to_publish if r.tweet_id not in self.mentions],
            [d for d in outcome.dead_letters if d.source not in self.dead_letters],
        )

    def add(self, mentions: Sequence[ExtractionResult], dead_letters: Sequence[DeadLetter]) -> None:
        self.mentions.update(r.tweet_id for r in mentions)
        self.dead_letters.update(d.source for d in dead_letters)


class ResultStore(Protocol):
    """Where a batch's results go (:class:`workers.store.FeedStore` in production): idempotent writes and
    the markers of what was already published."""

    keys: Keys

    def write_results(self, results: Sequence[ExtractionResult]) -> list[bool]:
        """Store each result (once); True where it was new."""
        ...

    def already_sent(self, markers: Sequence[str]) -> list[bool]:
        """For each marker key, whether its message was acknowledged before."""
        ...

    def mark_sent(self, published: Sequence[str], dead_letter_sources: Sequence[str] = ()) -> None:
        """Record that these messages were acknowledged by Kafka."""
        ...


class BatchProcessor:
    """Extracts, stores and selects what to publish for one batch, idempotently."""

    def __init__(self, extractor: Extractor, store: ResultStore) -> None:
        self.extractor = extractor
        self.store = store

    def process(self, records: Sequence[RawRecord]) -> BatchOutcome:
        """Run the batch; every record ends as a stored result or a dead letter."""
        outcome = BatchOutcome()
        tweets: list[tuple[Tweet, str]] = []
        for record in records:
            parsed = parse_tweet(record)
            if isinstance(parsed, Tweet):
                tweets.append((parsed, record.source))
            else:
                outcome.dead_letters.append(parsed)

        mentions = self._extract(tweets, outcome.dead_letters)
        outcome.results = [
            ExtractionResult.of(tweet, found, self.extractor.name)
            for (tweet, _), found in zip(tweets, mentions, strict=True)
            if found is not None
        ]
        outcome.new = sum(self.store.write_results(outcome.results))

        # A redelivered batch may hold results whose message already went out: skip those.
        publishable = [r for r in outcome.results if r.tokens]
        sent = self.store.already_sent([self.store.keys.published(r.tweet_id) for r in publishable])
        outcome.to_publish = [r for r, done in zip(publishable, sent) if not done]
        sent = self.store.already_sent([self.store.keys.dead_letter(d.source) for d in outcome.dead_letters])
        outcome.dead_letters = [d for d, done in zip(outcome.dead_letters, sent) if not done]
        return outcome

    def _extract(
        self, tweets: list[tuple[Tweet, str]], dead: list[DeadLetter]
    ) -> list[list[TokenMention] | None]:
        """Mentions per tweet; None (and a dead letter) for a tweet the extractor fails on."""
        try:
            return list(self.extractor.extract_batch([t.text for t, _ in tweets]))
        except Exception:  # noqa: BLE001 - find the poison tweet instead of failing the batch
            log.exception("batch extraction failed; retrying tweet by tweet")
        found: list[list[TokenMention] | None] = []
        failures: list[DeadLetter] = []
        for tweet, source in tweets:
            try:
                found.append(self.extractor.extract_batch([tweet.text])[0])
            except Exception as exc:  # noqa: BLE001 - one bad tweet must not stop the stream
                found.append(None)
                failures.append(DeadLetter.of("worker", f"extractor {self.extractor.name} failed: {exc!r}", tweet.model_dump_json(), source))
        if len(tweets) > 1 and len(failures) == len(tweets):
            # Every tweet failing alone points at the extractor (out of memory, a lost GPU), not at
            # the tweets: fail the batch so it is retried instead of dead-lettering all of it.
            raise RuntimeError(f"extractor {self.extractor.name} failed on every tweet of the batch")
        dead.extend(failures)
        return found
