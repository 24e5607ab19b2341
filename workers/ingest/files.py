"""Tweets from files: JSONL or CSV lines read as records, and records mapped to :class:`schemas.Tweet`.

A line that is not an object, or a record that is not a tweet, is kept with its reason: the producer
(:mod:`workers.ingest.producer`) sends it to the dead-letter topic, never drops it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from schemas import Tweet


@dataclass(frozen=True)
class InputRecord:
    """One input line: ``record`` when it parsed as an object, else ``error`` says why not."""

    source: str
    raw: str
    record: dict[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class FieldMap:
    """Which input field holds each tweet attribute (files differ; ``--*-field`` options set these)."""

    id: str = "id"
    author: str = "author"
    text: str = "text"
    created_at: str = "created_at"


# Formats seen in real dumps: RFC 3339, Twitter's API format, and "YYYY-mm-dd HH:MM:SS" with an
# optional zone abbreviation (CrypTop12 writes IST).
_TWITTER_FORMAT = "%a %b %d %H:%M:%S %z %Y"
_ZONES = {"UTC": timedelta(0), "GMT": timedelta(0), "IST": timedelta(hours=5, minutes=30)}
_ZONE_SUFFIX = re.compile(r"^(?P<stamp>\d.+?)\s+(?P<zone>[A-Z]{2,4})$")


def parse_time(value: Any) -> datetime:
    """A tweet time from the formats real dumps use (naive means UTC); raises ValueError."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, timezone.utc)
    text = str(value).strip()
    zone = timedelta(0)
    if m := _ZONE_SUFFIX.match(text):
        if m["zone"] not in _ZONES:
            raise ValueError(f"unknown time zone {m['zone']!r}")
        text, zone = m["stamp"], _ZONES[m["zone"]]
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.strptime(text, _TWITTER_FORMAT)
        except ValueError:
            raise ValueError(f"unreadable time {str(value)!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone(zone))
    return moment.astimezone(timezone.utc)


def read_file(path: Path) -> Iterator[InputRecord]:
    """The records of a JSONL or CSV file, with ``file:line`` sources; bad lines included, marked."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        if path.suffix.lower() == ".csv":
            for n, row in enumerate(csv.DictReader(handle), start=2):
                yield InputRecord(f"{path.name}:{n}", json.dumps(row, ensure_ascii=False), record=dict(row))
            return
        for n, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            source = f"{path.name}:{n}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield InputRecord(source, line.rstrip("\n"), error=f"not JSON: {exc.msg}")
                continue
            if isinstance(record, dict):
                yield InputRecord(source, line.rstrip("\n"), record=record)
            else:
                yield InputRecord(source, line.rstrip("\n"), error="not JSON: not an object")


@dataclass(frozen=True)
class RecordMapper:
    """Turns an input record into a :class:`Tweet`.

    ``id_prefix``: prepended as ``prefix:id`` to keep ids from different files apart (many dumps
    number rows 0, 1, …; equal ids would be deduplicated as one tweet). ``default_author``: for
    records without one. ``retime``: stamp tweets with the time they are sent, to replay an old dump
    as live traffic (records without a time get it anyway).
    """

    fields: FieldMap = FieldMap()
    id_prefix: str = ""
    default_author: str | None = None
    retime: bool = False

    def tweet(self, record: dict[str, Any], source: str) -> Tweet:
        """Raises ValueError or pydantic's ValidationError on a record that is not a tweet."""
        f = self.fields
        raw_id = record.get(f.id)
        if raw_id in (None, ""):
            raise ValueError(f"missing field {f.id!r}")
        author = record.get(f.author) or self.default_author
        if not author:
            raise ValueError(f"missing field {f.author!r}")
        now = datetime.now(timezone.utc)
        stamp = record.get(f.created_at)
        return Tweet(
            id=f"{self.id_prefix}:{raw_id}" if self.id_prefix else str(raw_id),
            author=str(author),
            text=record.get(f.text) or "",
            created_at=now if self.retime or stamp in (None, "") else parse_time(stamp),
            source=source,
            ingested_at=now,
        )
