"""The batch retry policy: outages are waited out however long they last, bugs stop after a few tries."""

from __future__ import annotations

import asyncio

import aiokafka.errors
import pytest
import redis.exceptions

from workers.errors import FATAL_TRIES, BatchFailedError, is_transient
from workers.retry import retry_batch


@pytest.mark.parametrize(
    "exc",
    [
        redis.exceptions.ConnectionError("refused"),
        redis.exceptions.BusyLoadingError("loading"),
        redis.exceptions.TimeoutError("slow"),
        aiokafka.errors.KafkaConnectionError("down"),
        aiokafka.errors.KafkaTimeoutError(),
        aiokafka.errors.NotLeaderForPartitionError(),  # a leader election: retriable by Kafka's word
        ConnectionRefusedError(),
        TimeoutError(),
    ],
)
def test_outages_are_transient(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("extractor failed on every tweet"),
        KeyError("bug"),
        redis.exceptions.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
        aiokafka.errors.MessageSizeTooLargeError(),
    ],
)
def test_bugs_and_bad_state_are_not(exc: BaseException) -> None:
    assert not is_transient(exc)


class Flaky:
    """Fails with ``exc`` ``times`` times, then returns "done"."""

    def __init__(self, exc: BaseException, times: int) -> None:
        self.exc, self.left, self.calls = exc, times, 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.left:
            self.left -= 1
            raise self.exc
        return "done"


def test_an_outage_is_retried_past_the_fatal_limit() -> None:
    attempt = Flaky(redis.exceptions.ConnectionError("refused"), FATAL_TRIES * 3)
    assert asyncio.run(retry_batch(attempt, size=4, first_backoff=0.001)) == "done"
    assert attempt.calls == FATAL_TRIES * 3 + 1


def test_a_bug_that_passes_before_the_limit_is_forgiven() -> None:
    attempt = Flaky(RuntimeError("once"), FATAL_TRIES - 1)
    assert asyncio.run(retry_batch(attempt, size=4, first_backoff=0.001)) == "done"


def test_a_bug_that_persists_fails_the_batch_after_the_limit() -> None:
    attempt = Flaky(RuntimeError("always"), 100)
    with pytest.raises(BatchFailedError, match=f"failed {FATAL_TRIES} times") as failed:
        asyncio.run(retry_batch(attempt, size=4, first_backoff=0.001))
    assert attempt.calls == FATAL_TRIES
    assert isinstance(failed.value.__cause__, RuntimeError)
