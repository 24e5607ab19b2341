"""The whole stream on the real Kafka and Redis: ingest → faust workers → Redis + token-mentions."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from model.extractor import load_extractor
from schemas import DeadLetter, ExtractionResult, Tweet, decode
from workers.admin.local import up
from workers.admin.topics import ensure_topics
from workers.app import EXIT_BATCH_FAILED, EXIT_STOPPED_UNFINISHED
from workers.demo import run_demo
from workers.ingest.files import RecordMapper, read_file
from workers.ingest.firehose import Firehose
from workers.ingest.producer import TweetProducer
from workers.ingest.spill import SpillFile, read_spill
from workers.ingest.x_replay import XReplayServer
from workers.settings import Settings
from workers.store import FeedStore

pytestmark = pytest.mark.integration

FOLLOWED = [f"synth_{i:03d}" for i in range(0, 40, 3)]
# A worker whose extractor fails on every tweet: a bug no retry mends.
BROKEN_WORKER = """
from workers.app import run_worker
from workers.settings import Settings


class Broken:
    name = "broken-v0"

    def extract_batch(self, texts):
        raise RuntimeError("injected: the extractor fails on every tweet")


run_worker(Settings(), extractor=Broken())
"""

# A worker whose Redis fails right after Kafka acknowledged a batch's messages, before their markers
# are written: the first two times it writes markers.
MARKERS_LOST_WORKER = """
import itertools

import redis

from workers.app import run_worker
from workers.settings import Settings
from workers.store import FeedStore

failures = itertools.count()
mark_sent = FeedStore.mark_sent


def lost_after_the_ack(self, published, dead_letter_sources=()):
    if published and next(failures) < 2:
        raise redis.ConnectionError("injected: Redis lost between Kafka's ack and the markers")
    return mark_sent(self, published, dead_letter_sources)


FeedStore.mark_sent = lost_after_the_ack
run_worker(Settings())
"""

# A worker whose Redis never takes a write: an outage that outlasts any stop.
REDIS_AWAY_WORKER = """
import redis

from workers.app import run_worker
from workers.settings import Settings
from workers.store import FeedStore


def away(self, results):
    raise redis.ConnectionError("injected: Redis is away")


FeedStore.write_results = away
run_worker(Settings())
"""


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a `tickertape worker` process use ``settings``."""
    names = ("tweets_topic", "mentions_topic", "dlq_topic", "worker_group", "redis_prefix", "partitions",
             "commit_interval", "session_timeout", "kafka_port", "redis_port", "extractor", "batch_max", "metrics_port",
             "fanout_max_followers")
    return {**os.environ, **{f"TT_{n.upper()}": str(getattr(settings, n)) for n in names}}


class Workers:
    """Worker processes of one consumer group, logging to files under ``logs``."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.env, self.logs, self.procs = worker_env(settings), logs, []

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "workers.cli", "worker"], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def workers(settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    ensure_topics(settings)
    group = Workers(settings.model_copy(update={"session_timeout": 8.0}), tmp_path)
    yield group
    group.stop()


def wait_for(store: FeedStore, tweets: int, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while store.stats().get("tweets", 0) < tweets:
        assert time.monotonic() < deadline, f"only {store.stats()} of {tweets} tweets processed"
        time.sleep(0.5)


def read_topic(settings: Settings, topic: str, expected: int, timeout: float = 60) -> list[bytes]:
    """Every message of ``topic``, waiting until at least ``expected`` arrived (then draining)."""
    consumer = KafkaConsumer(topic, bootstrap_servers=settings.bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=3000)
    values: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while len(values) < expected and time.monotonic() < deadline:
            values.extend(m.value for m in consumer)
        values.extend(m.value for m in consumer)
    finally:
        consumer.close()
    return values


def expected_tokens(tweets: list[Tweet]) -> dict[str, list[str]]:
    """What the rule extractor finds in each tweet, computed here without the stream."""
    found = load_extractor("rules").extract_batch([t.text for t in tweets])
    return {t.id: list(dict.fromkeys(m.symbol for m in ms)) for t, ms in zip(tweets, found)}


def send(settings: Settings, tweets: list[Tweet]) -> None:
    producer = TweetProducer(settings)
    producer.stream(tweets)
    producer.close()


def successor_processes_the_uncommitted_batch(settings: Settings, store: FeedStore, workers: Workers, tweets: list[Tweet]) -> None:
    """After a worker exited with its batch unacknowledged: nothing stored or committed, and a working
    successor processes every tweet once."""
    from workers.admin.lag import consumer_lag

    assert store.stats().get("tweets", 0) == 0
    assert all(not row.committed for row in consumer_lag(settings))
    workers.start()
    wait_for(store, len(tweets))
    check_outputs(settings, store, tweets)


def check_outputs(settings: Settings, store: FeedStore, tweets: list[Tweet], max_duplicates: int = 0) -> None:
    expected = expected_tokens(tweets)
    # Every tweet processed exactly once, with what the extractor says.
    raws = store.redis.mget([store.keys.result(t.id) for t in tweets])
    results = {r.tweet_id: r for r in (decode(ExtractionResult, raw) for raw in raws if raw is not None)}
    assert {i: r.tokens for i, r in results.items()} == expected
    with_tokens = {i for i, toks in expected.items() if toks}
    stats = store.stats()
    assert stats["tweets"] == len(tweets)
    assert stats["tweets_with_mentions"] == len(with_tokens)
    assert stats["mentions"] == sum(len(t) for t in expected.values())
    # Trending counts each tweet's symbols once.
    want = Counter(s for toks in expected.values() for s in toks)
    assert dict(store.trending(timedelta(hours=1), limit=1000)) == dict(want)
    # The feed holds exactly the tweets with mentions from followed accounts.
    authors = {t.id: t.author for t in tweets}
    feed = {item.tweet_id for item in store.feed("u1", limit=100_000)}
    assert feed == {i for i in with_tokens if authors[i] in FOLLOWED}
    # Per-token views: each token's mention timeline, and its part of the feed, hold exactly its tweets.
    for symbol in want:
        having = {i for i, toks in expected.items() if symbol in toks}
        assert {r.tweet_id for r in store.mentions(symbol, limit=100_000)} == having, symbol
        assert {item.tweet_id for item in store.feed("u1", token=symbol, limit=100_000)} == {i for i in having if i in feed}, symbol
    # token-mentions: one message per tweet with mentions (at least once: see max_duplicates).
    messages = [decode(ExtractionResult, v) for v in read_topic(settings, settings.mentions_topic, len(with_tokens))]
    assert {m.tweet_id for m in messages} == with_tokens
    assert len(messages) - len(with_tokens) <= max_duplicates


def test_stream_processes_every_tweet_once(settings: Settings, store: FeedStore, workers: Workers) -> None:
    store.follow("u1", FOLLOWED)
    tweets = list(Firehose(accounts=40, run="once").tweets(2400))
    workers.start()
    workers.start()
    send(settings, tweets)
    # Malformed input: not JSON, and JSON that is no tweet.
    raw = KafkaProducer(bootstrap_servers=settings.bootstrap, acks="all")
    raw.send(settings.tweets_topic, key=b"x", value=b"{broken")
    raw.send(settings.tweets_topic, key=b"x", value=b'{"id": "9", "author": "x", "created_at": "2025-01-01T00:00:00Z"}')
    raw.close()

    wait_for(store, len(tweets))
    assert all(proc.poll() is None for proc in workers.procs), "a worker died: see its log"
    check_outputs(settings, store, tweets)
    letters = [decode(DeadLetter, v) for v in read_topic(settings, settings.dlq_topic, 2)]
    assert sorted(d.reason.split(":")[0] for d in letters) == ["invalid tweet", "not JSON"]
    assert {d.payload for d in letters} >= {"{broken"}
    assert all(d.stage == "worker" and d.source.startswith(settings.tweets_topic) for d in letters)
    assert store.stats()["dead_letters"] == 2


@pytest.mark.parametrize("fan_out", ["pushed", "pulled"])
def test_worker_killed_mid_stream_loses_and_double_counts_nothing(
    settings: Settings, store: FeedStore, workers: Workers, fan_out: str
) -> None:
    """SIGKILL mid-stream, with every followed account's tweets pushed into the feed or pulled from its
    timeline (TT_FANOUT_MAX_FOLLOWERS 0): the successor's redelivery stores and counts each tweet once."""
    workers.env["TT_FANOUT_MAX_FOLLOWERS"] = "0" if fan_out == "pulled" else "1000000"
    store.follow("u1", FOLLOWED)
    tweets = list(Firehose(accounts=40, run="kill").tweets(3000))
    # Commits far apart: the kill surely lands with stored tweets whose offsets are not committed.
    workers.env["TT_COMMIT_INTERVAL"] = "30"
    first = workers.start()
    producer = TweetProducer(settings)
    sender = threading.Thread(target=producer.stream, args=(tweets, 1000.0))
    sender.start()
    wait_for(store, 600)
    first.send_signal(signal.SIGKILL)  # no chance to finish its batch or commit its offsets
    first.wait()
    killed_at = store.stats()["tweets"]
    sender.join()
    producer.close()
    workers.env["TT_COMMIT_INTERVAL"] = "0.5"
    workers.start()

    wait_for(store, len(tweets))
    assert killed_at < len(tweets), "the worker was killed after the stream ended: nothing was tested"
    # The successor re-read tweets the first worker had stored but not committed: the
    # idempotency path ran (batches with fewer new tweets than tweets).
    batches = re.findall(r"batch=(\d+) new=(\d+)", (workers.logs / "worker-1.log").read_text())
    assert sum(int(b) for b, _ in batches) > sum(int(n) for _, n in batches)
    # A message published in the instant between Kafka's ack and the Redis marker can repeat:
    # at most one batch of them.
    check_outputs(settings, store, tweets, max_duplicates=settings.batch_max)
    assert store.redis.scard(store.keys.pulled()) == (len(FOLLOWED) if fan_out == "pulled" else 0)


def test_redis_killed_mid_stream_loses_nothing(settings: Settings, store: FeedStore, workers: Workers) -> None:
    """kill -9 of Redis mid-stream, restarted by ops/ after 5 s: its append-only file holds every write a
    worker was told is stored (offsets are committed only after that), and the worker retries its batch
    in hand over the outage, so every tweet is stored exactly once."""
    pidfile = settings.run_dir / "redis" / "redis.pid"
    if not pidfile.exists():
        pytest.skip("Redis is not the local one ops/redis.sh runs")
    store.follow("u1", FOLLOWED)
    tweets = list(Firehose(accounts=40, run="redis-kill").tweets(3000))
    workers.start()
    producer = TweetProducer(settings)
    sender = threading.Thread(target=producer.stream, args=(tweets, 500.0))
    sender.start()
    wait_for(store, 600)
    killed_at = store.stats()["tweets"]
    os.kill(int(pidfile.read_text()), signal.SIGKILL)
    time.sleep(5)
    up(settings)  # what `tickertape up` does: ops/redis.sh starts it again
    sender.join()
    producer.close()

    wait_for(store, len(tweets))
    assert killed_at < len(tweets), "Redis was killed after the stream ended: nothing was tested"
    # A message published between Kafka's ack and the Redis marker can repeat: at most one batch.
    check_outputs(settings, store, tweets, max_duplicates=settings.batch_max)


def test_redis_frozen_mid_stream_loses_and_repeats_nothing(settings: Settings, store: FeedStore, workers: Workers) -> None:
    """Redis SIGSTOPped for 15 s mid-stream (a host paused, a fork that stalls): the worker's writes time
    out after 10 s and its batch retries; the script it sent before the freeze still runs once Redis
    thaws, so the retry meets tweets already stored and must count none of them twice."""
    pidfile = settings.run_dir / "redis" / "redis.pid"
    if not pidfile.exists():
        pytest.skip("Redis is not the local one ops/redis.sh runs")
    store.follow("u1", FOLLOWED)
    tweets = list(Firehose(accounts=40, run="redis-stop").tweets(3000))
    worker = workers.start()
    producer = TweetProducer(settings)
    sender = threading.Thread(target=producer.stream, args=(tweets, 300.0))
    sender.start()
    wait_for(store, 600)
    frozen_at = store.stats()["tweets"]
    redis_pid = int(pidfile.read_text())
    os.kill(redis_pid, signal.SIGSTOP)
    try:
        time.sleep(15)
    finally:
        os.kill(redis_pid, signal.SIGCONT)
    sender.join()
    producer.close()

    wait_for(store, len(tweets))
    assert frozen_at < len(tweets), "Redis was frozen after the stream ended: nothing was tested"
    assert "retrying in" in (workers.logs / "worker-0.log").read_text(), "no write timed out: nothing was tested"
    check_outputs(settings, store, tweets, max_duplicates=settings.batch_max)
    assert worker.poll() is None, "the worker died in the freeze"


def test_rebalance_one_to_three_to_one_under_load(settings: Settings, store: FeedStore, workers: Workers) -> None:
    """Two workers join a busy one and then leave it again, each move a rebalance while tweets flow: every
    partition's batches pass from hand to hand with nothing skipped and nothing counted twice."""
    store.follow("u1", FOLLOWED)
    tweets = list(Firehose(accounts=40, run="rebalance").tweets(6000))
    workers.env["TT_FEED_CAP"] = str(len(tweets))  # the feed check reads every followed tweet
    first = workers.start()
    producer = TweetProducer(settings)
    sender = threading.Thread(target=producer.stream, args=(tweets, 150.0))  # 40 s of sends
    sender.start()
    wait_for(store, 600)
    joined = [workers.start(), workers.start()]
    wait_for(store, 3000)
    for proc in joined:
        proc.send_signal(signal.SIGTERM)
    assert [proc.wait(timeout=90) for proc in joined] == [0, 0]
    left_at = store.stats()["tweets"]
    sender.join()
    producer.close()

    wait_for(store, len(tweets))
    assert left_at < len(tweets), "the workers left after the stream ended: nothing was tested"
    took_part = [len(re.findall(r"batch=\d+", (workers.logs / f"worker-{i}.log").read_text())) for i in (1, 2)]
    assert all(took_part), f"a joining worker never got a partition: {took_part} batches"
    # Each of the two rebalances may catch one batch per worker between Kafka's ack and its markers.
    check_outputs(settings, store, tweets, max_duplicates=2 * 3 * settings.batch_max)
    assert first.poll() is None, "the first worker died in a rebalance"


@pytest.mark.parametrize("outage", [10, 150])
def test_broker_down_hangs_no_ingest_and_loses_no_tweet(
    settings: Settings, store: FeedStore, workers: Workers, tmp_path: Path, outage: int
) -> None:
    """The broker stopped mid-stream, for 10 s and for 150 s (longer than the ingestor's 120 s delivery
    timeout). The ingestor once sat in kafka-python's flush() for good after 150 s (5,109 of 6,000
    tweets neither sent nor reported); now every record is acknowledged or in the spill file with its
    id, ingest ends, the workers ride the outage out, and a replay of the spill file completes the
    stream exactly once."""
    if not (settings.run_dir / "kafka" / "kafka.pid").exists():
        pytest.skip("Kafka is not the local one ops/kafka.sh runs")
    kafka_env = {**os.environ, "TT_RUN_DIR": str(settings.run_dir), "TT_KAFKA_PORT": str(settings.kafka_port)}
    kafka_sh = str(Path(__file__).parents[2] / "ops" / "kafka.sh")
    store.follow("u1", FOLLOWED)
    tweets = list(Firehose(accounts=40, run=f"broker-{outage}").tweets(3000))
    workers.start()
    producer = TweetProducer(settings, SpillFile(tmp_path / "spill.jsonl"))
    sender = threading.Thread(target=producer.stream, args=(tweets, 100.0))  # 30 s of sends
    sender.start()
    wait_for(store, 300)
    subprocess.run([kafka_sh, "stop"], env=kafka_env, check=True)
    try:
        time.sleep(outage)
    finally:
        subprocess.run([kafka_sh, "start"], env=kafka_env, check=True)
    # Bounded: the last sends' delivery timeout plus the flush margin, never "for good".
    sender.join(timeout=settings.ingest_delivery_timeout + 60)
    assert not sender.is_alive(), "ingest is still waiting on Kafka after the broker came back"
    producer.close()

    counts = producer.counts
    if outage > settings.ingest_delivery_timeout:
        assert counts.failed > 0, "nothing failed: the outage did not outlast the delivery timeout"
    if counts.failed:
        spilled = list(read_spill(producer.spill.path))
        assert len(spilled) == counts.failed
        assert {r.record_id for r in spilled} <= {t.id for t in tweets}
        replay = TweetProducer(settings, SpillFile(tmp_path / "spill-again.jsonl"))
        assert replay.replay_spill(producer.spill.path).failed == 0
        replay.close()

    wait_for(store, len(tweets), timeout=300)
    # Each worker batch in hand over the outage may publish again once: at most one batch per worker.
    check_outputs(settings, store, tweets, max_duplicates=settings.batch_max)
    assert all(w.poll() is None for w in workers.procs), "a worker died in the outage"


def test_an_over_size_line_is_a_dead_letter_and_ingest_goes_on(settings: Settings, tmp_path: Path) -> None:
    """A 1.5 MB line once ended `tickertape ingest` with a traceback, the valid line after it unsent: its
    dead letter was itself over Kafka's 1 MB limit (a 5 MB line too). A tweet's text is at most 10,000 characters, so the
    line is invalid, and its dead letter is cut to fit."""
    ensure_topics(settings)
    path = tmp_path / "big.jsonl"
    rows = [{"id": "small-1", "text": "gm $BTC"}, {"id": "huge", "text": "$ETH " * 300_000}, {"id": "small-2", "text": "gn $SOL"},
            {"id": "huger", "text": "x" * 5_000_000}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    producer = TweetProducer(settings)
    counts = producer.ingest(read_file(path), RecordMapper(default_author="someone"))
    producer.close()
    assert (counts.sent, counts.dead_letters, counts.failed) == (2, 2, 0)
    sent = [decode(Tweet, v) for v in read_topic(settings, settings.tweets_topic, 2)]
    assert sorted(t.id for t in sent) == ["small-1", "small-2"]
    letters = sorted((decode(DeadLetter, v) for v in read_topic(settings, settings.dlq_topic, 2)), key=lambda d: d.source)
    assert [d.source for d in letters] == ["big.jsonl:2", "big.jsonl:4"]
    assert all(d.reason.startswith("invalid tweet: text") for d in letters)
    assert [d.payload_bytes for d in letters] == [len(json.dumps(rows[1])), len(json.dumps(rows[3]))]


def test_sigterm_finishes_and_commits_the_batch_in_hand(
    settings: Settings, store: FeedStore, workers: Workers
) -> None:
    """Stopped mid-stream, a worker leaves exactly what it stored committed: nothing processed twice
    by its successor, nothing skipped. The tagger backend makes batches slow enough to be caught in."""
    from workers.admin.lag import consumer_lag

    workers.env["TT_EXTRACTOR"] = "model"
    tweets = list(Firehose(accounts=40, run="term").tweets(1500))
    worker = workers.start()
    send(settings, tweets)
    wait_for(store, 100, timeout=300)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=120) == 0
    stored = store.stats()["tweets"]
    committed = sum(row.committed or 0 for row in consumer_lag(settings))
    assert 0 < stored < len(tweets), "stopped after the stream ended: nothing was tested"
    assert committed == stored


def test_a_batch_that_keeps_failing_stops_the_worker_with_nothing_committed(
    settings: Settings, store: FeedStore, workers: Workers, tmp_path: Path
) -> None:
    """A deterministic failure is no outage: the worker stops loudly instead of stalling, leaves the batch
    uncommitted, and a successor with a working extractor processes every tweet once."""
    store.follow("u1", FOLLOWED)
    tweets = list(Firehose(accounts=40, run="fatal").tweets(300))
    send(settings, tweets)  # before the worker starts, so its first batch holds many tweets
    log = tmp_path / "broken.log"
    with log.open("wb") as out:
        broken = subprocess.Popen([sys.executable, "-c", BROKEN_WORKER], env=workers.env, stdout=out, stderr=subprocess.STDOUT)
        assert broken.wait(timeout=120) == EXIT_BATCH_FAILED
    assert "stopping the worker" in log.read_text()
    successor_processes_the_uncommitted_batch(settings, store, workers, tweets)


def test_sigterm_in_an_outage_stops_within_the_grace_leaving_the_batch_uncommitted(
    settings: Settings, store: FeedStore, workers: Workers, tmp_path: Path
) -> None:
    """A worker retrying its batch through an outage once ignored SIGTERM for as long as the outage
    lasted. Now it gives the batch ``stop_grace`` seconds, then exits with it uncommitted."""
    store.follow("u1", FOLLOWED)
    tweets = list(Firehose(accounts=40, run="stop-in-outage").tweets(300))
    send(settings, tweets)
    log = tmp_path / "redis-away.log"
    with log.open("wb") as out:
        stuck = subprocess.Popen([sys.executable, "-c", REDIS_AWAY_WORKER], env={**workers.env, "TT_STOP_GRACE": "3"},
                                 stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while "injected: Redis is away" not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline and stuck.poll() is None, "the worker never took a batch"
            time.sleep(0.5)
        stuck.send_signal(signal.SIGTERM)
        assert stuck.wait(timeout=30) == EXIT_STOPPED_UNFINISHED
    assert "did not finish within 3 s" in log.read_text(errors="replace")
    successor_processes_the_uncommitted_batch(settings, store, workers, tweets)


def test_redis_lost_between_the_ack_and_the_markers_publishes_nothing_twice(
    settings: Settings, store: FeedStore, workers: Workers, tmp_path: Path
) -> None:
    """A Redis failure after Kafka acknowledged a batch's token-mentions messages, before their markers are
    written, fails the batch; its retry once sent those messages again (11 duplicates measured). The
    batch's tries share what Kafka acknowledged, so the retry writes the markers and sends nothing."""
    store.follow("u1", FOLLOWED)
    tweets = list(Firehose(accounts=40, run="markers-lost").tweets(400))
    send(settings, tweets)
    log = tmp_path / "markers-lost.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-c", MARKERS_LOST_WORKER], env=workers.env, stdout=out, stderr=subprocess.STDOUT)
        workers.procs.append(worker)  # stopped with the group
        wait_for(store, len(tweets))
        check_outputs(settings, store, tweets, max_duplicates=0)
    assert log.read_text().count("injected: Redis lost") >= 2, "the fault was never injected"


TWEET_JSON = '{"id": "%s", "author": "synth_000", "text": "%s", "created_at": "2025-01-01T00:00:00Z"%s}'
# Records that are no tweet, each a dead letter with its reason (why each one is here: issue 15's matrix).
POISON: dict[str, bytes | None] = {
    "invalid UTF-8, 1.2 MB once decoded": b"\xff\xfe" * 200_000,
    "a 900 KB text": (TWEET_JSON % ("big", "x" * 900_000, "")).encode(),
    "not JSON": b"{broken",
    "empty value": b"",
    "null value (a tombstone)": None,
    "JSON null": b"null",
    "null fields": b'{"id": null, "author": null, "text": null}',
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "unknown schema_version": (TWEET_JSON % ("v99", "$BTC", ', "schema_version": 99')).encode(),
    "a lone surrogate": (TWEET_JSON % ("lone", "\\ud800 $BTC", "")).encode(),
    "a raw NUL byte": (TWEET_JSON % ("nul", "gm\x00 $BTC", "")).encode(),
}


def test_poison_records_are_dead_lettered_once_and_the_stream_moves_on(
    settings: Settings, store: FeedStore, workers: Workers
) -> None:
    """Every kind of bad record becomes one dead letter with its reason, and the tweets around it flow. A
    record whose dead letter would outgrow a Kafka message (400 KB of invalid UTF-8 is 1.2 MB once
    decoded; a 900 KB text) used to wedge its partition: now its letter is cut to fit."""
    store.follow("u1", FOLLOWED)
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap, acks="all", max_request_size=2_000_000)
    for value in POISON.values():
        producer.send(settings.tweets_topic, key=b"synth_000", value=value)
    producer.flush()
    producer.close()
    tweets = list(Firehose(accounts=40, run="poison").tweets(200))
    # An escaped NUL is valid JSON and a valid text: a tweet, stored like any other.
    tweets.append(Tweet(id="escaped-nul", author="synth_000", text="gm\u0000 $BTC", created_at=tweets[0].created_at))
    send(settings, tweets)
    worker = workers.start()
    wait_for(store, len(tweets))
    check_outputs(settings, store, tweets)
    letters = [decode(DeadLetter, v) for v in read_topic(settings, settings.dlq_topic, len(POISON))]
    assert len(letters) == len(POISON) and len({letter.source for letter in letters}) == len(POISON)
    assert all(letter.reason and letter.stage == "worker" for letter in letters)
    cut = sorted(letter.payload_bytes for letter in letters if letter.payload_bytes is not None)
    over_64_ki = ("invalid UTF-8, 1.2 MB once decoded", "a 900 KB text", "nested 100,000 deep")
    assert cut == sorted(len(POISON[k] or b"") for k in over_64_ki)
    reasons = Counter(letter.reason.split(":")[0] for letter in letters)
    assert reasons == {"not JSON": 5, "invalid tweet": 4, "empty record (no value)": 2}, reasons
    assert worker.poll() is None  # still consuming


def test_the_x_stream_reaches_the_feeds_of_followers_and_a_restart_misses_and_repeats_nothing(
    settings: Settings, store: FeedStore, workers: Workers, tmp_path: Path
) -> None:
    """`tickertape ingest --x-stream` against a local X API: rules made from the follows in Redis, posts of
    followed accounts (only) reach their followers' feeds through a real worker; stopped and started
    again, the ingestor backfills the gap, and what that repeats is stored once."""
    store.follow("u1", ["whale", "degen"])
    fake = XReplayServer()
    fake.connections = ["429"]
    before = [fake.post("whale", "$BTC breaking out"), fake.post("stranger", "$ETH not followed"), fake.post("degen", "SOL szn, $WIF")]
    fake.garbage(b"{not json")
    with fake.serving() as base:
        env = {**workers.env, "TT_X_API_BASE": base, "TT_X_BEARER_TOKEN": fake.token, "TT_X_RULES_SYNC": "1"}

        def ingest(log: str) -> subprocess.Popen[bytes]:
            with (tmp_path / log).open("wb") as out:
                return subprocess.Popen([sys.executable, "-m", "workers.cli", "ingest", "--x-stream"], env=env,
                                        stdout=out, stderr=subprocess.STDOUT)

        workers.start()
        first = ingest("ingest-1.log")
        try:
            wait_for(store, 2, timeout=120)
        finally:
            first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0
        during = fake.post("whale", "ETH next")  # published while no ingestor runs
        store.follow("u2", ["newbie"])  # followed while no ingestor runs: a rule appears at start
        after = fake.post("newbie", "$DOGE, my first post")
        second = ingest("ingest-2.log")
        try:
            wait_for(store, 4, timeout=120)
            time.sleep(3)  # the backfill's repeats, had they been stored twice
        finally:
            second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0
    assert fake.stream_requests[-1].get("backfill_minutes") == ["2"], "the restart did not backfill its gap"
    assert store.stats()["tweets"] == 4
    # The line that is no post, dead-lettered by the ingestor (again after the backfill re-served it).
    letters = [decode(DeadLetter, v) for v in read_topic(settings, settings.dlq_topic, 1)]
    assert {(d.stage, d.source, d.reason.split(":")[0]) for d in letters} == {("ingest", "x-stream", "not JSON")}
    assert {i.tweet_id for i in store.feed("u1")} == {before[0], before[2], during}
    assert [i.tweet_id for i in store.feed("u2")] == [after]
    messages = [decode(ExtractionResult, v) for v in read_topic(settings, settings.mentions_topic, 4)]
    assert sorted(m.tweet_id for m in messages) == sorted([before[0], before[2], during, after])
    sent = [decode(Tweet, v) for v in read_topic(settings, settings.tweets_topic, 4)]
    assert {t.source for t in sent} == {"x-stream"} and {t.id for t in sent} == {m.tweet_id for m in messages}


def test_the_demo_runs_through_a_local_x_api_with_no_token(
    settings: Settings, store: FeedStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tickertape demo --source x`: the demo's tweets posted to the local X server and read from its stream
    by `tickertape ingest --x-stream` (no bearer token set); the posts of followed accounts, and only
    those, are processed, each once, all with source x-stream."""
    for name, value in worker_env(settings).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TT_X_BEARER_TOKEN", raising=False)
    assert run_demo(settings, tweets=150, workers=1, rate=150, real=None, source="x") == 0
    out = capsys.readouterr().out
    followed = int(re.search(r"(\d+) of them by followed accounts", out).group(1))  # type: ignore[union-attr]
    assert 0 < followed < 150 and f"processed {followed}/{followed} tweets" in out, out
    assert store.stats()["tweets"] == followed
    sent = [decode(Tweet, v) for v in read_topic(settings, settings.tweets_topic, followed)]
    assert len(sent) == followed and {t.source for t in sent} == {"x-stream"}


def test_x_timelines_resume_after_a_restart_with_no_gap_and_no_repeat(
    settings: Settings, store: FeedStore, workers: Workers, tmp_path: Path
) -> None:
    """`tickertape ingest --x-timelines` against a local X API: followed accounts' posts reach the feeds
    through a real worker; stopped, then started after more posts, it sends each post exactly once
    (per-account since_id in Redis, moved only after Kafka's ack)."""
    store.follow("u1", ["whale", "degen"])
    fake = XReplayServer()
    first = [fake.post("whale", "$BTC breaking out"), fake.post("degen", "SOL szn, $WIF"), fake.post("whale", "ETH next")]
    fake.post("stranger", "$ETH not followed")
    fake.unavailable = ["/2/users/by"]  # X failing the first round: the next one tries again
    with fake.serving() as base:
        env = {**workers.env, "TT_X_API_BASE": base, "TT_X_BEARER_TOKEN": fake.token, "TT_X_POLL_INTERVAL": "0.5"}

        def poll_until(stored: int, log: str) -> None:
            with (tmp_path / log).open("wb") as out:
                poller = subprocess.Popen([sys.executable, "-m", "workers.cli", "ingest", "--x-timelines"], env=env,
                                          stdout=out, stderr=subprocess.STDOUT)
            try:
                wait_for(store, stored, timeout=120)
                time.sleep(2)  # a few more rounds: none may send anything again
            finally:
                poller.send_signal(signal.SIGTERM)
            assert poller.wait(timeout=60) == 0, (tmp_path / log).read_text()

        workers.start()
        poll_until(3, "poll-1.log")
        assert "the next round tries again" in (tmp_path / "poll-1.log").read_text()
        later = [fake.post("degen", "$PEPE"), fake.post("whale", "gm, no coins today")]
        poll_until(5, "poll-2.log")
    sent = [decode(Tweet, v) for v in read_topic(settings, settings.tweets_topic, 5)]
    assert sorted(t.id for t in sent) == sorted(first + later)  # each once: no repeat across the restart
    assert {t.source for t in sent} == {"x-timeline"}
    assert all("since_id" in q for q in fake.timeline_requests[2:])  # after each account's first page
    assert store.stats()["tweets"] == 5
    assert {i.tweet_id for i in store.feed("u1")} == {first[0], first[1], first[2], later[0]}
