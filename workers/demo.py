"""`tickertape demo`: Kafka, Redis, workers and a firehose on this machine, watched live.

With ``--source x`` the tweets take the live path instead: posted to a local X API server
(:mod:`workers.ingest.x_replay`) and read from its filtered stream by ``tickertape ingest --x-stream``,
whose rules come from the demo users' follows, so only followed accounts' posts arrive (no token needed).

When a file of real tweets is at hand (by default the founders corpus in ``../shared``, which the
repository may not ship), a few hundred of them are mixed in, retimed to now, and user ``dave``
follows their most active authors; without it the demo is synthetic only.

Ends with a sample feed, the trending tokens, throughput and end-to-end latency, twice: from the
ingestor's send to ``processed_at`` (stamped by the worker before its Redis write), and from the send to
the moment the tweet is in its followers' feeds, as its author's live channel announces it (published
after the fan-out, so this one includes the write and the fan-out).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydantic import ValidationError

from schemas import ExtractionResult, Tweet, decode
from workers.admin.local import up
from workers.ingest.files import RecordMapper, read_file
from workers.ingest.firehose import Firehose
from workers.ingest.producer import TweetProducer, paced
from workers.ingest.x_replay import XReplayServer
from workers.settings import REPO_ROOT, Settings
from workers.store import FeedStore, handle

#: Who follows whom in the demo: users over the firehose's synthetic accounts.
DEMO_FOLLOWS = {
    "alice": [f"synth_{i:03d}" for i in range(0, 10)],
    "bob": [f"synth_{i:03d}" for i in range(10, 30)],
    "carol": [f"synth_{i:03d}" for i in range(0, 50, 5)],
}
#: Real tweets mixed into the demo when the file exists (read, never shipped).
REAL_TWEETS = REPO_ROOT.parent / "shared" / "data" / "corpus" / "founders_2023_2026.jsonl"
REAL_SAMPLE = 400
READY_TIMEOUT_S = 180
#: The bearer token the demo's local X server accepts: no real token is needed, none is sent anywhere.
REPLAY_TOKEN = "tickertape-demo-replay"
DRAIN_TIMEOUT_S = 300


def _start_workers(n: int, settings: Settings, logs: Path) -> list[tuple[subprocess.Popen[bytes], Path]]:
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TT_KAFKA_PORT": str(settings.kafka_port), "TT_REDIS_PORT": str(settings.redis_port)}
    workers = []
    for i in range(n):
        log = logs / f"worker-{i}.log"
        # One /metrics port per worker process on this host: 9108, 9109, …
        port = {"TT_METRICS_PORT": str(settings.metrics_port + i if settings.metrics_port else 0)}
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "workers.cli", "worker"], stdout=out, stderr=subprocess.STDOUT, env={**env, **port}
            )
        workers.append((proc, log))
    return workers


def _wait_ready(workers: list[tuple[subprocess.Popen[bytes], Path]]) -> None:
    """Faust logs 'Ready' once a worker has joined the group and got its partitions."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not all("Ready" in log.read_text(errors="replace") for _, log in workers):
        for proc, log in workers:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited with {proc.returncode}; see {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers not ready after {READY_TIMEOUT_S}s; see {workers[0][1].parent}")
        time.sleep(0.5)


def _real_tweets(path: Path | None, run: str) -> list[Tweet]:
    """Up to REAL_SAMPLE valid tweets from ``path``, retimed to now, with ids unique to ``run``."""
    if path is None or not path.is_file():
        return []
    mapper = RecordMapper(id_prefix=f"{path.stem}-{run}", retime=True)
    tweets = []
    for item in read_file(path):
        if item.record is not None and len(tweets) < REAL_SAMPLE:
            try:
                tweets.append(mapper.tweet(item.record, item.source))
            except (ValueError, ValidationError):
                continue
    return tweets


def _interleave(synthetic: list[Tweet], real: list[Tweet]) -> list[Tweet]:
    """Real tweets spread evenly through the synthetic stream."""
    if not real:
        return synthetic
    step = max(1, len(synthetic) // len(real))
    mixed: list[Tweet] = []
    for i, tweet in enumerate(synthetic):
        mixed.append(tweet)
        if i % step == 0 and real:
            mixed.append(real.pop())
    return mixed + real


class FeedArrivals:
    """When each tweet by one of ``accounts`` is in its followers' feeds, measured from its
    ``ingested_at``: a subscriber to the accounts' live channels (published after the fan-out), in a
    thread of its own."""

    def __init__(self, store: FeedStore, accounts: list[str]) -> None:
        self.latency_ms: dict[str, float] = {}
        self._pubsub = store.redis.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(**{store.keys.live(account): self._arrived for account in accounts})
        self._thread = self._pubsub.run_in_thread(sleep_time=0.05, daemon=True)

    def _arrived(self, message: dict[str, bytes]) -> None:
        result = decode(ExtractionResult, message["data"])
        self.latency_ms.setdefault(result.tweet_id, (datetime.now(timezone.utc) - result.ingested_at).total_seconds() * 1000)

    def stop(self) -> None:
        self._thread.stop()
        self._thread.join(timeout=5)
        self._pubsub.close()


@contextmanager
def _sent_directly(settings: Settings, stream: list[Tweet], rate: float) -> Iterator[Callable[[], int]]:
    """Send ``stream`` to the tweets topic at ``rate``, in a thread; yields how many were sent so far."""
    producer = TweetProducer(settings)
    sender = threading.Thread(target=producer.stream, args=(stream, rate), daemon=True)
    sender.start()
    try:
        yield lambda: producer.counts.sent
    finally:
        sender.join(timeout=5)
        producer.close()


@contextmanager
def _sent_through_x(settings: Settings, stream: list[Tweet], rate: float, logs: Path) -> Iterator[Callable[[], int]]:
    """Post ``stream`` at ``rate`` to a local X API server read by ``tickertape ingest --x-stream``;
    yields how many posts the stream has served so far."""
    replay = XReplayServer(token=REPLAY_TOKEN)
    with replay.serving() as base:
        env = {**os.environ, "TT_KAFKA_PORT": str(settings.kafka_port), "TT_REDIS_PORT": str(settings.redis_port),
               "TT_X_API_BASE": base, "TT_X_BEARER_TOKEN": REPLAY_TOKEN}
        log = logs / "ingest-x-stream.log"
        with log.open("wb") as out:
            ingest = subprocess.Popen([sys.executable, "-m", "workers.cli", "ingest", "--x-stream"], env=env,
                                      stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not replay.stream_requests:  # rules synced from the follows, stream open
                if ingest.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"tickertape ingest --x-stream did not open the stream; see {log}")
                time.sleep(0.2)

            def post_all() -> None:
                for tweet in paced(stream, rate):
                    replay.post(tweet.author, tweet.text, post_id=tweet.id)

            threading.Thread(target=post_all, daemon=True).start()
            yield lambda: replay.delivered
        finally:
            ingest.send_signal(signal.SIGTERM)
            ingest.wait(timeout=60)


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def run_demo(
    settings: Settings,
    tweets: int = 1500,
    workers: int = 2,
    rate: float = 60.0,
    real: Path | None = REAL_TWEETS,
    source: str = "firehose",
) -> int:
    """Run the demo; returns the exit status (0 when every tweet expected was processed).

    ``tweets``: synthetic tweets to send; ``real``: a JSONL file of real tweets to mix in (None: none);
    ``source``: "firehose" (sent to Kafka directly) or "x" (through a local X API).
    """
    print("• starting Kafka and Redis, creating topics …", flush=True)
    for topic, partitions in up(settings).items():
        print(f"  {topic}: {partitions} partitions")
    run = f"{time.time():.0f}"
    stream = _interleave(list(Firehose(accounts=50, run=run).tweets(tweets)), _real_tweets(real, run))
    follows = dict(DEMO_FOLLOWS)
    real_authors = Counter(t.author for t in stream if t.source != "firehose")
    if real_authors:
        follows["dave"] = [a for a, _ in real_authors.most_common(5)]
    store = FeedStore.connect(settings)
    for user, accounts in follows.items():
        store.follow(user, accounts)
    print(f"• users: {', '.join(f'{u} follows {len(a)}' for u, a in follows.items())}")
    if real_authors:
        print(f"  dave follows real accounts: {', '.join(follows['dave'])} ({real.name if real else ''})")

    expected = stream
    if source == "x":
        # X ids are decimal strings; these are unique to the run. The stream serves followed accounts only.
        stream = [t.model_copy(update={"id": f"{run}{i:06d}"}) for i, t in enumerate(stream)]
        followed = {a.lower() for accounts in follows.values() for a in accounts}
        expected = [t for t in stream if t.author.lower() in followed]
    logs = settings.run_dir / "demo"
    print(f"• starting {workers} workers (backend {settings.extractor}) …", flush=True)
    procs = _start_workers(workers, settings, logs)
    try:
        _wait_ready(procs)
        # Progress counts this run's results, not the global counter, which a backlog left in the
        # topic by an earlier run would move too.
        result_keys = [store.keys.result(t.id) for t in expected]
        arrivals = FeedArrivals(store, sorted({handle(a) for accounts in follows.values() for a in accounts}))
        total = len(expected)
        via = "to a local X API, read by `tickertape ingest --x-stream`" if source == "x" else "to Kafka"
        print(f"• streaming {len(stream)} tweets ({len(stream) - tweets} real) at {rate:.0f}/s {via}", flush=True)
        if source == "x":
            print(f"  {total} of them by followed accounts: the ones the stream's rules match")
        started = time.perf_counter()
        sending = _sent_through_x(settings, stream, rate, logs) if source == "x" else _sent_directly(settings, stream, rate)
        with sending as sent:
            done = 0
            deadline = time.monotonic() + DRAIN_TIMEOUT_S + len(stream) / max(rate, 1)
            while done < total and time.monotonic() < deadline:
                time.sleep(1)
                done = int(store.redis.exists(*result_keys))
                elapsed = time.perf_counter() - started
                print(f"\r  sent {sent():>6}  processed {done:>6}  ({done / elapsed:6.0f} tweets/s)", end="", flush=True)
            elapsed = time.perf_counter() - started
        time.sleep(0.5)  # the last announcements in flight
        arrivals.stop()
        print()
        _report(store, [t.id for t in expected], elapsed, list(follows), arrivals)
        return 0 if done >= total else 1
    finally:
        for proc, _ in procs:
            proc.send_signal(signal.SIGTERM)
        for proc, _ in procs:
            proc.wait(timeout=60)


def _report(store: FeedStore, ids: list[str], elapsed: float, users: list[str], arrivals: FeedArrivals) -> None:
    raws = store.redis.mget([store.keys.result(i) for i in ids])
    results = [decode(ExtractionResult, raw) for raw in raws if raw is not None]
    latencies = sorted((r.processed_at - r.ingested_at).total_seconds() * 1000 for r in results)
    for user in ("alice", "dave"):
        if user in users:
            print(f"\n• {user}'s feed (newest 5):")
            for item in store.feed(user, limit=5):
                text = " ".join(item.text.split())
                print(f"  @{item.author:<14} [{' '.join(item.tokens)}] {text[:110]}")
    print("\n• trending, last hour:")
    for symbol, count in store.trending(timedelta(hours=1), limit=8):
        print(f"  {symbol:<8} {count}")
    print(f"\n• processed {len(results)}/{len(ids)} tweets in {elapsed:.1f}s: {len(results) / elapsed:.0f} tweets/s")
    if latencies:
        print(f"• latency produced → processed: p50 {_percentile(latencies, 0.5):.0f} ms, p99 {_percentile(latencies, 0.99):.0f} ms")
    in_feeds = sorted(arrivals.latency_ms[i] for i in ids if i in arrivals.latency_ms)
    if in_feeds:
        print(f"• latency produced → in a follower's feed ({len(in_feeds)} tweets): "
              f"p50 {_percentile(in_feeds, 0.5):.0f} ms, p99 {_percentile(in_feeds, 0.99):.0f} ms")
    print("  (Kafka and Redis keep running: `tickertape down` stops them)")
