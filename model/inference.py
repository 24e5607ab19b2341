"""The tagger's forward pass over many tweets: subword batches in, character spans out.

Training reads the same positions through :mod:`model.training.align`, so what is taught and what is
predicted line up: a word is labelled at its first subword, and a span runs from the first character of
its first word to the last character of its last.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import PreTrainedTokenizerFast

from model.encoder import Tagger
from model.labels import CASE_PAD, IGNORE_INDEX, LABEL2ID, B, I, casing
from model.spans import first_longest

ScoredSpan = tuple[int, int, float]


def alignment_units(
    tokenizer: PreTrainedTokenizerFast, text: str, offsets: Sequence[tuple[int, int]], word_ids: Sequence[int | None]
) -> tuple[list[tuple[int, int]], list[int | None]]:
    """The offsets and word ids that spans align to, for any fast tokenizer.

    A WordPiece tokenizer's words (split at spaces and punctuation, see :mod:`model.encoder`) are the units
    and its offsets are kept as they are. A SentencePiece tokenizer's words run across symbols and Chinese
    ("了，$WIF🚀" is one), so there each token is its own unit, and a piece's offsets lose the space its
    metaspace stands for ("▁N" of " NEAR" starts at "N"): otherwise almost no span aligns.
    """
    if type(tokenizer.backend_tokenizer.model).__name__ == "WordPiece":
        return [tuple(o) for o in offsets], list(word_ids)
    trimmed = []
    for s, e in offsets:
        while s < e and text[s].isspace():
            s += 1
        trimmed.append((s, e))
    units = [None if wid is None or s == e else t for t, (wid, (s, e)) in enumerate(zip(word_ids, trimmed))]
    return trimmed, units


def words_of(offsets: Sequence[tuple[int, int]], word_ids: Sequence[int | None]) -> list[tuple[int, int, int]]:
    """``(first_token_index, char_start, char_end)`` per word, in order."""
    words: list[tuple[int, int, int]] = []
    last_word: int | None = None
    for t, (wid, (s, e)) in enumerate(zip(word_ids, offsets)):
        if wid is None:
            last_word = None
            continue
        if wid != last_word:
            words.append((t, s, e))
            last_word = wid
        else:
            first, ws, _ = words[-1]
            words[-1] = (first, ws, e)
    return words


def case_ids(text: str, offsets: Sequence[tuple[int, int]], word_ids: Sequence[int | None]) -> list[int]:
    """Casing class per token (padding class for special tokens)."""
    return [CASE_PAD if wid is None else casing(text[s:e]) for wid, (s, e) in zip(word_ids, offsets)]


def labels_to_spans(
    offsets: Sequence[tuple[int, int]],
    word_ids: Sequence[int | None],
    label_ids: Sequence[int],
    probs: Sequence[float] | None = None,
) -> list[ScoredSpan]:
    """Char spans ``(start, end, score)`` from per-token label ids (read at each word's first token).

    An ``I`` right after ``O`` starts a span (lenient decoding); a span's score is the mean of its
    words' probabilities when ``probs`` is given.
    """
    spans: list[ScoredSpan] = []
    cur: list | None = None
    b_id, i_id = LABEL2ID[B], LABEL2ID[I]
    for first, s, e in words_of(offsets, word_ids):
        lab = label_ids[first]
        p = probs[first] if probs is not None else 1.0
        if lab == b_id or (lab == i_id and cur is None):
            if cur:
                spans.append((cur[0], cur[1], sum(cur[2]) / len(cur[2])))
            cur = [s, e, [p]]
        elif lab == i_id and cur is not None:
            cur[1] = e
            cur[2].append(p)
        else:
            if cur:
                spans.append((cur[0], cur[1], sum(cur[2]) / len(cur[2])))
            cur = None
    if cur:
        spans.append((cur[0], cur[1], sum(cur[2]) / len(cur[2])))
    return spans


def collate(features: Sequence[dict[str, list[int]]], pad_id: int = 0) -> dict[str, torch.Tensor]:
    """One padded batch of tensors from encoded examples (``labels`` too when they carry them)."""
    n = max(len(f["input_ids"]) for f in features)

    def pad(key: str, value: int) -> torch.Tensor:
        return torch.tensor([f[key] + [value] * (n - len(f[key])) for f in features])

    out = {"input_ids": pad("input_ids", pad_id), "attention_mask": pad("attention_mask", 0), "case_ids": pad("case_ids", CASE_PAD)}
    if "labels" in features[0]:
        out["labels"] = pad("labels", IGNORE_INDEX)
    return out


def predict_spans(
    tagger: Tagger,
    tokenizer: PreTrainedTokenizerFast,
    texts: Sequence[str],
    device: str,
    batch_size: int = 64,
    max_length: int = 256,
    stride: int = 32,
) -> list[list[ScoredSpan]]:
    """``[(start, end, score), ...]`` per text, in text order. Texts are batched by length (less padding);
    texts longer than ``max_length`` tokens are read in overlapping windows and the windows' spans merged."""
    results: list[list[ScoredSpan]] = [[] for _ in texts]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    with torch.inference_mode():
        for k in range(0, len(order), batch_size):
            idx = order[k : k + batch_size]
            batch_texts = [texts[i] or " " for i in idx]
            enc = tokenizer(
                batch_texts, truncation=True, max_length=max_length, stride=stride,
                return_overflowing_tokens=True, return_offsets_mapping=True,
            )
            feats, units = [], []
            for w in range(len(enc["input_ids"])):
                src = enc["overflow_to_sample_mapping"][w]
                offsets, word_ids = alignment_units(tokenizer, batch_texts[src], enc["offset_mapping"][w], enc.word_ids(w))
                units.append((offsets, word_ids))
                feats.append({
                    "input_ids": enc["input_ids"][w],
                    "attention_mask": enc["attention_mask"][w],
                    "case_ids": case_ids(batch_texts[src], offsets, word_ids),
                })
            batch = {key: v.to(device) for key, v in collate(feats).items()}
            logits = tagger(**batch).logits.float()
            probs = logits.softmax(-1)
            conf, labels = probs.max(-1)
            labels, conf = labels.cpu().tolist(), conf.cpu().tolist()
            for w in range(len(feats)):
                src = idx[enc["overflow_to_sample_mapping"][w]]
                n = len(feats[w]["input_ids"])
                spans = labels_to_spans(*units[w], labels[w][:n], conf[w][:n])
                results[src].extend(spans)
    return [first_longest(spans) for spans in results]  # overlapping windows may tag a span twice


