"""Labels made the way test sets are made: two annotators apart, a third reading for every disagreement.

The flow, each step a function here and a command of ``python -m model.training.label``:

1. :func:`packet_rows`: the drawn tweets as annotators see them, ``{id, text}`` only (no source kind,
   no backend output). Ids are ``<corpus file>:<tweet id>``.
2. Two annotators, working apart with ``model/training/ANNOTATION_GUIDE.md`` and ``../shared/LABELING.md``,
   each write one :class:`Reading` per tweet: the surfaces that name assets, and borderline ones.
3. :func:`disagreements`: every tweet whose two readings differ in ``tokens`` or ``optional``, with both
   readings, for a third reading (adjudication).
4. The adjudicator writes, for each of those tweets, the final reading and a one-line ``reason``.
5. :func:`settle`: one :class:`Final` label per tweet: agreed readings as they are (their surfaces
   united), disputed ones as adjudicated. Nothing moves to ``optional`` silently.
6. :func:`place`: surfaces → exact character spans by code; a surface the text lacks is counted.
7. :func:`agreement_report`: exact-set agreement before adjudication, per source, language and kind.
8. :func:`review_sample` / :func:`error_rate`: a fourth reader checks a random sample of settled labels,
   which measures how often they are wrong.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from model.spans import Span, first_longest, occurrences, overlaps_any
from model.training.corpus import is_chinese, read_jsonl
from model.training.errors import AnnotationError
from schemas import canonical_symbol

Surface = tuple[str, str]  # (surface as written, canonical symbol)


def key_of(row: Mapping[str, object]) -> str:
    """The id annotators see for a drawn row: ``<corpus file>:<tweet id>``."""
    return f"{row['file']}:{row['id']}"


def packet_rows(drawn: Iterable[Mapping[str, object]]) -> list[dict[str, str]]:
    """What an annotator reads of each drawn row: its id and text, nothing else."""
    return [{"id": key_of(r), "text": str(r["text"])} for r in drawn]


@dataclass(frozen=True)
class Reading:
    """One reader's label of one tweet: surfaces that name assets, and borderline ones."""

    mentions: frozenset[Surface] = frozenset()
    optional: frozenset[Surface] = frozenset()

    @property
    def tokens(self) -> frozenset[str]:
        """The assets the tweet clearly mentions."""
        return frozenset(symbol for _, symbol in self.mentions)

    @property
    def optional_tokens(self) -> frozenset[str]:
        """The borderline assets, less those also clearly mentioned."""
        return frozenset(symbol for _, symbol in self.optional) - self.tokens

    def agrees(self, other: Reading) -> bool:
        """Exact-set agreement: the same tokens and the same optional tokens."""
        return self.tokens == other.tokens and self.optional_tokens == other.optional_tokens

    def as_json(self) -> dict[str, list[list[str]]]:
        return {"mentions": [list(s) for s in sorted(self.mentions)], "optional": [list(s) for s in sorted(self.optional)]}


def _surfaces(value: object, where: str) -> frozenset[Surface]:
    if not isinstance(value, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) and x.strip() for x in pair) for pair in value
    ):
        raise AnnotationError(f"{where}: expected a list of [surface, SYMBOL] pairs, got {value!r}")
    return frozenset((surface, canonical_symbol(symbol)) for surface, symbol in value)


def _read(path: Path, expected: Sequence[str], *, with_reason: bool) -> tuple[dict[str, Reading], dict[str, str]]:
    """Each tweet's :class:`Reading` (and ``reason``) from one reader's file, checked against ``expected``."""
    wanted = set(expected)
    readings: dict[str, Reading] = {}
    reasons: dict[str, str] = {}
    for number, row in enumerate(read_jsonl(path), start=1):
        where = f"{path}, line {number}"
        key = row.get("id")
        if key not in wanted:
            raise AnnotationError(f"{where}: id {key!r} is not in the packet")
        if key in readings:
            raise AnnotationError(f"{where}: id {key!r} labelled twice")
        reason = str(row.get("reason", "")).strip()
        if with_reason and not reason:
            raise AnnotationError(f"{where}: an adjudication needs a one-line reason")
        readings[key] = Reading(_surfaces(row.get("mentions"), where), _surfaces(row.get("optional", []), where))
        reasons[key] = reason
    if missing := [k for k in expected if k not in readings]:
        raise AnnotationError(f"{path}: {len(missing)} tweets not labelled, the first {missing[0]!r}")
    return readings, reasons


def read_readings(path: Path, expected: Sequence[str]) -> dict[str, Reading]:
    """Each tweet's :class:`Reading` from one annotator's file, checked against the ``expected`` ids.

    Raises :class:`AnnotationError` naming the line of a malformed label, a repeated or unknown id, or a
    missing one.
    """
    return _read(path, expected, with_reason=False)[0]


def read_adjudication(path: Path, expected: Sequence[str]) -> tuple[dict[str, Reading], dict[str, str]]:
    """The adjudicator's :class:`Reading` and one-line reason of each disputed tweet in ``expected``;
    :class:`AnnotationError` as :func:`read_readings` says, and for an empty reason."""
    return _read(path, expected, with_reason=True)


def disagreements(
    texts: Mapping[str, str], first: Mapping[str, Reading], second: Mapping[str, Reading]
) -> list[dict[str, object]]:
    """What the adjudicator reads: each tweet the two readings differ on, its text and both readings."""
    return [
        {"id": key, "text": texts[key], "first": first[key].as_json(), "second": second[key].as_json()}
        for key in texts
        if not first[key].agrees(second[key])
    ]


@dataclass(frozen=True)
class Final:
    """The settled label of one tweet and how it was reached ("agreed" or "adjudicated")."""

    key: str
    reading: Reading
    how: str
    reason: str = ""


def settle(
    keys: Sequence[str], first: Mapping[str, Reading], second: Mapping[str, Reading], adjudicated: Mapping[str, Reading], reasons: Mapping[str, str]
) -> list[Final]:
    """One :class:`Final` per tweet: an agreed tweet keeps the surfaces both readers found, a disputed one
    takes the adjudication. Raises :class:`AnnotationError` for a disputed tweet nobody adjudicated."""
    out = []
    for key in keys:
        a, b = first[key], second[key]
        if a.agrees(b):
            # Same assets; readers may list different ways of writing them, and each is a real surface. A
            # surface one of them also listed as borderline is a mention: the two agree that it names a token.
            mentions = a.mentions | b.mentions
            named = {surface for surface, _ in mentions}
            optional = frozenset(o for o in a.optional | b.optional if o[0] not in named)
            out.append(Final(key, Reading(mentions, optional), "agreed"))
        elif key in adjudicated:
            out.append(Final(key, adjudicated[key], "adjudicated", reasons.get(key, "")))
        else:
            raise AnnotationError(f"{key}: the readers disagree and there is no adjudication")
    return out


@dataclass
class Placement:
    """A final label's surfaces as character spans, and what could not be placed."""

    spans: list[tuple[int, int, str]] = field(default_factory=list)
    ignore: list[Span] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)


def place(text: str, reading: Reading) -> Placement:
    """Every bounded occurrence of each mention surface becomes a span (the longest where they overlap:
    "$SOL" over "SOL"); optional surfaces, bounded or not, are regions left out of the loss. A surface the
    text does not hold is listed in ``unplaced``, never guessed at."""
    placement = Placement()
    found: list[tuple[int, int, str]] = []
    for surface, symbol in sorted(reading.mentions):
        hits = list(occurrences(text, surface))
        if not hits:
            placement.unplaced.append(surface)
        found += [(s, e, symbol) for s, e in hits]
    placement.spans = first_longest(found)
    taken = [(s, e) for s, e, _ in placement.spans]
    for surface, _ in sorted(reading.optional):
        hits = list(occurrences(text, surface, bounded=False))
        if not hits:
            placement.unplaced.append(surface)
        placement.ignore += [h for h in hits if not overlaps_any(h, taken)]
    placement.ignore.sort()
    return placement


def training_row(final: Final, file: str, tweet_id: str, placement: Placement) -> dict[str, object]:
    """The shipped line of one settled training label: ids, symbols, surfaces and their spans; no text."""
    reading = final.reading
    return {
        "id": tweet_id,
        "file": file,
        "tokens": sorted(reading.tokens),
        **reading.as_json(),
        "spans": [list(s) for s in placement.spans],
        "ignore": [list(s) for s in placement.ignore],
        "how": final.how,
        **({"reason": final.reason} if final.reason else {}),
    }


def eval_row(final: Final, file: str, tweet_id: str) -> dict[str, object]:
    """The shipped line of one settled test label, as ``tickertape eval`` reads it: ids and symbols."""
    return {
        "id": tweet_id,
        "file": file,
        "tokens": sorted(final.reading.tokens),
        "optional": sorted(final.reading.optional_tokens),
        "how": final.how,
        **({"reason": final.reason} if final.reason else {}),
    }


@dataclass
class Agreement:
    """Exact-set agreement of two readings, before adjudication, overall and by slice."""

    tweets: Counter[str] = field(default_factory=Counter)
    agreed: Counter[str] = field(default_factory=Counter)

    def add(self, slices: Iterable[str], agreed: bool) -> None:
        for name in ["all", *slices]:
            self.tweets[name] += 1
            self.agreed[name] += agreed

    def to_markdown(self) -> str:
        rows = ["| slice | tweets | agreed | exact-set agreement |", "| --- | ---: | ---: | ---: |"]
        for name in sorted(self.tweets, key=lambda n: (n != "all", n)):
            rows.append(f"| {name} | {self.tweets[name]} | {self.agreed[name]} | {self.agreed[name] / self.tweets[name]:.3f} |")
        return "\n".join(rows)


def agreement_report(
    drawn: Iterable[Mapping[str, object]], first: Mapping[str, Reading], second: Mapping[str, Reading]
) -> Agreement:
    """Agreement per source file, language and drawn kind of the tweets in ``drawn``."""
    report = Agreement()
    for row in drawn:
        key = key_of(row)
        text = str(row["text"])
        slices = [f"src={str(row['file']).split('_')[0]}", f"lang={'zh' if is_chinese(text) else 'en'}", f"kind={row.get('kind', 'stream')}"]
        report.add(slices, first[key].agrees(second[key]))
    return report


def symbol_confusions(first: Mapping[str, Reading], second: Mapping[str, Reading]) -> Counter[str]:
    """How often each symbol was read differently (a token for one reader, not for the other)."""
    counts: Counter[str] = Counter()
    for key in first:
        counts.update(first[key].tokens ^ second[key].tokens)
    return counts


def review_sample(rows: Sequence[Mapping[str, object]], texts: Mapping[str, str], n: int, seed: int) -> list[dict[str, object]]:
    """What the fourth reader checks: ``n`` settled labels drawn at random (seeded), each with its text."""
    chosen = random.Random(seed).sample(list(rows), min(n, len(rows)))
    return [
        {"id": key_of(r), "text": texts[key_of(r)], "mentions": r["mentions"], "optional": r["optional"]}
        for r in chosen
    ]


def error_rate(verdicts: Sequence[Mapping[str, object]]) -> tuple[int, int]:
    """(wrong, checked) of the fourth reader's verdicts ``{"id", "verdict": "correct"|"wrong", "reason"}``.

    Raises :class:`AnnotationError` for a verdict that is neither, or a "wrong" one without a reason.
    """
    wrong = 0
    for v in verdicts:
        if v.get("verdict") not in ("correct", "wrong"):
            raise AnnotationError(f"{v.get('id')}: verdict must be 'correct' or 'wrong', got {v.get('verdict')!r}")
        if v["verdict"] == "wrong":
            if not str(v.get("reason", "")).strip():
                raise AnnotationError(f"{v.get('id')}: a wrong verdict needs its reason")
            wrong += 1
    return wrong, len(verdicts)
