"""The exceptions of :mod:`workers`, and which failures of a batch are worth waiting out.

A batch that fails because Redis or Kafka cannot be reached (or answers too slowly) will go through once
they are back, so the worker retries it with backoff for as long as that takes. Any other failure is a
bug or bad state that retrying will not mend: after :data:`FATAL_TRIES` the worker stops, loudly, with
the batch unacknowledged, so its successor (after the fix) processes it and nothing is lost.
"""

from __future__ import annotations

import aiokafka.errors
import kafka.errors
import redis.exceptions

#: Tries of a batch that fails with anything but an outage before the worker gives up on it.
FATAL_TRIES = 3

# Outages: the service is down, restarting, loading its data, electing a leader, or slow to answer.
_OUTAGES: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,  # BusyLoadingError (a restarting Redis) is one
    redis.exceptions.TimeoutError,
    redis.exceptions.TryAgainError,
    aiokafka.errors.KafkaConnectionError,
    aiokafka.errors.KafkaTimeoutError,
    kafka.errors.KafkaConnectionError,
    kafka.errors.KafkaTimeoutError,
    ConnectionError,
    TimeoutError,  # asyncio's too, which is this one since Python 3.11
)


class WorkerError(Exception):
    """Base of every error :mod:`workers` raises itself."""


class BatchFailedError(WorkerError):
    """A batch failed :data:`FATAL_TRIES` times with an error no outage explains."""


class LocalServiceError(WorkerError):
    """An ``ops/`` script could not install, start or stop a local service; it printed why on stderr."""


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` says Redis or Kafka is unreachable or slow, which waiting out mends.

    Kafka's client errors say so themselves (``retriable``: a leader election, a broker restart).
    """
    if isinstance(exc, _OUTAGES):
        return True
    return isinstance(exc, aiokafka.errors.KafkaError | kafka.errors.KafkaError) and bool(getattr(exc, "retriable", False))


class XApiError(RuntimeError):
    """The X API refused a request (a bad bearer token, a rule it would not take …), with what it said;
    ``status``: the HTTP status (a 5xx is X's trouble, worth trying again later)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status
