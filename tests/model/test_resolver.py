"""Span → canonical symbol, with the cases of LABELING.md."""

from __future__ import annotations

import pytest

from model.registry import default_registry
from model.resolver import read_surface, resolve, settle_contracts
from schemas import MentionKind, TokenMention

K = MentionKind


@pytest.mark.parametrize(
    ("span", "kind", "expected"),
    [
        ("$btc", K.CASHTAG, ("BTC", "bitcoin")),
        ("$FARTCOIN", K.CASHTAG, ("FARTCOIN", "fartcoin")),
        ("$1INCH", K.CASHTAG, ("1INCH", "1inch")),
        ("$ZORBLAX", K.CASHTAG, ("ZORBLAX", None)),
        ("#bitcoin", K.HASHTAG, ("BTC", "bitcoin")),
        ("#XRP", K.HASHTAG, ("XRP", "ripple")),
        ("#dogecoin", K.HASHTAG, ("DOGE", "dogecoin")),
        ("比特币", K.ZH_NAME, ("BTC", "bitcoin")),
        ("大饼", K.ZH_NAME, ("BTC", "bitcoin")),
        ("姨太", K.ZH_NAME, ("ETH", "ethereum")),
        ("doge", K.NAME, ("DOGE", "dogecoin")),
        ("Shiba Inu", K.NAME, ("SHIB", "shiba-inu")),
        ("Ethereum's", K.NAME, ("ETH", "ethereum")),
        ("NEAR", K.TICKER, ("NEAR", "near")),
        ("0x6982508145454Ce325dDbE47a25d4ec3d2311933", K.CONTRACT, ("PEPE", "pepe")),
        (
            "0x00000000000000000000000000000000DeadBeef",
            K.CONTRACT,
            ("CA:0x00000000000000000000000000000000deadbeef", None),
        ),
        ("So1anaMint111111111111111111111111", K.CONTRACT, ("CA:So1anaMint111111111111111111111111", None)),
    ],
)
def test_resolves(span: str, kind: MentionKind, expected: tuple[str, str | None]) -> None:
    assert resolve(span, kind, default_registry()) == expected


@pytest.mark.parametrize(
    ("span", "kind"),
    [("$100", K.CASHTAG), ("$5M", K.CASHTAG), ("$1.5bn", K.CASHTAG), ("$TSLA", K.CASHTAG), ("$COIN", K.CASHTAG),
     ("$USD", K.CASHTAG), ("USD", K.TICKER), ("Binance", K.NAME), ("#", K.HASHTAG), ("油条", K.ZH_NAME),
     ("$ soon", K.CASHTAG), ("# btc", K.HASHTAG)],  # a sign before a word is no tag
)
def test_not_assets(span: str, kind: MentionKind) -> None:
    assert resolve(span, kind, default_registry()) is None


def _mention(symbol: str, text: str, kind: MentionKind) -> TokenMention:
    return TokenMention(symbol=symbol, text=text, start=0, end=len(text), kind=kind)


def test_settle_contracts() -> None:
    pepe = "0x6982508145454Ce325dDbE47a25d4ec3d2311933"
    unknown = "0x00000000000000000000000000000000DeadBeef"
    # A listed address keeps its symbol only when the tweet names the token.
    named = settle_contracts([_mention("PEPE", pepe, K.CONTRACT), _mention("PEPE", "$PEPE", K.CASHTAG)])
    assert [m.symbol for m in named] == ["PEPE", "PEPE"]
    alone = settle_contracts([_mention("PEPE", pepe, K.CONTRACT)])
    assert alone[0].symbol == f"CA:{pepe.lower()}"
    # An unlisted address goes to the one cashtagged token, even when a chain is also named.
    owned = settle_contracts(
        [_mention("NOVA", "$NOVA", K.CASHTAG), _mention("SOL", "Solana", K.NAME),
         _mention(f"CA:{unknown.lower()}", unknown, K.CONTRACT)]
    )
    assert [m.symbol for m in owned] == ["NOVA", "SOL", "NOVA"]
    crowded = settle_contracts(
        [_mention("A", "$A", K.CASHTAG), _mention("B", "$B", K.CASHTAG), _mention(f"CA:{unknown.lower()}", unknown, K.CONTRACT)]
    )
    assert crowded[-1].symbol == f"CA:{unknown.lower()}"


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        ("$btc", ("BTC", K.CASHTAG)),
        ("sol", ("SOL", K.TICKER)),  # a lower-case major ticker is that ticker
        ("ada", ("ADA", K.TICKER)),  # ... not the long-tail coin named "ada"
        ("DOGECOIN", ("DOGE", K.NAME)),  # a name in capitals is that name
        ("Solana", ("SOL", K.NAME)),
        ("ZORBLAX", ("ZORBLAX", K.TICKER)),  # an unknown ticker is a new token
        ("大饼", ("BTC", K.ZH_NAME)),
        ("$TSLA", None),  # a stock
    ],
)
def test_read_surface(span, expected):
    got = read_surface(span, default_registry())
    assert (got if got is None else (got[0], got[2])) == expected
