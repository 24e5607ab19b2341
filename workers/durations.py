"""Durations as people type them, for the CLI and the API alike: an amount and a unit (90s, 15m, 1h, 2d)."""

from __future__ import annotations

import re
from datetime import timedelta

#: What a duration looks like; the API validates its query parameters with it.
DURATION_PATTERN = r"^(\d{1,6})([smhd])$"
_DURATION = re.compile(DURATION_PATTERN)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '1h', '2d' → timedelta; ValueError says what a duration looks like."""
    m = _DURATION.match(text.strip())
    if not m:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 15m, 1h, 2d)")
    return timedelta(**{_UNITS[m[2]]: int(m[1])})
