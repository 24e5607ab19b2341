"""How a batch is retried: outages are waited out, anything else is tried :data:`~workers.errors.FATAL_TRIES` times.

Kept apart from the faust app so the policy can be tested without a broker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from workers import metrics
from workers.errors import FATAL_TRIES, BatchFailedError, is_transient

log = logging.getLogger("tickertape.worker")

T = TypeVar("T")

#: First pause between retries; it doubles each time.
FIRST_BACKOFF_S = 0.5
#: Longest pause between retries while Redis or Kafka is unreachable; the batch is never dropped.
MAX_BACKOFF_S = 30.0


async def retry_batch(attempt: Callable[[], Awaitable[T]], size: int, first_backoff: float = FIRST_BACKOFF_S) -> T:
    """What ``attempt`` returns once it succeeds, for a batch of ``size`` records.

    An outage (:func:`~workers.errors.is_transient`) is retried with backoff for as long as it lasts.
    Any other error is retried too, since it may pass with the batch's next try, but the
    :data:`~workers.errors.FATAL_TRIES`-th such failure raises :class:`BatchFailedError` from it.
    """
    backoff, failures = first_backoff, 0
    while True:
        try:
            return await attempt()
        except Exception as exc:  # noqa: BLE001 - every failure is classified below, none is swallowed
            metrics.BATCH_RETRIES.inc()
            if not is_transient(exc):
                failures += 1
                if failures >= FATAL_TRIES:
                    raise BatchFailedError(f"batch of {size} failed {failures} times: {exc!r}") from exc
            log.exception("batch of %d failed; retrying in %.1fs", size, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)
