"""The inference worker: a faust agent that turns batches of ``tweets`` into Redis writes and
``token-mentions`` messages.

Delivery is at least once with idempotent effects: a batch's offsets are acknowledged only after
its results are in Redis and its messages acknowledged by Kafka. A worker that dies mid-batch leaves
the batch to its successor, whose Redis writes are no-ops for tweets already stored and whose
messages are skipped for tweets already marked published. A batch that fails because Redis or Kafka
is out is retried until it goes through; one that keeps failing for any other reason stops the worker
with the batch uncommitted (:mod:`workers.errors`, :mod:`workers.retry`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import NoReturn

import faust
from aiokafka.errors import IllegalStateError
from faust.types import EventT

from model.extractor import Extractor
from schemas import encode
from workers import metrics
from workers.backend import load_backend
from workers.errors import BatchFailedError
from workers.pipeline import Acknowledged, BatchOutcome, BatchProcessor, RawRecord
from workers.retry import retry_batch
from workers.settings import Settings
from workers.store import FeedStore

log = logging.getLogger("tickertape.worker")

#: Exit status of a worker that stopped on a batch it cannot process (EX_SOFTWARE).
EXIT_BATCH_FAILED = 70
#: Exit status of a worker told to stop whose batch in hand did not finish within ``stop_grace`` (EX_TEMPFAIL).
EXIT_STOPPED_UNFINISHED = 75
#: Seconds between refreshes of the consumer-lag gauges.
LAG_INTERVAL_S = 10.0


def stop_unacknowledged(why: str, status: int) -> NoReturn:
    """End the process at once, leaving the batch in hand uncommitted for a successor to process.

    Neither raising nor a graceful stop would do: on any way out of the agent's loop, faust's take
    buffer acknowledges the batch it handed out, and the next commit would skip its tweets for good.
    """
    log.critical("stopping the worker: %s; its offsets stay uncommitted", why, exc_info=sys.exc_info()[0] is not None)
    logging.shutdown()
    os._exit(status)


class _BoundedStopApp(faust.App):
    """A faust app whose stop gives the batch in hand ``stop_grace`` seconds, not for ever.

    faust stops by waiting for the agents' events to be acknowledged, so SIGTERM finishes the batch in
    hand; but a batch retrying through an outage would hold the stop up for as long as the outage lasts.
    """

    stop_grace: float = 30.0

    async def on_stop(self) -> None:
        give_up = asyncio.get_running_loop().call_later(
            self.stop_grace, stop_unacknowledged,
            f"told to stop, and the batch in hand did not finish within {self.stop_grace:g} s", EXIT_STOPPED_UNFINISHED,
        )
        try:
            await super().on_stop()
        finally:
            give_up.cancel()


def create_app(settings: Settings, extractor: Extractor | None = None) -> faust.App:
    """A faust app with the inference agent wired to ``settings``' topics, Redis and backend."""
    app = _BoundedStopApp(
        settings.worker_group,
        broker=[f"kafka://{host}" for host in settings.bootstrap.split(",")],
        value_serializer="raw",
        key_serializer="raw",
        web_enabled=False,
        store="memory://",
        datadir=str(settings.run_dir / "faust"),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        broker_commit_interval=settings.commit_interval,
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=min(3.0, settings.session_timeout / 3),
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
    )
    app.stop_grace = settings.stop_grace
    tweets = app.topic(settings.tweets_topic, partitions=settings.partitions)
    mentions = app.topic(settings.mentions_topic, partitions=settings.partitions)
    dead_letters = app.topic(settings.dlq_topic, partitions=settings.partitions)
    processor = BatchProcessor(extractor or load_backend(settings), FeedStore.connect(settings))
    metrics.EXTRACTOR.info({"backend": processor.extractor.name})

    async def publish(outcome: BatchOutcome, acknowledged: Acknowledged) -> None:
        results, letters = acknowledged.unsent(outcome)
        futures = [await mentions.send(key=r.author.encode(), value=encode(r)) for r in results] + [
            await dead_letters.send(key=d.source.encode(), value=encode(d)) for d in letters
        ]
        await asyncio.gather(*futures)
        acknowledged.add(results, letters)
        store = processor.store
        # Blocking Redis calls stay off the event loop, like the extraction.
        await asyncio.get_running_loop().run_in_executor(
            None, store.mark_sent,
            [store.keys.published(r.tweet_id) for r in outcome.to_publish],
            [d.source for d in outcome.dead_letters],
        )

    async def attempt(records: Sequence[RawRecord], acknowledged: Acknowledged) -> BatchOutcome:
        outcome = await asyncio.get_running_loop().run_in_executor(None, processor.process, records)
        await publish(outcome, acknowledged)
        return outcome

    async def handle(events: Sequence[EventT]) -> None:
        records = [
            RawRecord(e.value, f"{e.message.topic}/{e.message.partition}/{e.message.offset}") for e in events
        ]
        started = time.perf_counter()
        try:
            acknowledged = Acknowledged()  # shared by this batch's tries
            outcome = await retry_batch(lambda: attempt(records, acknowledged), len(records))
        except BatchFailedError:
            stop_unacknowledged("a batch keeps failing with an error no outage explains (see the traceback above)",
                                EXIT_BATCH_FAILED)
        elapsed = time.perf_counter() - started
        metrics.record_batch(len(records), elapsed, outcome.results, len(outcome.dead_letters))
        log.info(
            "batch=%d new=%d published=%d dead=%d in %.0f ms",
            len(records), outcome.new, len(outcome.to_publish), len(outcome.dead_letters), elapsed * 1000,
        )

    @app.agent(tweets)
    async def infer(stream: faust.StreamT) -> None:
        async for events in stream.take_events(settings.batch_max, within=settings.batch_within):
            task = asyncio.ensure_future(handle(events))
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                # Stopping (SIGTERM): the take buffer acks these events on the way out, so the
                # batch in hand must be finished first or its tweets would be skipped.
                await task
                raise

    @app.timer(LAG_INTERVAL_S)
    async def refresh_lag() -> None:
        # From what the consumer already knows (last fetched highwater, fetch position): no broker
        # round trip. Position runs ahead of the committed offset by the records buffered in
        # memory; `tickertape lag` gives the committed view of the whole group.
        consumer = app.consumer
        lags: dict[tuple[str, int], int] = {}
        for tp in consumer.assignment():
            try:
                highwater, position = consumer.highwater(tp), await consumer.position(tp)
            except IllegalStateError:  # revoked by a rebalance since assignment() was read
                continue
            if highwater is not None and position is not None:
                lags[(tp.topic, tp.partition)] = max(0, highwater - position)
        metrics.set_lag(lags)

    return app


def run_worker(settings: Settings, loglevel: str = "info", extractor: Extractor | None = None) -> None:
    """Run one worker until SIGTERM/SIGINT; it joins the consumer group of ``settings`` and runs
    ``extractor`` (the one ``settings`` names when None)."""
    app = create_app(settings, extractor)
    metrics.serve(settings.metrics_port)
    faust.Worker(app, loglevel=loglevel).execute_from_commandline()
