"""The rule extractor on hand-written tweets, one group per LABELING.md rule."""

from __future__ import annotations

import pytest

from model.rules import RuleExtractor
from schemas import MentionKind, TokenMention

MINT = "4kQpR7sTuVwXyZ2aBcDeFgHjJkMmNoPqRsTuVwXyZ9ab"  # made up, listed nowhere
PEPE_CA = "0x6982508145454Ce325dDbE47a25d4ec3d2311933"


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def _check_offsets(text: str, mentions: list[TokenMention]) -> None:
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.text


def symbols(rules: RuleExtractor, text: str) -> set[str]:
    mentions = rules.extract_batch([text])[0]
    _check_offsets(text, mentions)
    return {m.symbol for m in mentions}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # LABELING.md's own examples.
        ("$DOGE broke the downtrend, next $SHIB", {"DOGE", "SHIB"}),
        ("NEAR and $ONE pumping while BTC chops", {"NEAR", "ONE", "BTC"}),
        ("比特币又新高了,大饼yyds,以太坊跟不上", {"BTC", "ETH"}),
        ("$TSLA and $COIN both red, bitcoin too", {"BTC"}),
        (f"CA: {PEPE_CA} $PEPE", {"PEPE"}),
        # Cashtags, any case, amounts left out.
        ("grabbed some $wif at $2.50, aiming for a $5M mcap", {"WIF"}),
        ("rotating from $1INCH into $AAVE", {"1INCH", "AAVE"}),
        # Hashtags naming assets.
        ("weekend thoughts #Bitcoin #XRP #dogecoin", {"BTC", "XRP", "DOGE"}),
        # Names, nicknames and chains named for their asset.
        ("Solana fees are tiny compared to Ethereum", {"SOL", "ETH"}),
        ("litecoin and monero folks agree on one thing", {"LTC", "XMR"}),
        ("Bitcoin Cash is not Bitcoin", {"BCH", "BTC"}),
        # Bare tickers.
        ("long ETH here, SOL next", {"ETH", "SOL"}),
        ("btc dominance keeps rising", {"BTC"}),
        ("LINK breaking out on the daily chart, bullish", {"LINK"}),
        # Stablecoins and wrapped assets.
        ("parked everything in USDC and WBTC", {"USDC", "WBTC"}),
        # New tokens.
        ("just aped $ZORBLAX, chart looks clean", {"ZORBLAX"}),
        ("new coin NOVA launching on pump.fun tonight", {"NOVA"}),
        # Contract addresses.
        (f"fresh launch, CA {MINT}", {f"CA:{MINT}"}),
        (f"$NOVA is live on Solana, CA: {MINT}", {"NOVA", "SOL"}),
        # Chinese: aliases, and Latin tickers run into Chinese text.
        ("梭哈$PEPE了，狗狗币也拿了点", {"PEPE", "DOGE"}),
        ("BNB链上又有新项目", {"BNB"}),
        ("大饼又涨了，二饼跟涨", {"BTC", "ETH"}),
        # Everyday-word tickers and names with crypto context.
        ("$TRUMP pumping after the dinner announcement", {"TRUMP"}),
        ("doge to the moon, hodl", {"DOGE"}),
    ],
)
def test_mentions(rules: RuleExtractor, text: str, expected: set[str]) -> None:
    assert symbols(rules, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'm near the station, one sec",
        "log in to see the link in bio",
        "gas prices are insane this week",
        "we built a sand castle and then saw an ape at the zoo",
        "the sun is finally out, my IP address changed though",
        "ONE DAY I WILL BE FAMOUS",
        "this is HUGE news for the team",
        "Trump said the new tariffs start Monday",
        "DOGE cuts another agency budget",
        "Congrats to LTC Miller on his retirement",
        "we booked an air bnb near the lake",
        "bring snacks, blankets, etc",
        "thanks @binance and @solana for hosting us https://example.com/ETH",
        "crypto, NFTs and DeFi are all just blockchain buzzwords to me",
        "$BOO shares jump after a strong trading update",
        "$SPX and $QQQ futures red ahead of earnings",
        "I spent $100 on $5 coffees",
        "早上买了个大饼夹油条，才五块钱",
    ],
)
def test_everyday_text(rules: RuleExtractor, text: str) -> None:
    assert symbols(rules, text) == set()


def test_borderline_product_is_at_most_optional(rules: RuleExtractor) -> None:
    assert symbols(rules, "Uniswap v4 hooks are live") <= {"UNI"}


def test_mention_fields(rules: RuleExtractor) -> None:
    text = f"$pepe CA {PEPE_CA} #Bitcoin 以太坊"
    mentions = rules.extract_batch([text])[0]
    _check_offsets(text, mentions)
    assert [(m.symbol, m.kind, m.text) for m in mentions] == [
        ("PEPE", MentionKind.CASHTAG, "$pepe"),
        ("PEPE", MentionKind.CONTRACT, PEPE_CA),
        ("BTC", MentionKind.HASHTAG, "#Bitcoin"),
        ("ETH", MentionKind.ZH_NAME, "以太坊"),
    ]
    assert mentions[0].asset_id == "pepe" and mentions[2].asset_id == "bitcoin"


def test_batch(rules: RuleExtractor) -> None:
    assert rules.name == "rules-v1"
    assert [len(m) for m in rules.extract_batch(["$BTC $ETH", "", "nothing here"])] == [2, 0, 0]
