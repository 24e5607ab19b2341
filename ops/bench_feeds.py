#!/usr/bin/env python
"""Feeds benchmark, part one: loading the product's follow graph.

Builds the graph the seed report's product has (10,000 users × 1,000 follows over 20,000 accounts,
account popularity Zipf-like, so a few accounts have most users), writes it as the CSV that
`tickertape follow --import` reads, and times the import through that command (a process of its own,
file parsing included), then prints the graph's shape and what Redis holds for it.

    .venv/bin/python ops/bench_feeds.py                         # the full graph
    .venv/bin/python ops/bench_feeds.py --users 1000 --json

Uses the configured (or local, `tickertape up`) Redis under a prefix of its own, removed after.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402

from workers.settings import Settings  # noqa: E402
from workers.store import FeedStore  # noqa: E402


def zipf_graph(users: int, follows: int, accounts: int, seed: int) -> dict[str, list[str]]:
    """Each user follows ``follows`` distinct accounts, drawn with weight 1/rank^0.8 (a popularity curve
    like the issue's measured one: median 198 followers, a top account followed by everyone)."""
    rng = random.Random(seed)
    names = [f"acct_{i:05d}" for i in range(accounts)]
    cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(accounts)))
    graph = {}
    for u in range(users):
        chosen: set[str] = set(names[:1])  # the one account everybody follows
        while len(chosen) < follows:
            chosen.update(rng.choices(names, cum_weights=cumulative, k=follows - len(chosen)))
        graph[f"user_{u:05d}"] = sorted(chosen)
    return graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--follows", type=int, default=1_000, help="accounts each user follows")
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    args = parser.parse_args()

    graph = zipf_graph(args.users, args.follows, args.accounts, args.seed)
    popularity = Counter(account for accounts in graph.values() for account in accounts)
    followers = sorted(popularity.values())
    prefix = f"bench:{uuid.uuid4().hex[:8]}"
    settings = Settings().model_copy(update={"redis_prefix": prefix})
    client = redis.Redis.from_url(settings.redis_dsn)
    memory_before = client.info("memory")["used_memory"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "follows.csv"
        path.write_text("user,account\n" + "".join(f"{u},{a}\n" for u, accounts in graph.items() for a in accounts))
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "workers.cli", "follow", "--import", str(path)],
                       env={**os.environ, "TT_REDIS_PREFIX": prefix}, check=True, stderr=subprocess.DEVNULL)
        import_s = time.monotonic() - started
    memory = client.info("memory")["used_memory"] - memory_before
    store = FeedStore(client, settings)
    sample = random.Random(args.seed).choice(list(graph))
    assert store.following(sample) == graph[sample], "the import lost follows"
    figures = {
        "users": args.users, "follows": sum(map(len, graph.values())), "accounts": len(popularity),
        "followers_median": statistics.median(followers), "followers_p99": followers[int(len(followers) * 0.99)],
        "followers_max": followers[-1], "import_s": round(import_s, 1),
        "import_follows_per_s": round(sum(map(len, graph.values())) / import_s),
        "redis_mb": round(memory / 1e6, 1),
    }
    keys = list(client.scan_iter(match=f"{prefix}:*", count=5000))
    for start in range(0, len(keys), 1000):
        client.unlink(*keys[start:start + 1000])
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:>22}  {value}")


if __name__ == "__main__":
    main()
