#!/usr/bin/env python
"""Scaling benchmark: N worker processes in one consumer group over the same synthetic input.

For each N: fresh topics and group (unique names), start N `tickertape worker` processes, wait
until the group is stable with every partition assigned, send the tweets as fast as Kafka takes
them, and time until all are stored in Redis. Prints partitions per worker and throughput.

    .venv/bin/python ops/bench_scaling.py                  # 1, 2 and 4 workers, 6000 tweets
    .venv/bin/python ops/bench_scaling.py --workers 2 --tweets 1200 --json
    .venv/bin/python ops/bench_scaling.py --workers 2 --graph   # on the 10k × 1,000 follow graph

``--graph``: before each round, the follow graph of ``ops/bench_feeds.py`` is loaded under the round's
prefix and the tweets' authors are redrawn from its accounts by follower count (popular accounts tweet
more), so the fan-out is the product's.

Uses the configured (or local, `tickertape up`) Kafka and Redis; removes its Redis keys after.
Throughput is bounded by the host: workers, Kafka and Redis share its cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_feeds import zipf_graph  # noqa: E402  (ops/ is on the path: this script's own folder)
from kafka import KafkaAdminClient  # noqa: E402

from workers.admin.lag import group_owners  # noqa: E402
from workers.admin.topics import ensure_topics  # noqa: E402
from workers.ingest.firehose import Firehose  # noqa: E402
from workers.ingest.producer import TweetProducer  # noqa: E402
from workers.settings import Settings  # noqa: E402
from workers.store import FeedStore  # noqa: E402

STABLE_TIMEOUT_S = 180
DRAIN_TIMEOUT_S = 600


def run(workers: int, tweets: int, partitions: int, logs: Path, graph: dict[str, list[str]] | None = None) -> dict[str, object]:
    """One round with ``workers`` processes; returns its figures (see the keys)."""
    tag = uuid.uuid4().hex[:8]
    settings = Settings().model_copy(update={
        "tweets_topic": f"bench-tweets-{tag}", "mentions_topic": f"bench-mentions-{tag}",
        "dlq_topic": f"bench-dlq-{tag}", "worker_group": f"bench-{tag}", "redis_prefix": f"bench:{tag}",
        "partitions": partitions,
    })
    ensure_topics(settings)
    env = {**os.environ, "TT_METRICS_PORT": "0", **{
        f"TT_{k.upper()}": str(getattr(settings, k))
        for k in ("tweets_topic", "mentions_topic", "dlq_topic", "worker_group", "redis_prefix", "partitions",
                  "kafka_port", "redis_port")}}
    log_paths = [logs / f"bench-{tag}-worker-{i}.log" for i in range(workers)]
    procs = []
    for path in log_paths:
        with path.open("wb") as out:
            procs.append(subprocess.Popen([sys.executable, "-m", "workers.cli", "worker"], env=env,
                                          stdout=out, stderr=subprocess.STDOUT))
    store = FeedStore.connect(settings)
    try:
        batch = list(Firehose(accounts=200, run=f"bench-{tag}").tweets(tweets))
        if graph is not None:
            store.follow_many(graph.items())
            popularity = Counter(a for accounts in graph.values() for a in accounts)
            authors = random.Random(tag).choices(list(popularity), weights=list(popularity.values()), k=len(batch))
            batch = [t.model_copy(update={"author": a}) for t, a in zip(batch, authors, strict=True)]
        owners = wait_stable(settings, workers, procs)
        started = time.perf_counter()
        producer = TweetProducer(settings)
        producer.stream(batch)
        producer.close()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while store.stats().get("tweets", 0) < tweets:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {store.stats()} of {tweets} processed; logs in {logs}")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        stored = sum(1 for raw in store.redis.mget([store.keys.result(t.id) for t in batch]) if raw is not None)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)
        keys = list(store.redis.scan_iter(match=f"{settings.redis_prefix}:*", count=5000))
        for first in range(0, len(keys), 1000):
            store.redis.unlink(*keys[first:first + 1000])
    # Every record handled exactly once: the batch sizes the workers logged add up to the input.
    handled = [sum(int(n) for n in re.findall(r"batch=(\d+) new=", p.read_text(errors="replace"))) for p in log_paths]
    return {
        "workers": workers, "tweets": tweets, "seconds": round(seconds, 2),
        "tweets_per_s": round(tweets / seconds), "partitions_per_worker": sorted(Counter(owners.values()).values()),
        "stored": stored, "handled": sum(handled), "handled_per_worker": handled,
    }


def wait_stable(settings: Settings, workers: int, procs: list[subprocess.Popen[bytes]]) -> dict[int, str]:
    """Partition → member once ``workers`` members hold all partitions and the group is Stable."""
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap, client_id="tickertape-bench")
    deadline = time.monotonic() + STABLE_TIMEOUT_S
    try:
        while True:
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker exited during start-up")
            state = admin.describe_groups([settings.worker_group])[settings.worker_group]["group_state"]
            owners = group_owners(admin, settings.worker_group, settings.tweets_topic)
            if state == "Stable" and len(owners) == settings.partitions and len(set(owners.values())) == workers:
                return owners
            if time.monotonic() > deadline:
                raise RuntimeError(f"group not stable with {workers} members after {STABLE_TIMEOUT_S}s: {state} {owners}")
            time.sleep(0.5)
    finally:
        admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, action="append", help="worker count; repeat (default 1, 2, 4)")
    parser.add_argument("--tweets", type=int, default=6000, help="synthetic tweets per round (default 6000)")
    parser.add_argument("--partitions", type=int, default=12, help="partitions of the bench topic (default 12)")
    parser.add_argument("--graph", action="store_true", help="fan out over the 10k x 1,000 Zipf follow graph")
    parser.add_argument("--json", action="store_true", help="one JSON object per round")
    args = parser.parse_args()
    graph = zipf_graph(10_000, 1_000, 20_000, seed=17) if args.graph else None
    with tempfile.TemporaryDirectory(prefix="tt-bench-") as logs:
        for n in args.workers or [1, 2, 4]:
            figures = run(n, args.tweets, args.partitions, Path(logs), graph)
            if args.json:
                print(json.dumps(figures), flush=True)
            else:
                print(f"{n} worker(s): {figures['tweets_per_s']:>6} tweets/s ({figures['tweets']} in "
                      f"{figures['seconds']} s), partitions per worker {figures['partitions_per_worker']}, "
                      f"records handled {figures['handled']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
