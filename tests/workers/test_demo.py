"""The demo's feed-latency probe on the real Redis: what the write script announces is timed once."""

import time
from datetime import datetime, timedelta, timezone

import pytest

from schemas import ExtractionResult, Tweet, encode
from workers.demo import FeedArrivals
from workers.store import FeedStore

pytestmark = pytest.mark.integration


def test_feed_arrivals_time_each_tweet_from_its_send_once(store: FeedStore) -> None:
    arrivals = FeedArrivals(store, ["a", "b"])
    now = datetime.now(timezone.utc)
    tweet = Tweet(id="1", author="a", text="$BTC", created_at=now, ingested_at=now - timedelta(seconds=2))
    message = encode(ExtractionResult.of(tweet, [], "test"))
    try:
        time.sleep(0.2)  # subscribed
        for account in ("a", "a"):  # an announcement repeated (a redelivery)
            store.redis.publish(store.keys.live(account), message)
        deadline = time.monotonic() + 5
        while "1" not in arrivals.latency_ms and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        arrivals.stop()
    assert list(arrivals.latency_ms) == ["1"]
    assert 2000 <= arrivals.latency_ms["1"] < 4000
