"""Creating the pipeline's topics with an explicit partition count."""

from __future__ import annotations

import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from workers.settings import Settings


def ensure_topics(settings: Settings) -> dict[str, int]:
    """Create ``tweets``, ``token-mentions`` and ``tweets.dlq`` if missing; returns partitions per topic.

    Existing topics keep their partition count (raising it would move keys between partitions).
    """
    names = [settings.tweets_topic, settings.mentions_topic, settings.dlq_topic]
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap, client_id="tickertape-admin")
    try:
        for name in names:
            try:
                admin.create_topics(
                    [NewTopic(name, num_partitions=settings.partitions, replication_factor=settings.replication)]
                )
            except TopicAlreadyExistsError:
                pass
        # A just-created topic can describe with no partitions until its metadata settles.
        deadline = time.monotonic() + 30
        while True:
            counts = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(names)}
            if all(counts.values()) or time.monotonic() > deadline:
                return counts
            time.sleep(0.2)
    finally:
        admin.close()
