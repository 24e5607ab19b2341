"""Scoring extractors against labeled tweets, and running one over a file, per ``LABELING.md``.

A tweet is *correct* when the predicted symbols contain every ``tokens`` entry and nothing outside
``tokens`` ∪ ``optional``. Micro counts over all tweets: TP = predicted ∩ tokens, FP = predicted −
(tokens ∪ optional), FN = tokens − predicted; an ``optional`` symbol, predicted or not, is neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import orjson

from model.extractor import Extractor, load_extractor
from schemas.models import distinct_symbols

#: Makes the extractor of a backend name; callers with settings pass their own (see workers.backend).
Loader = Callable[[str], Extractor]

BATCH = 256  # texts per extract_batch call: big enough for a model's speed, small enough for its memory
SLICES = ("lang", "category", "src")  # the fields of a gold line that the report breaks down by


@dataclass(frozen=True)
class Item:
    """One input line: ``id`` and ``text``, plus the gold fields when the file is labeled."""

    id: str
    text: str
    tokens: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    slices: dict[str, str] = field(default_factory=dict)


def read_items(path: Path, *, labeled: bool) -> list[Item]:
    """The lines of the JSONL file at ``path``; ``labeled`` requires a ``tokens`` list on each.

    Raises ValueError naming the line number and what is wrong with it.
    """
    items = []
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                items.append(_item(orjson.loads(line), labeled=labeled))
            except (orjson.JSONDecodeError, ValueError) as error:
                raise ValueError(f"{path}, line {number}: {error}") from None
    return items


def _item(row: object, *, labeled: bool) -> Item:
    """An :class:`Item` from one decoded line; ValueError says what is missing or of the wrong type."""
    if not isinstance(row, dict):
        raise ValueError("expected a JSON object")
    for key in ("id", "text"):
        if not isinstance(row.get(key), str) or not row[key]:
            raise ValueError(f"{key!r} must be a non-empty string")
    gold = {}
    for key in ("tokens", "optional"):
        value = row.get(key, [])
        if (key == "tokens" and labeled and key not in row) or not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise ValueError(f"{key!r} must be a list of symbols")
        gold[key] = frozenset(value)
    slices = {key: str(row[key]) for key in SLICES if key in row}
    return Item(row["id"], row["text"], gold["tokens"], gold["optional"], slices)


def _predict(items: Sequence[Item], extractor: Extractor) -> Iterator[tuple[Item, list[str], list[dict[str, object]]]]:
    """Each item with the symbols and the dumped mentions that ``extractor`` finds in it."""
    for offset in range(0, len(items), BATCH):
        chunk = items[offset : offset + BATCH]
        for item, mentions in zip(chunk, extractor.extract_batch([i.text for i in chunk]), strict=True):
            yield item, distinct_symbols(mentions), [m.model_dump(mode="json") for m in mentions]


def extract_file(path: Path, extractor: Extractor, out: TextIO) -> int:
    """Write ``{"id", "tokens", "mentions"}`` to ``out`` for each line of the JSONL file at ``path``.

    Each input line needs ``id`` and ``text``; returns the number of lines written.
    """
    count = 0
    for item, tokens, mentions in _predict(read_items(path, labeled=False), extractor):
        out.write(orjson.dumps({"id": item.id, "tokens": tokens, "mentions": mentions}).decode() + "\n")
        count += 1
    return count


def is_correct(item: Item, predicted: set[str]) -> bool:
    """Whether ``predicted`` has every gold token of ``item`` and nothing outside tokens ∪ optional."""
    return item.tokens <= predicted <= item.tokens | item.optional


@dataclass
class Counts:
    """Per-tweet and micro counts for one backend on one slice of the gold file."""

    tweets: int = 0
    correct: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, item: Item, predicted: set[str]) -> None:
        """Count one tweet whose predicted symbols are ``predicted``."""
        self.tweets += 1
        self.correct += is_correct(item, predicted)
        self.tp += len(predicted & item.tokens)
        self.fp += len(predicted - item.tokens - item.optional)
        self.fn += len(item.tokens - predicted)

    @property
    def accuracy(self) -> float:
        return self.correct / self.tweets if self.tweets else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class EvalReport:
    """Scores of several backends on one gold file: ``counts[slice][backend]``; slice "all" is overall."""

    backends: list[str]
    counts: dict[str, dict[str, Counts]]

    def to_markdown(self) -> str:
        """One markdown table, a row per slice and per backend accuracy/P/R/F1 columns, padded for terminals."""
        header = ["slice", "tweets"] + [f"{b} {m}" for b in self.backends for m in ("acc", "P", "R", "F1")]
        rows = [header]
        for name, by_backend in self.counts.items():
            row = [name, str(next(iter(by_backend.values())).tweets)]
            for backend in self.backends:
                c = by_backend[backend]
                row += [f"{c.accuracy:.3f}", f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}"]
            rows.append(row)
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]

        def line(cells: list[str]) -> str:
            padded = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
            return "| " + " | ".join(padded) + " |"

        rule = "|" + "|".join("-" * (w + 1) + (":" if i else "-") for i, w in enumerate(widths)) + "|"
        return "\n".join([line(header), rule, *map(line, rows[1:])])


def evaluate_file(path: Path, backends: Sequence[str], errors_path: Path | None = None, load: Loader = load_extractor) -> EvalReport:
    """Score each of ``backends`` (made by ``load``) on the labeled JSONL file at ``path``.

    ``errors_path``, when given, receives one JSON line per wrongly extracted tweet and backend, with
    its text, gold, optional and predicted symbols.
    """
    items = read_items(path, labeled=True)
    slice_names = ["all"] + sorted({f"{k}={v}" for i in items for k, v in i.slices.items()}, key=_slice_order)
    counts = {name: {b: Counts() for b in backends} for name in slice_names}
    errors = []
    for backend in backends:
        for item, tokens, _ in _predict(items, load(backend)):
            predicted = set(tokens)
            for name in ["all"] + [f"{k}={v}" for k, v in item.slices.items()]:
                counts[name][backend].add(item, predicted)
            if not is_correct(item, predicted):
                errors.append(
                    {"id": item.id, "backend": backend, "text": item.text, "gold": sorted(item.tokens),
                     "optional": sorted(item.optional), "predicted": tokens}
                )
    if errors_path is not None:
        errors_path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in errors))
    return EvalReport(list(backends), counts)


def _slice_order(name: str) -> tuple[int, str]:
    """Slices grouped by field in :data:`SLICES` order, then by value."""
    key, _, value = name.partition("=")
    return SLICES.index(key), value
