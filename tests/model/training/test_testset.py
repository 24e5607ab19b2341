"""The fresh test sets: two annotators' labels merge into one, the labels join back to their tweets, and no
training row, dev tweet or other set touches them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.training.corpus import DATA_DIR, dedupe_key, dev_keys, materialize
from model.training.corpus import FRESH_SETS as LABELS
from model.training.testset import merge
from model.training.train import hand_records


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_merge_keeps_agreed_tokens_and_makes_disagreements_optional() -> None:
    one = [{"id": "1", "file": "f", "tokens": ["BTC", "NEAR"], "optional": []}, {"id": "2", "file": "f", "tokens": [], "optional": ["UNI"]}]
    two = [{"id": "1", "file": "f", "tokens": ["BTC"], "optional": ["ONE"]}, {"id": "2", "file": "f", "tokens": ["UNI"], "optional": []}]
    assert merge(one, two) == [
        {"id": "1", "file": "f", "tokens": ["BTC"], "optional": ["NEAR", "ONE"]},
        {"id": "2", "file": "f", "tokens": [], "optional": ["UNI"]},
    ]


def test_merge_refuses_files_about_different_tweets() -> None:
    one = [{"id": "1", "file": "f", "tokens": [], "optional": []}]
    with pytest.raises(ValueError, match="line 1: f:1 vs f:9"):
        merge(one, [{"id": "9", "file": "f", "tokens": [], "optional": []}])
    with pytest.raises(ValueError, match="labelled 1 and 0 tweets"):
        merge(one, [])


@pytest.mark.parametrize("name", sorted(LABELS))
def test_shipped_labels_are_well_formed(name: str) -> None:
    rows = [json.loads(line) for line in LABELS[name].read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len({(r["file"], r["id"]) for r in rows}) > 200
    for r in rows:
        assert {"id", "file", "tokens", "optional"} <= set(r) <= {"id", "file", "tokens", "optional", "how", "reason", "kind"}
        assert all(s == s.upper() or s.startswith("CA:") for s in r["tokens"] + r["optional"])
        assert not set(r["tokens"]) & set(r["optional"])


@pytest.mark.skipif(not (DATA_DIR / "corpus").is_dir(), reason="needs ../shared/data/corpus")
def test_shipped_labels_stay_out_of_training_dev_and_each_other() -> None:
    sets = {name: {dedupe_key(str(r["text"])) for r in materialize(path)} for name, path in LABELS.items()}
    records, _ = hand_records()
    trained = {dedupe_key(r.text) for r in records}
    dev = dev_keys()
    for name, keys in sets.items():
        assert not keys & trained, name
        assert not keys & dev, name
        assert all(not keys & other for o, other in sets.items() if o != name), name
