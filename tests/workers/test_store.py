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
