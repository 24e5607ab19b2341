"""FeedStore against the real Redis (started by `tickertape up`)."""

from datetime import datetime, timedelta, timezone

import pytest

from schemas import ExtractionResult, MentionKind, TokenMention, Tweet
from workers.store import FeedStore

pytestmark = pytest.mark.integration
T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)


def result(tweet_id: str, author: str, symbols: list[str], minutes: int = 0) -> ExtractionResult:
    text = " ".join(f"${s}" for s in symbols) or "nothing here"
    mentions, offset = [], 0
    for s in symbols:
        mentions.append(TokenMention(symbol=s, text=f"${s}", start=offset, end=offset + len(s) + 1, kind=MentionKind.CASHTAG))
        offset += len(s) + 2
    tweet = Tweet(id=tweet_id, author=author, text=text, created_at=T0 + timedelta(minutes=minutes))
    return ExtractionResult.of(tweet, mentions, "test")


def test_results_fan_out_to_followers_once(store: FeedStore) -> None:
    store.follow("Alice", ["@CZ_Binance", "vitalik"])
    store.follow("bob", ["vitalik"])
    batch = [
        result("1", "cz_binance", ["BNB"], 1),
        result("2", "vitalik", ["ETH", "BTC"], 2),
        result("3", "vitalik", [], 3),
        result("4", "stranger", ["DOGE"], 4),
    ]
    assert store.write_results(batch) == [True] * 4
    assert store.write_results(batch) == [False] * 4  # a redelivered batch changes nothing

    assert [i.tweet_id for i in store.feed("alice")] == ["2", "1"]
    assert [i.tweet_id for i in store.feed("bob")] == ["2"]
    assert [i.tweet_id for i in store.feed("alice", token="btc")] == ["2"]
    assert store.feed("alice", token="DOGE") == []
    assert [r.tweet_id for r in store.mentions("DOGE")] == ["4"]
    assert store.stats() == {"tweets": 4, "tweets_with_mentions": 3, "mentions": 4}
    assert store.result("3").tokens == []
    assert dict(store.trending(timedelta(hours=1))) == {"BNB": 1, "ETH": 1, "BTC": 1, "DOGE": 1}


def test_feed_pages_by_time_and_is_capped(store: FeedStore) -> None:
    store.settings = store.settings.model_copy(update={"feed_cap": 3})
    store.follow("carol", ["a"])
    store.write_results([result(str(i), "a", ["SOL"], i) for i in range(6)])
    page = store.feed("carol", limit=2)
    assert [i.tweet_id for i in page] == ["5", "4"]
    assert [i.tweet_id for i in store.feed("carol", limit=5, before=page[-1].created_at)] == ["3"]


def test_trending_counts_only_the_window(store: FeedStore) -> None:
    now = T0 + timedelta(minutes=30)
    store.write_results([result("old", "a", ["BTC"], -60), result("new", "a", ["BTC", "ETH"], 25)])
    assert store.trending(timedelta(minutes=10), now=now) == [("BTC", 1), ("ETH", 1)]
    assert dict(store.trending(timedelta(hours=2), now=now)) == {"BTC": 2, "ETH": 1}


def test_unfollow_stops_fan_out(store: FeedStore) -> None:
    store.follow("dave", ["a", "b"])
    store.unfollow("dave", ["a"])
    assert store.following("dave") == ["b"]
    store.write_results([result("1", "a", ["BTC"]), result("2", "b", ["ETH"])])
    assert [i.tweet_id for i in store.feed("dave")] == ["2"]


def test_follow_many_writes_both_directions_in_bounded_pipelines(store: FeedStore) -> None:
    graph = [("erin", ["a", "b"]), ("frank", ["a"]), ("erin", ["c"]), ("gina", [])]
    counts = store.follow_many(graph, edges_per_call=2)  # three pipelines
    assert (counts.users, counts.follows, counts.added) == (3, 4, 4)
    assert store.following("erin") == ["a", "b", "c"] and store.following("gina") == []
    store.write_results([result("1", "a", ["BTC"], 1), result("2", "c", ["ETH"], 2)])
    assert [i.tweet_id for i in store.feed("erin")] == ["2", "1"]
    assert [i.tweet_id for i in store.feed("frank")] == ["1"]
    again = store.follow_many(graph)  # an import run twice adds nothing
    assert (again.users, again.follows, again.added) == (3, 4, 0)


def test_sent_markers(store: FeedStore) -> None:
    keys = [store.keys.published("1"), store.keys.dead_letter("t/0/5")]
    assert store.already_sent(keys) == [False, False]
    store.mark_sent(keys[:1])
    assert store.already_sent(keys) == [True, False]


def test_a_resent_dead_letter_is_counted_once(store: FeedStore) -> None:
    store.mark_sent([], ["tweets/1/9"])
    store.mark_sent([], ["tweets/1/9", "tweets/1/10"])
    assert store.stats()["dead_letters"] == 2
    assert store.already_sent([store.keys.dead_letter("tweets/1/9")]) == [True]


def test_contract_mentions_are_found_as_written_back(store: FeedStore) -> None:
    mint = "CA:7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr"
    store.follow("erin", ["a"])
    store.write_results([result("1", "a", [mint])])
    assert [r.tweet_id for r in store.mentions(mint)] == ["1"]
    assert [i.tweet_id for i in store.feed("erin", token="ca:7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr")] == ["1"]


def test_names_that_would_reach_into_other_keys_are_refused(store: FeedStore) -> None:
    with pytest.raises(ValueError, match="not a handle"):
        store.follow("alice:BTC", ["a"])
    with pytest.raises(ValueError, match="not a handle"):
        store.follow("alice", ["a b"])
    with pytest.raises(ValueError, match="not a handle"):
        store.feed("")


def test_pages_resume_exactly_among_tweets_of_the_same_second(store: FeedStore) -> None:
    from workers.store import cursor

    store.follow("gina", ["a"])
    store.write_results([result(f"t{i}", "a", ["BTC"]) for i in range(7)])  # all at T0
    seen, before = [], None
    while page := store.feed("gina", limit=3, before=before):
        seen += [i.tweet_id for i in page]
        before = cursor(page[-1])
    assert sorted(seen) == [f"t{i}" for i in range(7)]


def test_expired_results_do_not_shorten_pages(store: FeedStore) -> None:
    store.follow("hal", ["a"])
    store.write_results([result(str(i), "a", ["ETH"], i) for i in range(5)])
    store.redis.delete(store.keys.result("4"), store.keys.result("3"))  # as if their TTL ran out
    assert [i.tweet_id for i in store.feed("hal", limit=3)] == ["2", "1", "0"]
    assert store.redis.zcard(store.keys.feed("hal")) == 3


def _graph_and_tweets(store: FeedStore) -> list[ExtractionResult]:
    """Users following a mix of accounts, and tweets by them (some by nobody followed, one without mentions)."""
    store.follow("alice", ["whale", "degen", "anon"])
    store.follow("bob", ["whale"])
    store.follow("carol", ["degen", "whale"])
    store.follow("dan", ["anon"])
    symbols = [["BTC"], ["ETH", "BTC"], ["SOL"], [], ["PEPE", "BTC"], ["ETH"]]
    authors = ["whale", "degen", "anon", "whale", "stranger", "degen"]
    return [result(f"t{i}", authors[i % 6], symbols[(i * 5) % 6], minutes=i) for i in range(24)]


def _views(store: FeedStore) -> dict[str, object]:
    views: dict[str, object] = {}
    now = T0 + timedelta(minutes=30)
    for user in ("alice", "bob", "carol", "dan", "nobody"):
        views[f"{user} feed"] = [i.tweet_id for i in store.feed(user, limit=100)]
        first = store.feed(user, limit=4)
        after = store.feed(user, limit=4, before=first[-1].created_at) if first else []
        views[f"{user} pages"] = [i.tweet_id for i in first + after]
        for token in ("BTC", "ETH", "SOL", "PEPE"):
            views[f"{user} {token}"] = [i.tweet_id for i in store.feed(user, token=token, limit=3)]
        views[f"{user} trending"] = dict(store.trending(timedelta(minutes=20), now=now, user=user))
        views[f"{user} trending before"] = dict(store.window_counts(timedelta(minutes=10), now=now, user=user, back=1))
    views["global trending"] = dict(store.trending(timedelta(hours=1), now=now))
    views["stats"] = store.stats()
    views["BTC mentions"] = [r.tweet_id for r in store.mentions("BTC")]
    return views


@pytest.mark.parametrize("pulled_above", [0, 2])
def test_pulled_accounts_give_the_same_answers_as_pushed_ones(store: FeedStore, pulled_above: int) -> None:
    """Feed pages, the token filter, per-user trending and counters are the same whether every account is
    pushed, every account pulled (threshold 0) or some of each (threshold 2: whale, with 3 followers)."""
    tweets = _graph_and_tweets(store)
    pushed = store.settings.model_copy(update={"fanout_max_followers": 10**6})
    store.settings = pushed
    store.write_results(tweets)
    expected = _views(store)
    for key in store.redis.scan_iter(match=f"{store.settings.redis_prefix}:*"):
        if not key.decode().split(":", 2)[-1].startswith(("following:", "followers:")):
            store.redis.delete(key)

    store.settings = pushed.model_copy(update={"fanout_max_followers": pulled_above})
    assert store.write_results(tweets[:10]) == [True] * 10
    assert store.write_results(tweets) == [False] * 10 + [True] * 14  # a redelivery counts nothing twice
    assert _views(store) == expected
    assert store.redis.smembers(store.keys.pulled()) == ({b"whale", b"degen", b"anon"} if pulled_above == 0 else {b"whale"})
    assert store.redis.exists(store.keys.feed("bob")) == 0  # bob follows only whale: nothing written per follower


def test_a_fan_out_is_written_in_chunks_and_a_redelivery_completes_one_cut_short(store: FeedStore) -> None:
    store.settings = store.settings.model_copy(update={"fanout_chunk": 500, "fanout_max_followers": 5000})
    fans = [f"fan{i:04d}" for i in range(1200)]
    store.follow_many((fan, ["whale"]) for fan in fans)
    tweet = result("big", "whale", ["BTC"])
    calls_before = int(store.redis.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))
    assert store.write_results([tweet]) == [True]
    calls = int(store.redis.info("commandstats")["cmdstat_evalsha"]["calls"]) - calls_before
    assert calls == 1 + 3  # the tweet's own write, then 500 + 500 + 200 followers
    assert all(store.feed(fan, limit=1)[0].tweet_id == "big" for fan in fans[::97])

    # A worker killed after the first chunk: the other followers never got the tweet.
    for fan in fans[500:]:
        store.redis.delete(store.keys.feed(fan))
    assert store.write_results([tweet]) == [False]
    assert all(store.redis.zscore(store.keys.feed(fan), "big") is not None for fan in fans)
    assert store.stats() == {"tweets": 1, "tweets_with_mentions": 1, "mentions": 1}
    assert store.trending(timedelta(hours=1)) == [("BTC", 1)]


def test_each_tweet_is_announced_on_its_authors_channel_after_its_fan_out(store: FeedStore) -> None:
    store.follow("alice", ["whale"])
    pubsub = store.redis.pubsub()
    pubsub.subscribe(store.keys.live("whale"))
    try:
        assert pubsub.get_message(timeout=5)["type"] == "subscribe"  # type: ignore[index]
        store.write_results([result("1", "whale", ["BTC"]), result("2", "whale", [])])
        message = pubsub.get_message(timeout=5)
        assert message is not None and b'"tweet_id":"1"' in message["data"]
        assert pubsub.get_message(timeout=0.5) is None  # no mentions, no feed item, no announcement
    finally:
        pubsub.close()
