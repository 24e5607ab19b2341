"""The tagger's forward pass over many tweets: texts and candidates in, scored character spans out.

Training encodes through the same :func:`encode`, so what is taught and what is predicted line up. The
tokenizer is SentencePiece, whose pieces run across symbols and Chinese ("了，$WIF🚀" is one word), so
each token is its own unit: a span starts at the first character of its first token and ends at the last
character of its last, and a piece's offsets lose the space its metaspace stands for ("▁N" of " NEAR"
starts at "N"), or almost no span would align.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedTokenizerFast

from model.candidates import Candidate, token_features
from model.encoder import span_means
from model.labels import LABEL2ID, B, I
from model.runtime import Forward
from model.spans import Span, first_longest

ScoredSpan = tuple[int, int, float]
PAD_ID = 1  # XLM-R's <pad>


@dataclass
class Encoded:
    """One tweet as the tagger reads it."""

    input_ids: list[int]
    offsets: list[Span]  # per token, trimmed of the metaspace's space; (0, 0) for <s> and </s>
    features: list[int]  # per token, the candidate feature (model.candidates)
    candidates: list[tuple[Candidate, int, int]]  # the candidates the encoding sees, with their token range


def encode(tokenizer: PreTrainedTokenizerFast, text: str, candidates: Sequence[Candidate], max_length: int) -> Encoded:
    """Tokenize ``text`` (cut at ``max_length`` tokens) and place its ``candidates`` on the tokens."""
    return windows(tokenizer, text, candidates, max_length, stride=0)[0]


def windows(tokenizer: PreTrainedTokenizerFast, text: str, candidates: Sequence[Candidate], max_length: int, stride: int) -> list[Encoded]:
    """``text`` as windows of at most ``max_length`` tokens, each overlapping the one before by ``stride``
    tokens, its ``candidates`` placed on each."""
    enc = tokenizer(text, truncation=True, max_length=max_length, stride=stride, return_overflowing_tokens=True, return_offsets_mapping=True)
    out = []
    for ids, raw in zip(enc["input_ids"], enc["offset_mapping"], strict=True):
        offsets = []
        for s, e in raw:
            while s < e and text[s].isspace():
                s += 1
            offsets.append((s, e))
        placed = []
        for c in candidates:
            tokens = [t for t, (s, e) in enumerate(offsets) if s < e and s < c.end and c.start < e]
            if tokens:
                placed.append((c, tokens[0], tokens[-1] + 1))
        out.append(Encoded(ids, offsets, token_features(placed, len(offsets)), placed))
    return out


def token_spans(offsets: Sequence[Span], label_ids: Sequence[int], probs: Sequence[float]) -> list[ScoredSpan]:
    """Character spans ``(start, end, score)`` from per-token BIO ids; a span's score is its tokens' mean.

    An ``I`` after ``O`` starts a span (lenient decoding); tokens with no characters end one.
    """
    spans: list[ScoredSpan] = []
    current: list | None = None
    for (s, e), label, p in zip(offsets, label_ids, probs):
        inside = s < e and label == LABEL2ID[I] and current is not None
        if inside:
            current[1] = e
            current[2].append(p)
            continue
        if current:
            spans.append((current[0], current[1], sum(current[2]) / len(current[2])))
            current = None
        if s < e and label in (LABEL2ID[B], LABEL2ID[I]):
            current = [s, e, [p]]
    if current:
        spans.append((current[0], current[1], sum(current[2]) / len(current[2])))
    return spans


def pad_batch(items: Sequence[Encoded]) -> dict[str, torch.Tensor]:
    """``input_ids``, ``attention_mask`` and ``features`` of ``items`` padded to one length, and the
    candidates' ``spans`` (batch row, first token, one past the last)."""
    n = max(len(x.input_ids) for x in items)

    def pad(rows: list[list[int]], value: int) -> torch.Tensor:
        return torch.tensor([row + [value] * (n - len(row)) for row in rows])

    spans = [(b, first, last) for b, x in enumerate(items) for _, first, last in x.candidates]
    return {
        "input_ids": pad([x.input_ids for x in items], PAD_ID),
        "attention_mask": pad([[1] * len(x.input_ids) for x in items], 0),
        "features": pad([x.features for x in items], 0),
        "spans": torch.tensor(spans, dtype=torch.long).reshape(-1, 3),
    }


@dataclass
class Reading:
    """What the tagger reads in one tweet: its token head's spans and each candidate's probability."""

    spans: list[ScoredSpan]
    candidates: list[tuple[Candidate, float]]


def batches(lengths: Sequence[int], batch_size: int, token_budget: int) -> list[range]:
    """Consecutive runs of items already sorted by ``lengths`` (ascending), each at most ``batch_size``
    items and at most ``token_budget`` tokens once padded to its longest: short tweets go many to a
    batch, long ones few, and padding stays small either way."""
    out, first = [], 0
    for k, n in enumerate(lengths):
        if k > first and (k - first >= batch_size or (k - first + 1) * n > token_budget):
            out.append(range(first, k))
            first = k
    if first < len(lengths):
        out.append(range(first, len(lengths)))
    return out


def read_batch(
    forward: Forward,
    tokenizer: PreTrainedTokenizerFast,
    texts: Sequence[str],
    candidates: Sequence[Sequence[Candidate]],
    batch_size: int = 256,
    token_budget: int = 4096,
    max_length: int = 128,
    stride: int = 32,
) -> list[Reading]:
    """One :class:`Reading` per text, in text order. Windows are sorted by length and batched by
    :func:`batches`; a text longer than ``max_length`` tokens is read in overlapping windows, whose spans
    are merged (first-longest) and whose candidates keep their highest probability. 128 tokens is the
    training window: reading in it is twice as fast as in 512 on dev's texts and reads what training taught."""
    encoded = [(i, x) for i, (text, cands) in enumerate(zip(texts, candidates, strict=True)) for x in windows(tokenizer, text, cands, max_length, stride)]
    spans: list[list[ScoredSpan]] = [[] for _ in texts]
    chances: list[dict[Candidate, float]] = [{} for _ in texts]
    encoded.sort(key=lambda item: len(item[1].input_ids))
    for run in batches([len(x.input_ids) for _, x in encoded], batch_size, token_budget):
        part = [encoded[k] for k in run]
        batch = pad_batch([x for _, x in part])
        logits, scores = forward(batch)
        conf, labels = logits.softmax(-1).max(-1)
        labels_rows, conf_rows = labels.tolist(), conf.tolist()
        flat = iter(torch.sigmoid(span_means(scores, batch["spans"])).tolist())
        for row, (i, x) in enumerate(part):
            n = len(x.input_ids)
            spans[i].extend(token_spans(x.offsets, labels_rows[row][:n], conf_rows[row][:n]))
            for c, _, _ in x.candidates:
                p = next(flat)
                chances[i][c] = max(p, chances[i].get(c, 0.0))
    return [Reading(first_longest(s), sorted(c.items(), key=lambda item: item[0].start)) for s, c in zip(spans, chances, strict=True)]
