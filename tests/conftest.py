"""Fixtures shared by the test tree: the real local Kafka and Redis, isolated per test by names."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from kafka import KafkaAdminClient

from workers.settings import Settings
from workers.store import FeedStore


@pytest.fixture(scope="session")
def services() -> Settings:
    """Kafka and Redis up (started by ops/ if they are the local ones), checked once per session."""
    from workers.admin.local import up

    base = Settings()
    up(base)
    return base


@pytest.fixture
def settings(services: Settings) -> Iterator[Settings]:
    """Settings whose topics, consumer group and Redis keys no other test shares; its topics are
    deleted afterwards (those a test never created are skipped)."""
    tag = uuid.uuid4().hex[:10]
    unique = services.model_copy(
        update={
            "tweets_topic": f"tweets-{tag}",
            "mentions_topic": f"token-mentions-{tag}",
            "dlq_topic": f"tweets.dlq-{tag}",
            "worker_group": f"tickertape-test-{tag}",
            "redis_prefix": f"test:{tag}",
            "partitions": 4,
            "commit_interval": 0.5,
            "metrics_port": 0,  # several workers per test share this host
            # Delivery is what most stream tests check: they run the fast rules backend, and the tests
            # of the tagger in the stream ask for the default `model` backend themselves.
            "extractor": "rules",
        }
    )
    yield unique
    admin = KafkaAdminClient(bootstrap_servers=unique.bootstrap)
    try:
        mine = {unique.tweets_topic, unique.mentions_topic, unique.dlq_topic} & set(admin.list_topics())
        if mine:
            admin.delete_topics(sorted(mine))
    finally:
        admin.close()


@pytest.fixture
def store(settings: Settings) -> Iterator[FeedStore]:
    """A store on the real Redis; its keys are deleted afterwards."""
    store = FeedStore(redis.Redis.from_url(settings.redis_dsn), settings)
    yield store
    keys = list(store.redis.scan_iter(match=f"{settings.redis_prefix}:*", count=1000))
    if keys:
        store.redis.delete(*keys)
