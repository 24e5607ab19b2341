"""`tickertape lag`: how far the worker group is behind on the tweets topic, per partition.

Lag is the partition's end offset minus the group's committed offset: what a worker would still
have to read. Workers commit every ``TT_COMMIT_INTERVAL`` seconds, so a busy partition always
shows up to that much. A partition the group never committed counts from its earliest offset
(workers start there: ``auto_offset_reset='earliest'``).
"""

from __future__ import annotations

from dataclasses import dataclass

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec

from workers.settings import Settings


@dataclass(frozen=True)
class PartitionLag:
    """One partition: ``committed`` is None when the group has not committed there yet."""

    partition: int
    committed: int | None
    end: int
    lag: int
    owner: str | None = None


def group_owners(admin: KafkaAdminClient, group: str, topic: str) -> dict[int, str]:
    """Partition of ``topic`` → ``member_id@host`` of the group member that holds it (active groups only)."""
    owners: dict[int, str] = {}
    for member in admin.describe_groups([group])[group]["members"]:
        for assigned in (member.get("member_assignment") or {}).get("assigned_partitions", []):
            if assigned["topic"] == topic:
                host = member["client_host"].lstrip("/")
                owners.update({p: f"{member['member_id']}@{host}" for p in assigned["partitions"]})
    return owners


def consumer_lag(settings: Settings, group: str | None = None, topic: str | None = None) -> list[PartitionLag]:
    """Lag of consumer ``group`` (default ``TT_WORKER_GROUP``) on ``topic`` (default ``TT_TWEETS_TOPIC``)."""
    group, topic = group or settings.worker_group, topic or settings.tweets_topic
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap, client_id="tickertape-lag")
    try:
        (described,) = admin.describe_topics([topic])
        tps = [TopicPartition(topic, p["partition_index"]) for p in described["partitions"]]
        committed = {
            tp.partition: meta.offset
            for tp, meta in admin.list_group_offsets({group: tps})[group].items()
            if meta.offset >= 0  # -1: nothing committed
        }
        ends = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in tps})
        starts = admin.list_partition_offsets({tp: OffsetSpec.EARLIEST for tp in tps})
        owners = group_owners(admin, group, topic)
    finally:
        admin.close()
    rows = []
    for tp in sorted(tps, key=lambda t: t.partition):
        end = ends[tp].offset
        done = committed.get(tp.partition)
        rows.append(PartitionLag(tp.partition, done, end, end - (starts[tp].offset if done is None else done),
                                 owners.get(tp.partition)))
    return rows
