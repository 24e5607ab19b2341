"""Two readings, a third for disagreements, surfaces placed by code: the annotation flow, step by step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.training.annotation import (
    Reading,
    agreement_report,
    disagreements,
    error_rate,
    packet_rows,
    place,
    read_adjudication,
    read_readings,
    review_sample,
    settle,
    symbol_confusions,
)
from model.training.errors import AnnotationError
from model.training.label import settle_packets


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def reading(*mentions: tuple[str, str], optional: tuple[tuple[str, str], ...] = ()) -> Reading:
    return Reading(frozenset(mentions), frozenset(optional))


def test_packets_show_ids_and_texts_only() -> None:
    drawn = [{"id": "7", "file": "founders_x", "text": "long $SOL", "kind": "everyday_or_lower_ticker"}]
    assert packet_rows(drawn) == [{"id": "founders_x:7", "text": "long $SOL"}]


def test_agreement_is_on_symbols_not_on_how_they_were_written() -> None:
    assert reading(("$SOL", "SOL")).agrees(reading(("Solana", "SOL")))
    assert not reading(("SOL", "SOL")).agrees(reading(optional=(("SOL", "SOL"),)))  # token vs borderline
    assert not reading(("SOL", "SOL")).agrees(reading(("SOL", "SOL"), optional=(("Uniswap", "UNI"),)))
    # Borderline for one surface, clear for another: the asset is a token, not optional.
    assert reading(("$ETH", "ETH"), optional=(("Ethereum", "ETH"),)).optional_tokens == frozenset()


def test_readings_are_checked_against_the_packet(tmp_path: Path) -> None:
    keys = ["f:1", "f:2"]
    ok = _jsonl(tmp_path / "ok.jsonl", [{"id": "f:1", "mentions": [["$btc", "btc"]], "optional": []}, {"id": "f:2", "mentions": []}])
    got = read_readings(ok, keys)
    assert got["f:1"].tokens == {"BTC"} and got["f:2"] == Reading()  # symbols canonical, optional may be left out
    cases = {
        "not in the packet": [{"id": "f:9", "mentions": []}],
        "labelled twice": [{"id": "f:1", "mentions": []}, {"id": "f:1", "mentions": []}],
        "not labelled": [{"id": "f:1", "mentions": []}],
        "surface, SYMBOL": [{"id": "f:1", "mentions": ["BTC"]}, {"id": "f:2", "mentions": []}],
    }
    for message, rows in cases.items():
        with pytest.raises(AnnotationError, match=message):
            read_readings(_jsonl(tmp_path / "bad.jsonl", rows), keys)
    with pytest.raises(AnnotationError, match="one-line reason"):
        read_adjudication(_jsonl(tmp_path / "adj.jsonl", [{"id": "f:1", "mentions": []}]), ["f:1"])


def test_only_disagreements_go_to_the_third_reading() -> None:
    texts = {"f:1": "NEAR looks ready", "f:2": "near the station"}
    first = {"f:1": reading(("NEAR", "NEAR")), "f:2": Reading()}
    second = {"f:1": Reading(), "f:2": Reading()}
    (dispute,) = disagreements(texts, first, second)
    assert dispute == {"id": "f:1", "text": "NEAR looks ready", "first": {"mentions": [["NEAR", "NEAR"]], "optional": []},
                       "second": {"mentions": [], "optional": []}}


def test_settle_unites_agreed_surfaces_and_takes_the_adjudication_otherwise() -> None:
    keys = ["f:1", "f:2"]
    first = {"f:1": reading(("$SOL", "SOL")), "f:2": reading(("ONE", "ONE"))}
    second = {"f:1": reading(("Solana", "SOL")), "f:2": Reading()}
    with pytest.raises(AnnotationError, match="no adjudication"):
        settle(keys, first, second, {}, {})
    agreed, judged = settle(keys, first, second, {"f:2": Reading()}, {"f:2": "one as a number"})
    assert agreed.how == "agreed" and agreed.reading.mentions == {("$SOL", "SOL"), ("Solana", "SOL")}
    assert judged.how == "adjudicated" and judged.reading == Reading() and judged.reason == "one as a number"
    # A surface clear to one reader and borderline to the other, in an agreed tweet, is a mention only.
    (both,) = settle(["f:3"], {"f:3": reading(("$XRP", "XRP"), ("Ripple", "XRP"))},
                     {"f:3": reading(("$XRP", "XRP"), optional=(("Ripple", "XRP"),))}, {}, {})
    assert both.reading.optional == frozenset() and ("Ripple", "XRP") in both.reading.mentions


def test_place_finds_every_bounded_surface_and_counts_the_missing() -> None:
    text = "$SOL and SOL, solana's sol, maybe Uniswap, 比特币!"
    got = place(text, reading(("$SOL", "SOL"), ("SOL", "SOL"), ("sol", "SOL"), ("比特币", "BTC"), ("$ETH", "ETH"), optional=(("Uniswap", "UNI"),)))
    assert [(text[s:e], sym) for s, e, sym in got.spans] == [("$SOL", "SOL"), ("SOL", "SOL"), ("sol", "SOL"), ("比特币", "BTC")]
    assert [text[s:e] for s, e in got.ignore] == ["Uniswap"]
    assert got.unplaced == ["$ETH"]  # never guessed at


def test_agreement_report_and_confusions_by_slice() -> None:
    drawn = [{"id": "1", "file": "founders_x", "text": "NEAR up", "kind": "stream"},
             {"id": "2", "file": "cryptop12_x", "text": "大饼涨了", "kind": "chinese"}]
    first = {"founders_x:1": reading(("NEAR", "NEAR")), "cryptop12_x:2": reading(("大饼", "BTC"))}
    second = {"founders_x:1": Reading(), "cryptop12_x:2": reading(("大饼", "BTC"))}
    report = agreement_report(drawn, first, second)
    assert (report.tweets["all"], report.agreed["all"]) == (2, 1)
    assert report.agreed["lang=zh"] == 1 and report.agreed["src=founders"] == 0 and report.tweets["kind=chinese"] == 1
    assert "| all | 2 | 1 | 0.500 |" in report.to_markdown()
    assert symbol_confusions(first, second) == {"NEAR": 1}


def test_settle_packets_writes_labels_and_report(tmp_path: Path) -> None:
    drawn = _jsonl(tmp_path / "x.drawn.jsonl", [
        {"id": "1", "file": "founders_x", "text": "long $SOL and Solana", "kind": "stream"},
        {"id": "2", "file": "founders_x", "text": "NEAR looks ready", "kind": "everyday_or_lower_ticker"},
    ])
    packet = _jsonl(tmp_path / "x_p0.jsonl", [{"id": "founders_x:1", "text": "long $SOL and Solana"}, {"id": "founders_x:2", "text": "NEAR looks ready"}])
    readings = tmp_path / "readings"
    _jsonl(readings / "x_p0.A.jsonl", [{"id": "founders_x:1", "mentions": [["$SOL", "SOL"]]}, {"id": "founders_x:2", "mentions": [["NEAR", "NEAR"]]}])
    _jsonl(readings / "x_p0.B.jsonl", [{"id": "founders_x:1", "mentions": [["Solana", "SOL"]]}, {"id": "founders_x:2", "mentions": []}])
    _jsonl(readings / "x_p0.adjudicated.jsonl", [{"id": "founders_x:2", "mentions": [["NEAR", "NEAR"]], "reason": "a ticker in a market sentence"}])
    out, report = tmp_path / "labels.jsonl", tmp_path / "report.md"
    settle_packets(drawn, [packet], readings, "training", out, report)
    one, two = (json.loads(line) for line in out.read_text().splitlines())
    assert one["tokens"] == ["SOL"] and one["spans"] == [[5, 9, "SOL"], [14, 20, "SOL"]] and one["how"] == "agreed"
    assert two["how"] == "adjudicated" and two["reason"] == "a ticker in a market sentence" and two["kind"] == "everyday_or_lower_ticker"
    assert "2 tweets read twice apart; 1 disagreements" in report.read_text()
    settle_packets(drawn, [packet], readings, "test", out, report)
    assert json.loads(out.read_text().splitlines()[1]) == {"id": "2", "file": "founders_x", "tokens": ["NEAR"], "optional": [],
                                                           "how": "adjudicated", "reason": "a ticker in a market sentence",
                                                           "kind": "everyday_or_lower_ticker"}


def test_the_fourth_reading_samples_at_random_and_counts_wrong_labels() -> None:
    rows = [{"id": str(i), "file": "f", "mentions": [], "optional": []} for i in range(50)]
    texts = {f"f:{i}": f"tweet {i}" for i in range(50)}
    sample = review_sample(rows, texts, 10, seed=3)
    assert sample == review_sample(rows, texts, 10, seed=3) and len({s["id"] for s in sample}) == 10
    assert sample[0]["text"] == texts[sample[0]["id"]]
    assert error_rate([{"id": "f:1", "verdict": "correct"}, {"id": "f:2", "verdict": "wrong", "reason": "ONE is the coin"}]) == (1, 2)
    with pytest.raises(AnnotationError, match="needs its reason"):
        error_rate([{"id": "f:2", "verdict": "wrong"}])
    with pytest.raises(AnnotationError, match="'correct' or 'wrong'"):
        error_rate([{"id": "f:2", "verdict": "maybe"}])
