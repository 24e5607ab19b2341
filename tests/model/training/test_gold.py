"""Hand-labelled training tweets: surfaces become exact spans, nothing unplaceable is guessed, and the
shipped labels stay clear of dev and the test sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.training.corpus import (
    DATA_DIR,
    FRESH_SETS,
    dedupe_key,
    dev_keys,
    materialize,
)
from model.training.corpus import GOLD_LABELS as LABELS
from model.training.gold import records

HAS_CORPUS = (DATA_DIR / "corpus").is_dir()


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_records_turn_surfaces_into_spans_and_optional_into_ignored(tmp_path: Path) -> None:
    text = "$SOL and SOL, maybe Uniswap too, Bitcoiners"
    _write_jsonl(tmp_path / "corpus" / "founders_x.jsonl", [{"id": "1", "text": text}])
    labels = tmp_path / "labels.jsonl"
    row = {"id": "1", "file": "founders_x", "mentions": [["SOL", "SOL"], ["$SOL", "SOL"]], "optional": [["Uniswap", "UNI"], ["Bitcoin", "BTC"]]}
    _write_jsonl(labels, [row])
    (record,), report = records(labels, data_dir=tmp_path)
    assert record.spans == [(0, 4), (9, 12)]  # "$SOL" holds a "SOL" too: the longer surface wins
    assert record.ignore == [(20, 27), (33, 40)]  # a borderline reading is unsure even inside a word
    assert (record.source, record.symbols) == ("gold:founders", ["SOL"])
    assert (report.tweets, report.spans, dict(report.dropped)) == (1, 2, {})


def test_records_drop_a_tweet_whose_surface_is_not_in_it(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "corpus" / "afirrk_x.jsonl", [{"id": "1", "text": "bitcoin up"}, {"id": "2", "text": "eth up"}])
    labels = tmp_path / "labels.jsonl"
    _write_jsonl(labels, [
        {"id": "1", "file": "afirrk_x", "mentions": [["Bitcoin", "BTC"]], "optional": []},  # case differs: not placeable
        {"id": "2", "file": "afirrk_x", "mentions": [["eth", "ETH"]], "optional": []},
    ])
    kept, report = records(labels, data_dir=tmp_path)
    assert [r.text for r in kept] == ["eth up"]
    assert dict(report.dropped) == {"surface_not_in_text": 1}


def test_shipped_labels_are_well_formed() -> None:
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len({(r["file"], r["id"]) for r in rows}) > 1000
    for r in rows:
        assert set(r) == {"id", "file", "mentions", "optional"}
        for surface, symbol in r["mentions"] + r["optional"]:
            assert surface.strip() == surface != ""
            assert symbol == symbol.upper() or symbol.startswith("CA:")


@pytest.mark.skipif(not HAS_CORPUS, reason="needs ../shared/data/corpus")
def test_shipped_labels_place_every_surface_and_stay_out_of_dev_and_test_sets() -> None:
    kept, report = records()
    assert not report.dropped and report.tweets == len(LABELS.read_text(encoding="utf-8").splitlines())
    golden = {dedupe_key(r.text) for r in kept}
    assert not golden & dev_keys()
    for path in FRESH_SETS.values():
        assert not golden & {dedupe_key(str(r["text"])) for r in materialize(path)}
