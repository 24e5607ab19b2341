"""The spill file: records the ingestor handed to Kafka that Kafka never acknowledged.

A broker outage longer than the ingestor's delivery timeout fails records that are already read from
their file or stream. Rather than lose them, or wait for good, the ingestor writes each one here with
its topic, key and exact bytes, and the run exits non-zero naming the file; `tickertape ingest
--replay-spill FILE` sends them again once Kafka is back. A record Kafka stored after all (an
acknowledgement lost with the connection) arrives twice; the workers store a tweet once by its id.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError


class SpilledRecord(BaseModel):
    """One record as it was queued for Kafka, and why it was not acknowledged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str
    key: str
    value: str  # the record's JSON text, byte for byte as it was queued
    record_id: str  # the tweet id, or the source of a dead letter
    reason: str


class SpillFile:
    """An append-only JSONL file of :class:`SpilledRecord`, created on the first write.

    Written from the producer's network thread (failed sends) and the caller's (a flush that timed out),
    hence the lock; each line is flushed as it is written, so a crash afterwards keeps it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.written = 0
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None

    @classmethod
    def for_run(cls, directory: Path) -> SpillFile:
        """A new file in ``directory`` named by the time and process, so runs never share one."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        return cls(directory / f"ingest-{stamp}-{os.getpid()}.jsonl")

    def write(self, record: SpilledRecord) -> None:
        line = orjson.dumps(record.model_dump()) + b"\n"
        with self._lock:
            if self._file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("ab")
            self._file.write(line)
            self._file.flush()
            self.written += 1

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def read_spill(path: Path) -> Iterator[SpilledRecord]:
    """The records of a spill file; a line that is not one raises ValueError naming ``path:line``."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield SpilledRecord.model_validate(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not a spilled record: not JSON ({exc})") from None
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(map(str, first["loc"])) or "record"
                raise ValueError(f"{path}:{number}: not a spilled record: {field}: {first['msg']}") from None
