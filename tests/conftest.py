"""Fixtures shared by the test tree: the real local Kafka and Redis, isolated per test by names."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from workers.settings import Settings
from workers.store import FeedStore


@pytest.fixture(scope="session")
def services() -> Settings:
    """Kafka and Redis up (started by ops/ if they are the local ones), checked once per session."""
    from workers.local import up

    base = Settings()
    up(base)
    return base


@pytest.fixture
def settings(services: Settings) -> Settings:
    """Settings whose topics, consumer group and Redis keys no other test shares."""
    tag = uuid.uuid4().hex[:10]
    return services.model_copy(
        update={
            "tweets_topic": f"tweets-{tag}",
            "mentions_topic": f"token-mentions-{tag}",
            "dlq_topic": f"tweets.dlq-{tag}",
            "worker_group": f"tickertape-test-{tag}",
            "redis_prefix": f"test:{tag}",
            "partitions": 4,
            "commit_interval": 0.5,
            "metrics_port": 0,  # several workers per test share this host
        }
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[FeedStore]:
    """A store on the real Redis; its keys are deleted afterwards."""
    store = FeedStore(redis.Redis.from_url(settings.redis_dsn), settings)
    yield store
    keys = list(store.redis.scan_iter(match=f"{settings.redis_prefix}:*", count=1000))
    if keys:
        store.redis.delete(*keys)
