"""Corpus access: labels join back to their texts, draws are seeded and never take a used tweet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.training.corpus import dedupe_key, draw, materialize
from model.training.errors import UnknownTweetError


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_materialize_joins_texts_by_file_and_id(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "corpus" / "founders_x.jsonl", [{"id": "7", "text": "long $SOL"}, {"id": "8", "text": "大饼起飞"}])
    labels = tmp_path / "labels.jsonl"
    _write_jsonl(labels, [{"id": "8", "file": "founders_x", "tokens": ["BTC"], "optional": []}])
    (row,) = materialize(labels, data_dir=tmp_path)
    assert row == {"id": "founders_x:8", "file": "founders_x", "text": "大饼起飞", "tokens": ["BTC"], "optional": [], "src": "founders", "lang": "zh"}


def test_materialize_names_a_label_without_its_tweet(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "corpus" / "afirrk_x.jsonl", [{"id": "1", "text": "gm"}])
    labels = tmp_path / "labels.jsonl"
    _write_jsonl(labels, [{"id": "2", "file": "afirrk_x", "tokens": [], "optional": []}])
    with pytest.raises(UnknownTweetError, match="no tweet '2' in corpus/afirrk_x.jsonl"):
        materialize(labels, data_dir=tmp_path)


def test_draw_is_seeded_skips_used_and_copied_tweets(tmp_path: Path) -> None:
    rows = [{"id": str(i), "text": f"tweet number {'x' * i} about nothing much"} for i in range(1, 30)]
    rows.append({"id": "99", "text": "RT tweet number x about nothing much"})  # a copy of tweet 1
    _write_jsonl(tmp_path / "corpus" / "afirrk_x.jsonl", rows)
    used = {dedupe_key(rows[1]["text"])}
    first = draw({"afirrk_x": 40}, seed=5, taken=set(used), data_dir=tmp_path)
    again = draw({"afirrk_x": 40}, seed=5, taken=set(used), data_dir=tmp_path)
    assert first == again
    ids = [r["id"] for r in first]
    assert "2" not in ids  # used already
    assert not {"1", "99"} <= set(ids)  # a tweet and its copy are one tweet
    assert len({dedupe_key(r["text"]) for r in first}) == len(first) == 28


def test_draw_takes_half_from_hard_texts_and_every_chinese_one(tmp_path: Path) -> None:
    # Keys drop digits, so the texts differ in letters.
    easy = [{"id": f"e{i}", "text": f"an ordinary day in the park, {'y' * (i + 1)}"} for i in range(20)]
    hard = [{"id": f"h{i}", "text": f"NEAR looks strong today, {'z' * (i + 1)}"} for i in range(20)]
    chinese = [{"id": f"z{i}", "text": f"今天的天气真好，{'晴' * (i + 1)}天都是晴天，明天也会是好天气吧"} for i in range(3)]
    _write_jsonl(tmp_path / "corpus" / "founders_x.jsonl", easy + hard + chinese)
    rows = draw({"founders_x": 6}, seed=1, taken=set(), data_dir=tmp_path, hard=lambda t: "NEAR" in t, all_chinese={"founders_x"})
    ids = [r["id"] for r in rows]
    assert sum(i.startswith("h") for i in ids) >= 3
    assert {"z0", "z1", "z2"} <= set(ids)
