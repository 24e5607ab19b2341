"""Fixtures for the HTTP API tests: data written by the real worker path, and a real API server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from model.extractor import load_extractor
from schemas import Tweet, encode
from workers.pipeline import BatchProcessor, RawRecord
from workers.settings import Settings
from workers.store import FeedStore

#: A test tweet: (id, author, text, minutes before now).
Spec = tuple[str, str, str, float]


@pytest.fixture
def ingest(store: FeedStore) -> Callable[..., None]:
    """Process tweets as a worker does: rules extractor, BatchProcessor, the Lua write (which publishes)."""
    processor = BatchProcessor(load_extractor("rules"), store)

    def run(*specs: Spec) -> None:
        now = datetime.now(timezone.utc)
        tweets = [Tweet(id=i, author=a, text=t, created_at=now - timedelta(minutes=m)) for i, a, t, m in specs]
        outcome = processor.process([RawRecord(encode(t), f"tweets/0/{n}") for n, t in enumerate(tweets)])
        assert not outcome.dead_letters

    return run


@dataclass(frozen=True)
class Server:
    url: str
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(settings: Settings, store: FeedStore, tmp_path: Path) -> Iterator[Server]:
    """`tickertape api` as a process on a free port, on the test's Redis prefix."""
    port = _free_port()
    env = {**os.environ, "TT_REDIS_PREFIX": settings.redis_prefix, "TT_REDIS_PORT": str(settings.redis_port)}
    env.pop("TT_API_TOKEN", None)
    log = tmp_path / "api.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "workers.cli", "api", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, log.read_text()
        try:
            httpx.get(f"{url}/openapi.json", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    yield Server(url, log)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
