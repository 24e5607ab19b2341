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
