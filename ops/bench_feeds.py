#!/usr/bin/env python
"""Feeds benchmark: the product's follow graph, loaded, then written to by tweets.

Builds the graph the seed report's product has (10,000 users × 1,000 follows over 20,000 accounts,
account popularity Zipf-like, so a few accounts have most users), writes it as the CSV that
`tickertape follow --import` reads, and times the import through that command (a process of its own,
file parsing included). Then the store's write path alone (no Kafka, no model: what each worker's
batch costs Redis): ``--tweets`` results in batches of 100, authors drawn by follower count (popular
accounts tweet more), through :meth:`FeedStore.write_results` — tweets/s, the longest Redis call (its
SLOWLOG), commands and bytes per follower written, memory per user with its feed at the cap, and feed
and trending read times.

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
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402

from schemas import ExtractionResult, MentionKind, TokenMention, Tweet  # noqa: E402
from workers.settings import Settings  # noqa: E402
from workers.store import FeedStore  # noqa: E402

SYMBOLS = ["BTC", "ETH", "SOL", "DOGE", "PEPE", "LINK", "ARB", "WIF", "BNB", "AVAX"]


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


def _tweets(popularity: Counter[str], n: int, seed: int) -> list[ExtractionResult]:
    """``n`` results, one or two tokens each, authors drawn with weight = followers, a second apart."""
    rng = random.Random(seed)
    accounts, weights = zip(*popularity.items(), strict=True)
    start = datetime.now(timezone.utc) - timedelta(seconds=n)
    results = []
    for i, author in enumerate(rng.choices(accounts, weights=weights, k=n)):
        symbols = rng.sample(SYMBOLS, rng.choice((1, 1, 2)))
        tweet = Tweet(id=f"b{i}", author=author, text=" ".join(f"${s}" for s in symbols),
                      created_at=start + timedelta(seconds=i))
        mentions = [TokenMention(symbol=s, text=f"${s}", start=0, end=len(s) + 1, kind=MentionKind.CASHTAG) for s in symbols]
        results.append(ExtractionResult.of(tweet, mentions, "bench"))
    return results


def _empty_all_but_follows(client: redis.Redis, prefix: str) -> None:
    doomed = [k for k in client.scan_iter(match=f"{prefix}:*", count=5000)
              if not k.decode().removeprefix(f"{prefix}:").startswith(("following:", "followers:"))]
    for start in range(0, len(doomed), 1000):
        client.unlink(*doomed[start:start + 1000])


def _command_calls(client: redis.Redis) -> Counter[str]:
    return Counter({name: stats["calls"] for name, stats in client.info("commandstats").items()})


def write_path(
    store: FeedStore, graph: dict[str, list[str]], popularity: Counter[str], n: int, seed: int
) -> dict[str, object]:
    """Write ``n`` tweets in batches of 100; what they cost Redis, and what reads cost afterwards."""
    client, s = store.redis, store.settings
    results = _tweets(popularity, n, seed)
    pushed = [r for r in results if popularity[r.author] <= s.fanout_max_followers]
    edges = sum(popularity[r.author] for r in pushed)
    slowlog = client.config_get("slowlog-*")
    client.config_set("slowlog-log-slower-than", 1000)  # µs: every call over 1 ms
    client.config_set("slowlog-max-len", 100_000)
    client.slowlog_reset()
    calls = _command_calls(client)
    memory_before = client.info("memory")["used_memory"]
    started = time.monotonic()
    for first in range(0, n, 100):
        store.write_results(results[first:first + 100])
    write_s = time.monotonic() - started
    memory = client.info("memory")["used_memory"] - memory_before
    calls = _command_calls(client) - calls
    slow = client.slowlog_get(100_000)
    for name, value in slowlog.items():
        client.config_set(name, value)
    # ZADD + trim calls beyond the tweets' own (mention timelines per token, pulled tweets' timelines).
    own = 2 * sum(len(r.tokens) for r in results) + 2 * (len(results) - len(pushed))
    follower_calls = calls["cmdstat_zadd"] + calls["cmdstat_zremrangebyrank"] - own
    sample = random.Random(seed).sample(list(graph), 200)
    sizes = [(client.memory_usage(store.keys.feed(u)) or 0, client.zcard(store.keys.feed(u))) for u in sample]
    entry_bytes = sum(b for b, _ in sizes) / max(1, sum(c for _, c in sizes))
    following_bytes = statistics.mean(client.memory_usage(store.keys.following(u)) or 0 for u in sample)
    reads = []
    for user in sample[:50]:
        t0 = time.perf_counter()
        store.feed(user, limit=20)
        t1 = time.perf_counter()
        store.feed(user, token="BTC", limit=20)
        t2 = time.perf_counter()
        store.trending(timedelta(hours=1), user=user)
        reads.append((t1 - t0, t2 - t1, time.perf_counter() - t2))
    feed_ms, token_ms, trend_ms = (sorted(x * 1000 for x in column) for column in zip(*reads, strict=True))
    return {
        "tweets": n, "tweets_pushed": len(pushed), "pulled_accounts": client.scard(store.keys.pulled()),
        "follower_writes": edges, "store_tweets_per_s": round(n / write_s),
        "calls_over_1ms": len(slow), "longest_call_ms": round(max((e["duration"] for e in slow), default=0) / 1000, 2),
        "redis_commands_per_follower": round(follower_calls / max(1, edges), 2),
        "bytes_written_per_follower": round(memory / max(1, edges)),
        "feed_bytes_per_entry": round(entry_bytes), "following_set_kb": round(following_bytes / 1000, 1),
        "kb_per_user_feed_at_cap": round((entry_bytes * s.feed_cap + following_bytes) / 1000, 1),
        "feed_read_ms_p50_p99": (round(feed_ms[25], 1), round(feed_ms[-1], 1)),
        "token_feed_read_ms_p50_p99": (round(token_ms[25], 1), round(token_ms[-1], 1)),
        "user_trending_1h_ms_p50_p99": (round(trend_ms[25], 1), round(trend_ms[-1], 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--follows", type=int, default=1_000, help="accounts each user follows")
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--tweets", type=int, default=10_000, help="tweets written after the import (0: none)")
    parser.add_argument("--pull-above", default="", help="TT_FANOUT_MAX_FOLLOWERS values to compare, e.g. 500,2000,5000 "
                        "(default: the setting); each starts from feeds emptied, the graph kept")
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
    thresholds = [int(t) for t in args.pull_above.split(",") if t] or [settings.fanout_max_followers]
    for threshold in thresholds if args.tweets else []:
        _empty_all_but_follows(client, prefix)
        store.settings = settings.model_copy(update={"fanout_max_followers": threshold})
        written = write_path(store, graph, popularity, args.tweets, args.seed)
        figures |= {f"{name} (pull above {threshold})" if len(thresholds) > 1 else name: value
                    for name, value in written.items()}
    keys = list(client.scan_iter(match=f"{prefix}:*", count=5000))
    for start in range(0, len(keys), 1000):
        client.unlink(*keys[start:start + 1000])
    # The append-only file would otherwise keep ~1.5 GB of writes that a Redis restart replays (25 s).
    client.bgrewriteaof()
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:>44}  {value}")


if __name__ == "__main__":
    main()
