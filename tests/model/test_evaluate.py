"""Scoring math on tiny synthetic gold files, the extract CLI's output, and bad input lines."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from model.evaluate import evaluate_file, extract_file
from model.extractor import load_extractor


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    return path


GOLD = [
    # correct: every token, nothing else
    {"id": "1", "text": "$BTC and $ETH", "tokens": ["BTC", "ETH"], "lang": "en", "src": "a"},
    # FP: TSLA is outside tokens ∪ optional
    {"id": "2", "text": "$BTC $TSLA", "tokens": ["BTC"], "lang": "en", "src": "a"},
    # FN: ETH missed
    {"id": "3", "text": "$SOL", "tokens": ["SOL", "ETH"], "lang": "zh", "src": "b"},
    # optional predicted: neither TP nor FP, and still correct
    {"id": "4", "text": "$UNI v4", "tokens": [], "optional": ["UNI"], "lang": "zh", "src": "b"},
    # optional missed: not an FN either
    {"id": "5", "text": "$DOGE up", "tokens": ["DOGE"], "optional": ["SHIB"], "lang": "en", "src": "b"},
]


def test_scoring(tmp_path: Path) -> None:
    errors = tmp_path / "errors.jsonl"
    report = evaluate_file(_jsonl(tmp_path / "gold.jsonl", GOLD), ["cashtag"], errors)
    overall = report.counts["all"]["cashtag"]
    assert (overall.tweets, overall.correct) == (5, 3)
    assert (overall.tp, overall.fp, overall.fn) == (5, 1, 1)
    assert overall.precision == pytest.approx(5 / 6)
    assert overall.recall == pytest.approx(5 / 6)
    assert overall.f1 == pytest.approx(5 / 6)
    zh = report.counts["lang=zh"]["cashtag"]
    assert (zh.tweets, zh.correct, zh.tp, zh.fp, zh.fn) == (2, 1, 1, 0, 1)
    assert list(report.counts) == ["all", "lang=en", "lang=zh", "src=a", "src=b"]

    wrong = [json.loads(line) for line in errors.read_text().splitlines()]
    assert [(e["id"], e["predicted"], e["gold"]) for e in wrong] == [("2", ["BTC", "TSLA"], ["BTC"]), ("3", ["SOL"], ["ETH", "SOL"])]
    assert set(wrong[0]) == {"id", "backend", "text", "gold", "optional", "predicted"}


def test_markdown_has_one_column_group_per_backend(tmp_path: Path) -> None:
    report = evaluate_file(_jsonl(tmp_path / "gold.jsonl", GOLD), ["rules", "cashtag"])
    lines = report.to_markdown().splitlines()
    assert lines[0].startswith("| slice") and "rules acc" in lines[0] and "cashtag F1" in lines[0]
    assert set(lines[1]) <= set("|-:")
    assert len(lines) == 2 + len(report.counts)
    assert len({len(line) for line in lines}) == 1  # padded: columns line up in a terminal
    assert "| all" in lines[2] and "0.600" in lines[2]  # cashtag: 3 of 5 tweets correct


def test_extract_file(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "$BTC and #dogecoin"}, {"id": "b", "text": "hello"}])
    out = io.StringIO()
    assert extract_file(path, load_extractor("rules"), out) == 2
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["id"] == "a" and first["tokens"] == ["BTC", "DOGE"]
    assert first["mentions"][0] == {
        "symbol": "BTC", "text": "$BTC", "start": 0, "end": 4, "kind": "cashtag", "asset_id": "bitcoin", "score": 0.9,
    }
    assert second == {"id": "b", "tokens": [], "mentions": []}


@pytest.mark.parametrize(
    ("line", "problem"),
    [("not json", "line 2"), ('{"id": "x"}', "'text'"), ('{"id": 3, "text": "t"}', "'id'"), ("[1]", "JSON object")],
)
def test_bad_line(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "ok", "text": "$BTC"}\n' + line + "\n")
    with pytest.raises(ValueError, match="line 2") as error:
        extract_file(path, "cashtag", io.StringIO())
    assert problem in str(error.value)


def test_gold_needs_tokens(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "gold.jsonl", [{"id": "1", "text": "$BTC"}])
    with pytest.raises(ValueError, match="line 1.*'tokens'"):
        evaluate_file(path, ["cashtag"])


def test_unknown_backend() -> None:
    with pytest.raises(ValueError, match="unknown extractor backend 'nope'; known: .*cashtag.*rules"):
        load_extractor("nope")
