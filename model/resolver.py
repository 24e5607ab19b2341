"""From a span found in a tweet to its canonical symbol, per ``LABELING.md``.

Both the rules and the neural tagger find spans and call :func:`resolve`; what a span *is* (its kind)
is their decision, what it *names* is decided here, so every backend labels alike.
"""

from __future__ import annotations

import re

from model.labels import kind_of
from model.registry import Registry
from schemas import MentionKind, TokenMention, contract_symbol

# "$100", "$5M", "$1.5bn", "$10k": prices and amounts, not tickers.
AMOUNT = re.compile(r"\d[\d,.]*(?:[kmbt]|bn|mm|k?s)?", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)


def resolve(span: str, kind: MentionKind, registry: Registry) -> tuple[str, str | None] | None:
    """(symbol, CoinGecko id or None) for ``span`` read as ``kind``; None when it names no crypto asset.

    ``span`` is the text as written, sigil included (``$btc``, ``#bitcoin``). Unknown cashtags and
    tickers are new tokens and keep their letters (``$ZORBLAX`` → ZORBLAX); stock and fiat tickers and
    amounts resolve to None. A contract address resolves to its listed symbol, else to ``CA:<address>``.
    """
    match kind:
        case MentionKind.CASHTAG | MentionKind.TICKER:
            body = span.removeprefix("$")
            # "$ soon" is a price sign before a word, "$100" an amount: neither is a ticker.
            if not body.isalnum() or AMOUNT.fullmatch(body) or registry.is_non_crypto(body):
                return None
            symbol = body.upper()
        case MentionKind.HASHTAG:
            # A major asset's symbol or name first ("#ETH", "#dogecoin"), then the hashtag as a listed
            # symbol ("#SAFEMOON", even though CoinGecko now names that coin SFM), then any listed name.
            body = span.removeprefix("#")
            if not body.isalnum():
                return None
            if body.upper() in registry.major_symbols:
                symbol = body.upper()
            elif body.casefold() in registry.major_names:
                symbol = registry.major_names[body.casefold()]
            elif registry.is_known(body) and not registry.is_non_crypto(body):
                symbol = body.upper()
            elif named := registry.symbol_for_name(body):
                symbol = named
            else:
                return None
        case MentionKind.NAME:
            named = registry.symbol_for_name(span) or registry.symbol_for_name(_POSSESSIVE.sub("", span))
            if named is None:
                return None
            symbol = named
        case MentionKind.ZH_NAME:
            named = registry.symbol_for_zh(span)
            if named is None:
                return None
            symbol = named
        case MentionKind.CONTRACT:
            listed = registry.symbol_for_contract(span)
            return (listed, registry.asset_id(listed)) if listed else (contract_symbol(span), None)
    return symbol, registry.asset_id(symbol)


def read_surface(span: str, registry: Registry) -> tuple[str, str | None, MentionKind] | None:
    """(symbol, CoinGecko id, kind) for a span known only by its surface (the tagger's), or None.

    The kind is how the span is written (:func:`model.labels.kind_of`), except where that misreads what
    it names: a lower-case major ticker is that ticker ("sol", "btc"; CoinGecko also lists a coin *named*
    "ada"), and a word in capitals that is a name is that name ("DOGECOIN", "TRON"). What the hand labels
    say a surface names comes first (:meth:`~model.registry.Registry.symbol_for_surface`: "$SHIBA" is SHIB).
    """
    kind = kind_of(span)
    if labelled := registry.symbol_for_surface(span):
        return labelled, registry.asset_id(labelled), kind
    word = span.strip()
    upper, folded = word.upper(), word.casefold()
    if kind is MentionKind.NAME and word.isalnum() and upper in registry.major_symbols and folded not in registry.major_names:
        kind = MentionKind.TICKER
    elif kind is MentionKind.TICKER and upper not in registry.major_symbols and registry.symbol_for_name(word):
        kind = MentionKind.NAME
    got = resolve(span, kind, registry)
    return None if got is None else (*got, kind)


def settle_contracts(mentions: list[TokenMention]) -> list[TokenMention]:
    """Relabel the contract mentions of one tweet, given all its mentions, the way LABELING.md asks.

    A listed address keeps its symbol only when the tweet also names that token in words; an unlisted
    address in a tweet that cashtags exactly one token (or else names exactly one) is taken to be that
    token's address. Every other address becomes ``CA:<address>``.
    """
    named = {m.symbol: m.asset_id for m in mentions if m.kind is not MentionKind.CONTRACT}
    # "$NOVA on Solana, CA: ..." gives NOVA's address: a cashtag is how such tweets name the token.
    tagged = {m.symbol: m.asset_id for m in mentions if m.kind is MentionKind.CASHTAG}
    settled = []
    for mention in mentions:
        if mention.kind is MentionKind.CONTRACT and mention.symbol not in named:
            owner = tagged if len(tagged) == 1 else named
            if mention.symbol.startswith("CA:") and len(owner) == 1:
                symbol, asset_id = next(iter(owner.items()))
            else:
                symbol, asset_id = contract_symbol(mention.text), None
            mention = mention.model_copy(update={"symbol": symbol, "asset_id": asset_id})
        settled.append(mention)
    return settled
