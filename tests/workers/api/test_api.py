"""The HTTP API on the real Redis, over data written by the worker path (BatchProcessor + rules)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from workers.api.app import create_app
from workers.settings import Settings
from workers.store import FeedStore

pytestmark = pytest.mark.integration


@pytest.fixture
def client(settings: Settings, store: FeedStore) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store)) as client:
        yield client


def ids(page: dict) -> list[str]:
    return [item["tweet_id"] for item in page["items"]]


def test_follow_list(client: TestClient) -> None:
    assert client.put("/api/users/@Alice/following/CZ_Binance").json() == {"user": "alice", "following": ["cz_binance"]}
    client.put("/api/users/alice/following/vitalik")
    assert client.get("/api/users/ALICE/following").json()["following"] == ["cz_binance", "vitalik"]
    assert client.delete("/api/users/alice/following/cz_binance").json()["following"] == ["vitalik"]


def test_bulk_follows(client: TestClient) -> None:
    body = {"follows": [{"user": "@Alice", "accounts": ["CZ_Binance", "vitalik"]}, {"user": "bob", "accounts": ["vitalik"]}]}
    assert client.post("/api/follows", json=body).json() == {"users": 2, "follows": 3, "added": 3}
    assert client.post("/api/follows", json=body).json()["added"] == 0
    assert client.get("/api/users/alice/following").json()["following"] == ["cz_binance", "vitalik"]
    bad = {"follows": [{"user": "carol", "accounts": ["ok", "t:stats"]}]}
    assert client.post("/api/follows", json=bad).status_code == 422
    assert client.get("/api/users/carol/following").json()["following"] == []


def test_feed_filters_by_symbol_and_pages_by_time(client: TestClient, ingest) -> None:
    client.put("/api/users/alice/following/a")
    ingest(
        ("1", "a", "$BTC breaking out, ETH next", 5),
        ("2", "a", "gm, coffee first", 4),
        ("3", "a", "Solana season: SOL to 500", 3),
        ("4", "stranger", "$BTC again", 2),
        ("5", "a", "🚀🚀 $DOGE to the moon with Bitcoin", 1),
    )
    feed = client.get("/api/users/alice/feed").json()
    assert ids(feed) == ["5", "3", "1"] and feed["next_before"] is None
    item = feed["items"][0]
    assert item["tokens"] == ["DOGE", "BTC"]
    assert [(m["start"], m["end"], m["text"]) for m in item["mentions"]] == [(3, 8, "$DOGE"), (26, 33, "Bitcoin")]

    assert ids(client.get("/api/users/alice/feed", params={"symbol": "btc"}).json()) == ["5", "1"]
    first = client.get("/api/users/alice/feed", params={"limit": 2}).json()
    assert ids(first) == ["5", "3"]
    rest = client.get("/api/users/alice/feed", params={"limit": 2, "before": first["next_before"]}).json()
    assert ids(rest) == ["1"] and rest["next_before"] is None


def test_token_mentions_everywhere_and_among_followed(client: TestClient, ingest) -> None:
    client.put("/api/users/bob/following/a")
    ingest(("1", "a", "$BTC breaking out", 3), ("2", "b", "Bitcoin dip", 2), ("3", "a", "ETH only", 1))
    assert ids(client.get("/api/tokens/BTC/mentions").json()) == ["2", "1"]
    assert ids(client.get("/api/tokens/btc/mentions", params={"user": "bob"}).json()) == ["1"]


def test_trending_compares_with_the_window_before(client: TestClient, ingest) -> None:
    client.put("/api/users/carol/following/a")
    ingest(
        ("old1", "a", "$BTC and $ETH", 90),  # the window before (60–120 min ago)
        ("old2", "b", "$ETH again", 80),
        ("new1", "a", "$BTC pumping", 20),
        ("new2", "b", "$BTC and $SOL", 10),
        ("new3", "b", "$SOL", 5),
    )
    everyone = client.get("/api/trending", params={"window": "1h"}).json()
    assert everyone["window_s"] == 3600 and everyone["user"] is None
    assert everyone["tokens"] == [
        {"symbol": "BTC", "tweets": 2, "previous": 1, "change": 1},
        {"symbol": "SOL", "tweets": 2, "previous": 0, "change": 2},
    ]
    carol = client.get("/api/trending", params={"window": "1h", "user": "Carol"}).json()
    assert carol["user"] == "carol"
    assert carol["tokens"] == [{"symbol": "BTC", "tweets": 1, "previous": 1, "change": 0}]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/users/al:ice/feed", {}),  # ':' would reach into other keys
        ("/api/users/alice/feed", {"limit": 0}),
        ("/api/users/alice/feed", {"limit": 101}),  # above TT_API_PAGE_MAX
        ("/api/users/alice/feed", {"before": "yesterday"}),
        ("/api/tokens/$$$/mentions", {}),
        ("/api/trending", {"window": "1 hour"}),
        ("/api/trending", {"window": "30s"}),  # shorter than one trend bucket
        ("/api/trending", {"window": "3d"}),  # longer than TT_TREND_RETENTION
    ],
)
def test_bad_input_is_a_clear_422(client: TestClient, path: str, params: dict) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_token_is_required_when_configured(settings: Settings, store: FeedStore) -> None:
    app = create_app(settings.model_copy(update={"api_token": SecretStr("s3cret")}), store)
    with TestClient(app) as client:
        denied = client.get("/api/trending")
        assert denied.status_code == 401 and denied.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/trending", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/trending", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert client.get("/api/trending", params={"token": "s3cret"}).status_code == 200
        assert client.get("/").status_code == 200  # the page holds no data; it passes ?token= on


def test_live_stream_pushes_new_feed_items(server, store: FeedStore, ingest) -> None:
    store.follow("dave", ["a"])
    events: list[tuple[str, str]] = []
    ready = threading.Event()

    def listen() -> None:
        with httpx.stream("GET", f"{server.url}/api/users/Dave/stream", params={"symbol": "sol"}, timeout=20) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            name = None
            for line in response.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    events.append((name, line[6:]))
                    if name == "ready":
                        ready.set()
                    elif name == "item":
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert ready.wait(15), server.log.read_text()
    ingest(("1", "a", "$BTC only", 1), ("2", "b", "$SOL from a stranger", 0), ("3", "a", "Bought more $SOL", 0))
    listener.join(15)
    (kind, data), = events[1:]
    assert kind == "item"
    item = json.loads(data)
    assert (item["tweet_id"], item["tokens"]) == ("3", ["SOL"])
