"""X's filtered stream against a local server in the documented shapes: rules, back-off, cut lines."""

from __future__ import annotations

import threading

import pytest

from workers.errors import XApiError
from workers.ingest.files import InputRecord, RecordMapper
from workers.ingest.x_client import XClient
from workers.ingest.x_replay import XReplayServer
from workers.ingest.x_stream import record, stream_records, sync_rules


def handles(n: int) -> set[str]:
    return {f"acct_{i:010d}" for i in range(n)}  # 15 characters: X's longest handles


def test_ten_thousand_followed_accounts_become_rules_within_the_limits() -> None:
    fake = XReplayServer()
    with fake.serving() as base:
        client = XClient(base, fake.token)
        accounts = handles(10_000)
        sync_rules(client, accounts, max_length=1024, max_rules=1000)
        assert fake.followed() == accounts
        assert len(fake.rules) <= 1000 and all(len(r["value"]) <= 1024 for r in fake.rules.values())
        before = len(fake.rule_requests)
        change = sync_rules(client, accounts | {"newcomer"}, max_length=1024, max_rules=1000)
        assert (len(change.delete), len(change.add)) == (0, 1)
        assert fake.rule_requests[before:] == [{"add": [{"value": "from:newcomer", "tag": "tickertape"}]}]
        assert sync_rules(client, accounts | {"newcomer"}, max_length=1024, max_rules=1000).empty


def test_a_refused_token_is_an_error_not_a_retry() -> None:
    fake = XReplayServer()
    with fake.serving() as base:
        client = XClient(base, "wrong")
        with pytest.raises(XApiError, match="HTTP 401"):
            sync_rules(client, {"whale"}, max_length=1024, max_rules=1000)
        with pytest.raises(XApiError, match="refused the bearer token"):
            next(stream_records(client, threading.Event()))


def test_the_stream_waits_out_a_429_survives_a_cut_line_and_backfills_what_it_missed() -> None:
    fake = XReplayServer()
    fake.connections = ["429", "drop"]
    first = fake.post("whale", "$BTC breaking out")
    fake.post("stranger", "$ETH is not followed")
    second = fake.post("Degen", "SOL szn")
    fake.garbage(b'{"data": {"id": "1", "text": "cut')
    stop, waits, got = threading.Event(), [], []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return stop.wait(0.01)

    with fake.serving() as base:
        client = XClient(base, fake.token)
        sync_rules(client, {"whale", "degen"}, max_length=1024, max_rules=1000)
        for item in stream_records(client, stop, sleep=wait):
            got.append(item)
            if len(got) == 3:
                stop.set()
    assert 0 <= waits[0] <= 1.5  # until x-rate-limit-reset, not the blind 60 s
    assert waits[1] == 0.25  # a dropped connection: X's linear back-off starts at 250 ms
    # Never connected before the 429: nothing to backfill. After the drop: the gap, plus a minute.
    assert "backfill_minutes" not in fake.stream_requests[1] and fake.stream_requests[2]["backfill_minutes"] == ["2"]
    tweets = [RecordMapper().tweet(i.record, i.source) for i in got if i.record is not None]
    assert [(t.id, t.author, t.source) for t in tweets] == [(first, "whale", "x-stream"), (second, "Degen", "x-stream")]
    assert [i.error for i in got if i.record is None] == ["not JSON: Unterminated string starting at"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"\r", None),  # a keep-alive
        (b'{"errors": [{"title": "operational-disconnect"}]}', None),  # a notice about the connection
        (b"[1, 2]", "not a stream message"),
        (b'{"data": "x"}', "data is not a post"),
        (b'{"data": {"id": "1", "author_id": "9", "text": "gm"}, "includes": {"users": []}}', "the post's author is not in includes.users"),
    ],
)
def test_lines_that_are_no_post(line: bytes, expected: str | None) -> None:
    item = record(line)
    assert (item.error if isinstance(item, InputRecord) else None) == expected

