"""Prometheus metrics of a worker, served on ``TT_METRICS_PORT`` (see the README's runbook).

Module-level collectors on prometheus_client's default registry: one set per process, which is
one worker. Labels stay low-cardinality (partition numbers, the backend name), never tweet ids.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram, Info, start_http_server

from schemas import ExtractionResult

TWEETS = Counter("tickertape_tweets_processed_total", "Tweets extracted and stored (redeliveries included).")
DEAD_LETTERS = Counter("tickertape_dead_letters_total", "Records sent to the dead-letter topic by this worker.")
BATCH_RETRIES = Counter(
    "tickertape_batch_retries_total", "Batches retried after an error (Redis or Kafka unreachable)."
)
BATCH_SIZE = Histogram(
    "tickertape_batch_size", "Records per batch.", buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
)
BATCH_SECONDS = Histogram(
    "tickertape_batch_seconds", "Seconds per batch: extraction, Redis writes and publishing.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
END_TO_END_SECONDS = Histogram(
    "tickertape_end_to_end_seconds", "processed_at - ingested_at per tweet: from the ingestor's send to the result.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
EXTRACTOR = Info("tickertape_extractor", "The extraction backend this worker runs.")
CONSUMER_LAG = Gauge(
    "tickertape_consumer_lag",
    "Records behind the partition's end, per partition assigned to this worker (refreshed every 10 s).",
    ["topic", "partition"],
)


def serve(port: int) -> None:
    """Serve ``/metrics`` on ``port`` in a daemon thread; 0 means off."""
    if port:
        start_http_server(port)


def record_batch(size: int, seconds: float, results: Iterable[ExtractionResult], dead_letters: int) -> None:
    """Count one finished batch of ``size`` records that took ``seconds``."""
    BATCH_SIZE.observe(size)
    BATCH_SECONDS.observe(seconds)
    DEAD_LETTERS.inc(dead_letters)
    for result in results:
        # Clocks of ingestor and worker hosts may disagree slightly: never observe below zero.
        END_TO_END_SECONDS.observe(max(0.0, (result.processed_at - result.ingested_at).total_seconds()))
        TWEETS.inc()


def set_lag(lags: dict[tuple[str, int], int]) -> None:
    """Replace the lag gauges with ``lags`` ((topic, partition) → records behind); drops revoked ones."""
    CONSUMER_LAG.clear()
    for (topic, partition), lag in lags.items():
        CONSUMER_LAG.labels(topic, str(partition)).set(lag)
