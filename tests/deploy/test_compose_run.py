"""What docker-compose.yml says is what runs: its tickertape services as local processes.

Each service's ``command`` and ``environment`` come from the compose file; only the hostnames
kafka/redis are pointed at the local broker and Redis, and names are made unique per test.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from kafka import KafkaAdminClient

from workers.settings import REPO_ROOT, Settings
from workers.store import FeedStore

pytestmark = pytest.mark.integration

TWEETS = 300
_VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def interpolate(value: object, env: dict[str, str]) -> str:
    """Compose's ``${NAME:-default}`` substitution."""
    return _VARIABLE.sub(lambda m: env.get(m[1], m[2] or ""), str(value))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service(name: str, settings: Settings, variables: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of compose service ``name``, aimed at the local services."""
    spec = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())["services"][name]
    env = {k: interpolate(v, variables) for k, v in spec["environment"].items()}
    env["TT_KAFKA_BOOTSTRAP"] = env["TT_KAFKA_BOOTSTRAP"].replace("kafka:9092", settings.bootstrap)
    env["TT_REDIS_URL"] = env["TT_REDIS_URL"].replace("redis://redis:6379/0", settings.redis_dsn)
    unique = {f"TT_{k.upper()}": str(getattr(settings, k))
              for k in ("tweets_topic", "mentions_topic", "dlq_topic", "worker_group", "redis_prefix", "commit_interval")}
    command = [interpolate(a, variables) for a in spec["command"]]
    assert command[0] == "tickertape"
    command[0] = str(Path(sys.executable).with_name("tickertape"))
    return command, {**os.environ, **env, **unique}


def test_compose_services_run_the_pipeline(settings: Settings, store: FeedStore, tmp_path: Path) -> None:
    variables = {"TT_PARTITIONS": "3", "TT_FIREHOSE_TWEETS": str(TWEETS), "TT_FIREHOSE_RATE": "0"}
    command, env = service("topics", settings, variables)
    subprocess.run(command, env=env, check=True, timeout=120)
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap)
    described = admin.describe_topics([settings.tweets_topic, settings.mentions_topic, settings.dlq_topic])
    admin.close()
    assert [len(t["partitions"]) for t in described] == [3, 3, 3]

    command, env = service("worker", settings, variables)
    metrics_port = free_port()
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        # The compose port is for one worker per container; here the host is shared.
        worker = subprocess.Popen(command, env={**env, "TT_METRICS_PORT": str(metrics_port)}, stdout=out, stderr=subprocess.STDOUT)
    try:
        command, env = service("ingest", settings, variables)
        subprocess.run(command, env=env, check=True, timeout=120)
        deadline = time.monotonic() + 180
        while store.stats().get("tweets", 0) < TWEETS:
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"{store.stats()}; log: {log}"
            time.sleep(0.5)
        scraped = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
        assert f"tickertape_tweets_processed_total {TWEETS:.1f}" in scraped
        assert 'tickertape_extractor_info{backend="model-' in scraped  # compose runs the default backend
        check_api_serves(settings, variables, tmp_path)
    finally:
        worker.send_signal(signal.SIGTERM)
        # SIGTERM: the worker finishes its batch, commits and exits cleanly.
        assert worker.wait(timeout=60) == 0, log.read_text()[-3000:]


def check_api_serves(settings: Settings, variables: dict[str, str], tmp_path: Path) -> None:
    """The compose `api` service's command answers with what the worker wrote."""
    command, env = service("api", settings, variables)
    port = free_port()
    command = [str(port) if arg == "8080" else arg for arg in command]  # the container port, here shared
    with (tmp_path / "api.log").open("wb") as out:
        api = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/trending?window=1h", timeout=5).read()
                break
            except OSError:
                assert api.poll() is None and time.monotonic() < deadline, (tmp_path / "api.log").read_text()
                time.sleep(0.3)
        assert json.loads(body)["tokens"], body
    finally:
        api.send_signal(signal.SIGTERM)
        api.wait(timeout=30)
