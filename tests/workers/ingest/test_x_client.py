"""The X API client against a local server in the documented shapes: paged following lists."""

from __future__ import annotations

import pytest

from workers.errors import XApiError
from workers.ingest.x_client import XClient
from workers.ingest.x_replay import XReplayServer


def test_a_following_list_is_read_through_every_page_and_a_429() -> None:
    fake = XReplayServer()
    fake.following["42"] = [f"acct_{i}" for i in range(2500)]
    fake.rate_limited = ["/2/users/42/following"]
    waits: list[float] = []
    with fake.serving() as base:
        names = list(XClient(base, fake.token).following("42", wait=waits.append))
        with pytest.raises(XApiError, match="Could not find user"):
            list(XClient(base, fake.token).following("7"))
    assert names == fake.following["42"]  # three pages of at most 1,000
    assert len(waits) == 1 and 1 <= waits[0] <= 2  # until the reset, not a blind minute


def test_a_timeline_is_read_since_an_id_through_every_page_minding_the_rate_limit() -> None:
    fake = XReplayServer()
    ids = [fake.post("whale", f"post {i}") for i in range(250)]
    fake.post("other", "not whale's")
    fake.remaining = ["5", "0"]  # the second page's response says the window is spent
    waits: list[float] = []
    with fake.serving() as base:
        client = XClient(base, fake.token)
        whale = client.user_ids(["whale", "nobody"])
        assert list(whale) == ["whale"]
        pages = list(client.posts_since(whale["whale"], ids[9], wait=waits.append))
        newest = list(client.posts_since(whale["whale"], None))
    got = [post["id"] for page in pages for post in page["data"]]
    assert got == list(reversed(ids[10:]))  # newest first, 240 posts in three pages, nothing older
    assert len(waits) == 1 and 0 < waits[0] <= 2  # the spent window waited out before the third page
    assert [post["id"] for post in newest[0]["data"]] == list(reversed(ids[-100:])) and len(newest) == 1
