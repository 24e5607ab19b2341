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


def test_rules_join_closed_lists_first_fill_gaps_and_complete_clipped_spans(extractor):
    from model.neural import _join

    text = "中本聪 and 比特币, also $PEPE and Solana #BNB #ANKR"
    zh, cash, ankr = text.index("比特币"), text.index("$PEPE"), text.index("#ANKR")
    # A clipped Chinese name, a cashtag without "$" and a hashtag without "#".
    tagger = [(zh, zh + 2, 0.6), (cash + 1, cash + 5, 0.9), (ankr + 1, ankr + 5, 0.7)]
    joined = sorted(_join(tagger, extractor._rules.extract(text)))
    # The rules' exact Chinese name and cashtag replace the overlapping tagger spans, their hashtag
    # completes the clipped one; Solana and #BNB, which the tagger missed, are filled in.
    assert [text[s:e] for s, e, _ in joined] == ["比特币", "$PEPE", "Solana", "#BNB", "#ANKR"]


def symbols(extractor, text):
    (mentions,) = extractor.extract_batch([text])
    for m in mentions:
        assert text[m.start : m.end] == m.text
    return list(dict.fromkeys(m.symbol for m in mentions))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sol, wif, jto", ["SOL", "WIF", "JTO"]),  # a major ticker listed with tokens is one
        ("popcat + mew, my cat coin basket is down", ["POPCAT", "MEW"]),
        ("btc, one of my bags is up", ["BTC"]),  # "one of my bags" is prose, not a list item
        ("stocks: $COIN, $HOOD, $RKLB\n\nmemes: $WIF", ["WIF"]),  # listed with stocks, an unlisted cashtag is one
        ("$mara $fsr $aapl $tsla and $BTC", ["BTC"]),  # the stock list spreads, but not over an unmistakable asset
    ],
)
def test_lists_are_read(extractor, text, expected):
    assert symbols(extractor, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bitcoin had OP_RETURN wars back then", ["BTC"]),  # a piece of a longer identifier
        ("這英雄根本太OP了吧，版本之子，下個patch不削不行", []),  # an everyday-word ticker without crypto context
        ("Casper CBC is a consensus protocol for Ethereum", ["ETH"]),  # capitals in English prose are acronyms
        ("撸毛笔记：ZK 反撸，STRK 女巫被砍，ARB 还行", ["ZK", "STRK", "ARB"]),  # in Chinese prose they are tickers
        ("Coinbase effect they said, 1 $ soon they said $link", ["LINK"]),  # "$ soon" is a price sign
        ("The Roadmap For Banks Adopting #Bitcoin $BTCUSD", ["BTC"]),  # a trading pair names its base asset
    ],
)
def test_bare_tickers_and_tags_are_held_to_their_context(extractor, text, expected):
    assert symbols(extractor, text) == expected


@pytest.mark.parametrize(
    ("text", "word", "expected"),
    [
        ("the sol goes a long way in Lima: 25 soles for ceviche", "sol", []),  # a word, not a ticker
        ("the sol chart looks ready to pump", "sol", ["SOL"]),  # crypto context
        ("btc goes a long way", "btc", ["BTC"]),  # no word uses these letters
    ],
)
def test_lower_case_tickers_need_context(extractor, text, word, expected):
    start = text.index(word)  # as if the tagger had tagged it
    assert [m.symbol for m in extractor._mentions(text, [(start, start + len(word), 0.9)])] == expected


def test_equity_tweets_drop_colliding_tickers(extractor):
    (mentions,) = extractor.extract_batch(["Pancake House $CAKE price target raised to $48 at Barclays"])
    assert mentions == []
    (mentions,) = extractor.extract_batch(["$CAKE staking yield on PancakeSwap is up again"])
    assert {m.symbol for m in mentions} == {"CAKE"}
