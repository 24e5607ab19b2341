"""A training example: a text, its mention spans and what to leave out of the loss; the held-out split."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from model.spans import Span


@dataclass
class Record:
    """One training text: ``spans`` are its mentions, ``ignore`` regions are taught neither way."""

    text: str
    spans: list[Span]
    source: str
    ignore: list[Span] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    optional_symbols: list[str] = field(default_factory=list)  # borderline assets: counted neither way


def split(records: Sequence[Record], held_frac: float = 0.08, seed: int = 13) -> tuple[list[Record], list[Record]]:
    """Seeded held-out split, stable per text (the same text always lands on the same side)."""
    train, held = [], []
    for r in records:
        h = int(hashlib.sha1(f"{seed}:{r.text}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        (held if h < held_frac else train).append(r)
    return train, held


def save_jsonl(records: Sequence[Record], path: Path) -> None:
    """``records`` as JSON lines at ``path`` (its folder made when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")
