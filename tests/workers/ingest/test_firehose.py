from workers.ingest.firehose import Firehose


def test_firehose_is_reproducible_and_unique_per_run() -> None:
    a = [t.text for t in Firehose(seed=3).tweets(50)]
    assert a == [t.text for t in Firehose(seed=3).tweets(50)]
    ids = {t.id for t in Firehose(run="1").tweets(100)} | {t.id for t in Firehose(run="2").tweets(100)}
    assert len(ids) == 200


def test_firehose_mixes_crypto_and_everyday_tweets_from_its_accounts() -> None:
    hose = Firehose(accounts=5)
    tweets = list(hose.tweets(400))
    assert {t.author for t in tweets} == set(hose.handles())
    with_cashtag = sum("$" in t.text for t in tweets)
    assert 100 < with_cashtag < 320
