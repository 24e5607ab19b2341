"""Character spans → token labels and candidate labels, through the tokenizer's offsets.

This is where the seed team lost 23 points (62% before they found it), so it is explicit and tested:

* A tweet is encoded once by :func:`model.inference.encode`, the serving path: every token carries the
  characters it came from in the *original* text, trimmed of the metaspace's space.
* A gold span is aligned when a token starts where it starts and a token ends where it ends; its
  first token gets ``B``, the other tokens inside it ``I``, every other token ``O``; ``<s>`` and ``</s>``
  get ``-100``, which the loss skips. SentencePiece pieces can run across a span's edge ("ETH" of
  "ETHUSD" may be one piece): such a span cannot be expressed, is counted (``unaligned``) and its
  example is dropped rather than taught half of it, as is one cut off by truncation (``truncated``).
* Optional surfaces (``ignore`` regions) are taught neither way: tokens over them get ``-100``.
* Each candidate the encoding sees is a positive when it is exactly a gold span, a negative when it
  touches no ignore region, and left out of the candidate loss otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from model.candidates import Candidate
from model.inference import Encoded, encode
from model.labels import IGNORE_INDEX, LABEL2ID, B, I, O
from model.spans import Span, overlaps, overlaps_any


@dataclass
class AlignStats:
    """How many gold spans were aligned, and why the others were not."""

    spans: int = 0
    aligned: int = 0
    unaligned: int = 0  # a span edge falls inside a token
    truncated: int = 0  # span (partly) beyond max_length
    examples_with_problems: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: AlignStats) -> None:
        self.spans += other.spans
        self.aligned += other.aligned
        self.unaligned += other.unaligned
        self.truncated += other.truncated
        self.examples_with_problems += other.examples_with_problems
        self.problems.extend(other.problems[: max(0, 20 - len(self.problems))])

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("spans", "aligned", "unaligned", "truncated", "examples_with_problems")}


@dataclass
class Example:
    """An encoded tweet with its targets: one label per token, one per candidate (-1: not taught)."""

    encoded: Encoded
    labels: list[int]
    candidate_labels: list[float]


def spans_to_labels(text: str, offsets: Sequence[Span], spans: Sequence[Span]) -> tuple[list[int], AlignStats]:
    """Label ids per token for the gold character ``spans`` of ``text``."""
    stats = AlignStats()
    labels = [IGNORE_INDEX if s == e else LABEL2ID[O] for s, e in offsets]
    covered_to = max((e for s, e in offsets if s < e), default=0)
    cut = bool(text[covered_to:].strip())  # the encoding was truncated before the end of the text
    for s, e in sorted(spans):
        stats.spans += 1
        inside = [t for t, (ts, te) in enumerate(offsets) if ts < te and overlaps((ts, te), (s, e))]
        if not (inside and offsets[inside[0]][0] == s and offsets[inside[-1]][1] == e):
            if cut and e > covered_to:
                stats.truncated += 1
                stats.problems.append(f"truncated {text[s:e]!r}")
            else:
                stats.unaligned += 1
                stats.problems.append(f"unaligned {text[s:e]!r} in {text[max(0, s - 15) : e + 15]!r}")
            for t in inside:  # teach nothing about a span we cannot express
                labels[t] = IGNORE_INDEX
            continue
        stats.aligned += 1
        for k, t in enumerate(inside):
            labels[t] = LABEL2ID[B if k == 0 else I]
    stats.examples_with_problems = int(bool(stats.unaligned or stats.truncated))
    return labels, stats


def candidate_targets(placed: Sequence[tuple[Candidate, int, int]], spans: Sequence[Span], ignore: Sequence[Span]) -> list[float]:
    """1.0 for a candidate that is exactly a gold span, 0.0 for one clear of ``ignore``, else -1 (not taught)."""
    gold = set(map(tuple, spans))
    targets = []
    for c, _, _ in placed:
        if (c.start, c.end) in gold:
            targets.append(1.0)
        else:
            targets.append(-1.0 if overlaps_any((c.start, c.end), ignore) else 0.0)
    return targets


def encode_example(
    tokenizer,
    text: str,
    candidates: Sequence[Candidate],
    spans: Sequence[Span],
    max_length: int = 128,
    ignore: Sequence[Span] = (),
) -> tuple[Example, AlignStats]:
    """Encode one tweet as serving does and align its gold ``spans`` and optional ``ignore`` regions."""
    encoded = encode(tokenizer, text, candidates, max_length)
    labels, stats = spans_to_labels(text, encoded.offsets, spans)
    inside_span = [overlaps_any(o, spans) for o in encoded.offsets]
    for t, o in enumerate(encoded.offsets):
        if labels[t] == LABEL2ID[O] and not inside_span[t] and overlaps_any(o, ignore):
            labels[t] = IGNORE_INDEX
    return Example(encoded, labels, candidate_targets(encoded.candidates, spans, ignore)), stats
