"""A fresh test set: corpus tweets that no training row and no dev tweet touches, labelled per LABELING.md.

``dev/dev.jsonl`` has been read while writing the rules and the tagger's span checks, so it flatters both.
This set is the check nobody tuned to: :func:`select` draws tweets (seeded) that no label file holds and that
are no (near) copy of a dev tweet; people label them without seeing any backend's
output; the project ships only ``id``, ``file`` and the labels (the corpus terms allow no copies of the
text), and :func:`materialize` joins the texts back from ``../shared/data/corpus``.

    python -m model.training.label select --for test --seed 2028 --out pool.jsonl   # tweets to label
    python -m model.training.label merge one.jsonl two.jsonl --out labels.jsonl     # two annotators' labels → one set
    python -m model.training.label materialize --set c --out fresh.jsonl            # labels + texts, for ``tickertape eval``
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from model.training.corpus import DATA_DIR, draw, used_keys
from model.training.errors import MismatchedLabelsError

# Corpus file stem → tweets to draw. The mix follows dev's real part: founders and memecoin-era
# traders, the 2017-21 coin searches, bot-heavy 2021 streams, and ordinary tweets.
DRAW = {
    "founders_2023_2026": 70,
    "cryptop12_2017_2021_sample": 60,
    "afirrk_2021": 20,
    "vavabramov_2021": 20,
    "ads509_accounts": 20,
    "tweeteval_general_negatives": 30,
}


def select(seed: int, plan: dict[str, int] | None = None, data_dir: Path | None = None) -> list[dict[str, str]]:
    """``{id, file, text}`` rows to label: ``plan`` tweets per corpus file (default :data:`DRAW`), plus every
    unused Chinese founders tweet, none of them in training, dev or a labelled set already shipped."""
    data_dir = data_dir or DATA_DIR
    return draw(plan or DRAW, seed, taken_keys(data_dir), data_dir, all_chinese={"founders_2023_2026"})


def taken_keys(data_dir: Path | None = None) -> set[str]:
    """:func:`~model.training.corpus.dedupe_key` of every tweet a new test set must stay clear of: dev and
    every shipped label file, the training labels among them. (Sets a-e and the training draw were also
    drawn clear of the rule-labelled rows the earlier tagger trained on; the tagger that replaced it trains
    on hand labels alone, so those rows need no longer be avoided.)"""
    return used_keys(data_dir)


def merge(first: Sequence[dict[str, object]], second: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """One label set from two annotators' labels of the same tweets (same order): a symbol both put in
    ``tokens`` is a token; one only one of them did, or either called borderline, is ``optional``.

    Raises :class:`MismatchedLabelsError` naming the first line where the two files are not about the
    same tweet.
    """
    if len(first) != len(second):
        raise MismatchedLabelsError(f"the annotators labelled {len(first)} and {len(second)} tweets")
    out = []
    for number, (one, two) in enumerate(zip(first, second), start=1):
        if (one["file"], one["id"]) != (two["file"], two["id"]):
            raise MismatchedLabelsError(f"line {number}: {one['file']}:{one['id']} vs {two['file']}:{two['id']}")
        a, b = set(one["tokens"]), set(two["tokens"])  # type: ignore[call-overload]
        both = a & b
        borderline = (a ^ b) | set(one["optional"]) | set(two["optional"])  # type: ignore[call-overload]
        out.append({"id": one["id"], "file": one["file"], "tokens": sorted(both), "optional": sorted(borderline - both)})
    return out
