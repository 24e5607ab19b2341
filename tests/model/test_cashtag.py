"""The twitter-text cashtag baseline: every cashtag, nothing else."""

from __future__ import annotations

from model.cashtag import CashtagExtractor
from model.extractor import load_extractor


def test_every_cashtag_unfiltered() -> None:
    text = "$btc, $TSLA and $BRK.B up; $1INCH no, US$5 no, a$b no, ＄eth yes"
    mentions = CashtagExtractor().extract_batch([text])[0]
    assert [m.symbol for m in mentions] == ["BTC", "TSLA", "BRK.B", "ETH"]
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.text


def test_loaded_by_name() -> None:
    extractor = load_extractor("cashtag")
    assert extractor.name == "cashtag-regex"
    assert extractor.extract_batch(["no tags", "$PEPE"])[0] == []
