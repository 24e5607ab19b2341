"""The shipped adapter loads offline and behaves on the obvious cases."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ADAPTER = Path(__file__).resolve().parents[2] / "model" / "adapter"


@pytest.fixture(scope="module")
def extractor():
    os.environ["HF_HUB_OFFLINE"] = "1"
    real_connect = socket.socket.connect

    def refuse(*args, **kwargs):  # any network access while loading is a bug
        raise AssertionError("network access while loading the model")

    socket.socket.connect = refuse
    try:
        from model.neural import NeuralExtractor

        ex = NeuralExtractor(device="cpu")
    finally:
        socket.socket.connect = real_connect
    return ex


def test_the_shipped_adapter_is_what_loads(extractor):
    """A fresh clone must carry the adapter: no fallback to an untrained head."""
    assert (ADAPTER / "adapter_model.safetensors").is_file()
    assert extractor.name.startswith("model-")


def test_finds_cashtag_with_offsets(extractor):
    (mentions,) = extractor.extract_batch(["long $BTC"])
    assert [m.symbol for m in mentions] == ["BTC"]
    m = mentions[0]
    assert "long $BTC"[m.start : m.end] == m.text == "$BTC"


def test_nothing_in_everyday_sentence(extractor):
    (mentions,) = extractor.extract_batch(["I'm near the station, one sec, link in bio"])
    assert mentions == []


def test_batch_order_offsets_and_empty(extractor):
    texts = ["", "比特币又新高了,大饼yyds", "gm", "$ETH and Solana 🚀 https://t.co/x", "nothing here"]
    out = extractor.extract_batch(texts)
    assert len(out) == len(texts)
    assert out[0] == [] and out[2] == []
    for text, mentions in zip(texts, out):
        for m in mentions:
            assert text[m.start : m.end] == m.text
        assert [m.start for m in mentions] == sorted(m.start for m in mentions)
    assert {m.symbol for m in out[1]} == {"BTC"}
    assert {m.symbol for m in out[3]} == {"ETH", "SOL"}


def test_long_text_is_windowed(extractor):
    text = "gm " * 400 + "long $DOGE"
    (mentions,) = extractor.extract_batch([text])
    assert [m.symbol for m in mentions] == ["DOGE"]
    assert text[mentions[0].start : mentions[0].end] == "$DOGE"


def test_contract_address_rule(extractor):
    text = "CA: 0x6982508145454Ce325dDbE47a25d4ec3d2311933"
    (mentions,) = extractor.extract_batch([text])
    assert [m.symbol for m in mentions] == ["CA:0x6982508145454ce325ddbe47a25d4ec3d2311933"]


@pytest.mark.parametrize(
    ("span", "kind", "text", "expected"),
    [
        ("FUD", "ticker", "so much FUD today", None),  # slang that a token list happens to hold
        ("DOGECOIN", "ticker", "DOGECOIN TO THE MOON", "DOGE"),  # a major name in capitals, not a long-tail ticker
        ("ada", "name", "cardano ada staking", "ADA"),  # a major ticker beats a long-tail coin named "ada"
        ("altcoin", "name", "altcoin season soon", None),  # a word about crypto, not a misspelt "litecoin"
        ("cat", "name", "my cat coin basket", None),  # the long tail's everyday-word names need capitals
        ("etherium", "name", "etherium gas is high", "ETH"),  # a misspelt major name
        ("NOVA", "ticker", "new coin NOVA just launched", "NOVA"),  # introduced as a token
        ("BEARISH", "ticker", "SO BEARISH RIGHT NOW", None),  # unlisted shouting
    ],
)
def test_tagged_spans_are_checked_before_they_count(extractor, span, kind, text, expected):
    from schemas import MentionKind

    got, _ = extractor._resolve(span, MentionKind(kind), text)
    assert (got[0] if got else None) == expected


def test_rules_join_closed_lists_first_and_fill_gaps(extractor):
    text = "中本聪 and 比特币, also $PEPE and Solana"
    zh, cash, name = text.index("比特币"), text.index("$PEPE"), text.index("Solana")
    tagger = [(zh, zh + 2, 0.6), (cash + 1, cash + 5, 0.9)]  # a clipped Chinese name and a cashtag without "$"
    joined = sorted(extractor._join_rules(text, tagger))
    # The rules' exact Chinese name and cashtag replace the overlapping tagger spans; Solana, which
    # the tagger missed, is filled in.
    assert [text[s:e] for s, e, _ in joined] == ["比特币", "$PEPE", "Solana"]


def test_equity_tweets_drop_colliding_tickers(extractor):
    (mentions,) = extractor.extract_batch(["Pancake House $CAKE price target raised to $48 at Barclays"])
    assert mentions == []
    (mentions,) = extractor.extract_batch(["$CAKE staking yield on PancakeSwap is up again"])
    assert {m.symbol for m in mentions} == {"CAKE"}
