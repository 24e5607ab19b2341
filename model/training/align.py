"""Character spans ↔ subword labels, through the fast tokenizer's offset mapping.

This is where the seed team lost 23 points, so it is explicit and tested:

* A tweet is tokenized once with ``return_offsets_mapping``; every token carries the ``(start, end)``
  of the characters it came from in the *original* text (lower-casing, accent stripping and the
  spaces the BERT normalizer puts around CJK characters do not move them).
* Tokens group into *words* (the pre-tokenizer's pieces: whitespace and punctuation split, each
  CJK character alone). A gold span is aligned when it starts where a word starts and ends where a
  word ends; its first word gets ``B``, the following words ``I``, every other word ``O``.
* Only the **first subword of each word** carries a label. Special tokens ([CLS], [SEP], padding)
  and the non-first subwords of a word (``##coin`` in ``fart ##coin``) get ``-100``, which the
  cross-entropy loss ignores. Why: the decision is per word, and the first piece sees the whole
  word through attention anyway. Labelling the continuation pieces too would (a) weight long,
  rare words (many pieces) more than short ones in the loss, (b) force a made-up rule for what a
  ``##`` piece is (``B``? ``I``?), and (c) allow predictions that split a word in two. At
  inference a word takes its first piece's label, so train and predict read the same positions.
* A SentencePiece tokenizer (multilingual-e5) is aligned token by token instead, its pieces' offsets
  trimmed of the space a metaspace stands for (:func:`model.inference.alignment_units`).
* Spans that do not fall on word boundaries (e.g. ``BTC`` inside ``BTCUSDT``) cannot be expressed
  and are *counted* (``unaligned``), as are spans cut off by truncation (``truncated``); the
  dataset drops those examples and reports the counts instead of training on wrong labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from model.inference import alignment_units, case_ids, words_of
from model.labels import IGNORE_INDEX, LABEL2ID, B, I, O
from model.spans import overlaps_any


@dataclass
class AlignStats:
    spans: int = 0
    aligned: int = 0
    unaligned: int = 0  # span edges fall inside a word
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
        return {
            "spans": self.spans,
            "aligned": self.aligned,
            "unaligned": self.unaligned,
            "truncated": self.truncated,
            "examples_with_problems": self.examples_with_problems,
        }


def spans_to_labels(
    text: str,
    offsets: Sequence[tuple[int, int]],
    word_ids: Sequence[int | None],
    spans: Sequence[tuple[int, int]],
) -> tuple[list[int], AlignStats]:
    """Label ids per token for the gold char ``spans`` of ``text``."""
    stats = AlignStats()
    labels = [IGNORE_INDEX] * len(offsets)
    words = words_of(offsets, word_ids)
    for first, _, _ in words:
        labels[first] = LABEL2ID[O]
    covered_to = words[-1][2] if words else 0  # end of the last char the encoding still sees
    cut = bool(text[covered_to:].strip())  # the encoding was truncated before the end of the text
    for s, e in sorted(spans):
        stats.spans += 1
        inside = [w for w in words if w[1] < e and w[2] > s]
        if not (inside and inside[0][1] == s and inside[-1][2] == e):
            if cut and e > covered_to:
                stats.truncated += 1
                stats.problems.append(f"truncated {text[s:e]!r}")
            else:
                stats.unaligned += 1
                stats.problems.append(f"unaligned {text[s:e]!r} in {text[max(0, s - 15) : e + 15]!r}")
            for first, _, _ in inside:  # teach nothing about a span we cannot express
                labels[first] = IGNORE_INDEX
            continue
        stats.aligned += 1
        for k, (first, _, _) in enumerate(inside):
            labels[first] = LABEL2ID[B if k == 0 else I]
    if stats.unaligned or stats.truncated:
        stats.examples_with_problems = 1
    return labels, stats


def encode_example(
    tokenizer,
    text: str,
    spans: Sequence[tuple[int, int]],
    max_length: int = 128,
    ignore: Sequence[tuple[int, int]] = (),
) -> tuple[dict, AlignStats]:
    """Tokenize one text and align its spans: ``input_ids``, ``attention_mask``, ``case_ids``, ``labels``.

    Words overlapping an ``ignore`` region (uncertain silver labels) get ``-100`` unless inside a span.
    """
    enc = tokenizer(text, truncation=True, max_length=max_length, return_offsets_mapping=True)
    offsets, word_ids = alignment_units(tokenizer, text, enc["offset_mapping"], enc.word_ids())
    labels, stats = spans_to_labels(text, offsets, word_ids, spans)
    if ignore:
        for first, s, e in words_of(offsets, word_ids):
            if labels[first] == LABEL2ID[O] and overlaps_any((s, e), ignore):
                labels[first] = IGNORE_INDEX
    return (
        {
            "input_ids": enc["input_ids"],
            "attention_mask": enc["attention_mask"],
            "case_ids": case_ids(text, offsets, word_ids),
            "labels": labels,
        },
        stats,
    )
