"""`tickertape up/down/status`: the local Kafka and Redis that ops/ scripts install and run.

Used whenever no Kafka bootstrap address or Redis URL is configured; with both configured these
commands only check and prepare (topics) what is already there.
"""

from __future__ import annotations

import os
import subprocess

import redis
from kafka import KafkaAdminClient

from workers.admin.topics import ensure_topics
from workers.errors import LocalServiceError
from workers.settings import REPO_ROOT, Settings

OPS = REPO_ROOT / "ops"


def _ops(script: str, *args: str, settings: Settings) -> None:
    env = {
        **os.environ,
        "TT_RUN_DIR": str(settings.run_dir),
        "TT_KAFKA_PORT": str(settings.kafka_port),
        "TT_REDIS_PORT": str(settings.redis_port),
    }
    # The script prints its own one-line reason on stderr ("port 6379 is taken by another process").
    if subprocess.run([str(OPS / script), *args], env=env, check=False).returncode:
        raise LocalServiceError(f"ops/{script} {' '.join(args)} failed (its reason is above)")


def up(settings: Settings) -> dict[str, int]:
    """Start what is local (installing on first use), then create the topics; returns their partitions."""
    if settings.redis_url is None:
        _ops("redis.sh", "install", settings=settings)
        _ops("redis.sh", "start", settings=settings)
    if settings.kafka_bootstrap is None:
        _ops("kafka.sh", "install", settings=settings)
        _ops("kafka.sh", "start", settings=settings)
    return ensure_topics(settings)


def down(settings: Settings) -> None:
    """Stop the local Kafka and Redis (their data stays under ``run_dir``)."""
    if settings.kafka_bootstrap is None:
        _ops("kafka.sh", "stop", settings=settings)
    if settings.redis_url is None:
        _ops("redis.sh", "stop", settings=settings)


def status(settings: Settings) -> dict[str, str]:
    """Whether Kafka and Redis answer, and the partition count of each pipeline topic."""
    report: dict[str, str] = {}
    try:
        redis.Redis.from_url(settings.redis_dsn, socket_timeout=2).ping()
        report["redis"] = "up"
    except redis.RedisError as exc:
        report["redis"] = f"down ({exc})"
    try:
        admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap, request_timeout_ms=3000)
    except Exception as exc:  # noqa: BLE001 - kafka-python raises several kinds when unreachable
        report["kafka"] = f"down ({exc})"
        return report
    try:
        report["kafka"] = f"up ({settings.bootstrap})"
        existing = set(admin.list_topics())
        for topic in (settings.tweets_topic, settings.mentions_topic, settings.dlq_topic):
            if topic in existing:
                (described,) = admin.describe_topics([topic])
                report[f"topic {topic}"] = f"{len(described['partitions'])} partitions"
            else:
                report[f"topic {topic}"] = "missing"
    finally:
        admin.close()
    return report
