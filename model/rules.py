"""Hand-written rules that find token mentions per ``LABELING.md``: the stream's default backend.

They are also the ``model`` backend's proposer (:meth:`RuleExtractor.propose`): every candidate span
with the rules' verdict, which the tagger reads as a feature and overrules where the labels taught it to.
Every rule leans to precision: a span that could be an everyday word, a person or a stock counts only
with crypto context elsewhere in the tweet.

How a tweet is read:

1. URLs and @handles are masked: a handle is not a mention, and URLs are full of ticker-like paths.
2. Candidate spans are found, strongest kind first, and never overlap: contract addresses, cashtags,
   hashtags, Chinese aliases, names of major assets, "coin NOVA"-style new tokens, bare tickers.
3. Each candidate is either *firm* (``$WIF``, "Bitcoin", "比特币") or *needs context* (NEAR, "doge",
   Trump, 柚子, a long-tail ticker). The tweet has crypto context when it has a firm mention or a crypto
   cue word; only then do the others count. A mention never vouches for itself.
4. A tweet about stocks (stock cue words, stock cashtags) and not otherwise about crypto (no cue word,
   no major asset with an unmistakable ticker) keeps only those major assets, so the listings whose
   letters collide with token symbols ($CAKE the restaurant chain, $SPX the index) are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from model.candidates import Candidate, Status
from model.labels import EVM_ADDRESS, SOLANA_MINT, kind_of
from model.registry import Registry, default_registry
from model.resolver import AMOUNT, resolve, settle_contracts
from model.spans import occurrences
from schemas import MentionKind, TokenMention

URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|io|fun|xyz|net|org|app|co|finance|exchange)/\S*", re.I)
HANDLE = re.compile(r"(?<![\w@])@\w+")
# Cashtags as crypto Twitter writes them: letters and digits ("$1INCH", "$AI16Z"), an optional
# StockTwits-style suffix ("$BTC.X") kept out of the span. "US$5" is money, hence the look-behind.
# Boundaries are ASCII-only so that Chinese text can run straight into a ticker ("梭哈$PEPE", "BNB链").
CASHTAG = re.compile(r"(?<![A-Za-z0-9_$])\$([A-Za-z0-9]{1,15})(?:\.[A-Za-z]{1,2})?(?![A-Za-z0-9_$])")
HASHTAG = re.compile(r"(?<![A-Za-z0-9_#&])#([A-Za-z][A-Za-z0-9]{1,30})(?![A-Za-z0-9_])")
TICKER = re.compile(r"(?<![A-Za-z0-9_$#@.'’-])([A-Za-z0-9]{2,10})(?![A-Za-z0-9_'’]|\.[A-Za-z0-9]|-[A-Za-z0-9])")
SHOUTED = re.compile(r"[A-Z][A-Z'’]+")
# A new token introduced as one: "coin NOVA", "token $X", "NOVA token", "ticker: NOVA".
NEW_TOKEN = re.compile(
    r"\b(?:coin|token|ticker|memecoin|launching|launched)\s*:?\s+([A-Z][A-Z0-9]{1,9})(?![A-Za-z0-9_'’])"
    r"|(?<![A-Za-z0-9_])([A-Z][A-Z0-9]{1,9})\s+(?:coin|token|memecoin)\b"
)
# Words that show a tweet is about crypto trading or tokens; any of them makes an ambiguous span count.
# Chinese has no word boundaries, so ZH_CUES are substrings, kept to ones that are rarely about food.
CRYPTO_CUES = re.compile(
    r"\b(?:crypto\w*|altcoins?|alts|alt ?season|memecoins?|shitcoins?|tokens?|coins?|airdrops?|stak(?:e|ed|ing)"
    r"|wallets?|dex|cex|binance|coinbase|kraken|bybit|okx|mcap|market ?cap|marketcap|degens?|ap(?:e|ed|ing) in"
    r"|aped|rug(?:ged|pull)?|whales?|fud|hodl\w*|ath|bullish|bearish|bull run|bull market|bear market|pump(?:s|ed|ing)?"
    r"|dump(?:s|ed|ing)?|moon(?:ing)?|to the moon|longs|longed|shorts|shorted|shorting|chart(?:s|ing)?"
    r"|holders?|bags?|breakout|leverage|liquidat\w+|perps?"
    r"|blockchain|defi|nfts?|web3|on-?chain|mainnet|testnet|sats|satoshi|tvl|dca|fomo|wagmi|lfg"
    r"|pump\.fun|dexscreener|raydium|uniswap|metamask|phantom|ledger|mining|miners?|halving|\d+x"
    r"|chains?|l[12]s?|layer ?[12]|ecosystem|validators?|presale|whitelist|liquidity|lp|renounced|listing"
    r"|traders?|portfolio|btfd|buy the dip|send(?:ing)? it|gm"
    # "long" and "short" are everyday words; only "long ETH", "short $SOL" are positions.
    r"|(?:long|short)(?:ing|ed)?\s+\$?(?-i:[A-Z][A-Z0-9]+))\b",
    re.IGNORECASE,
)
ZH_CUES = re.compile(
    r"币|幣|链|鏈|合约|合約|现货|現貨|涨|漲|跌|牛市|熊市|做多|做空|多单|空单|梭哈|拉盘|砸|抄底|爆仓|仓位|倉位"
    r"|交易所|空投|撸毛|山寨|行情|上车|上線|上线|开盘|開盤|主网|挖矿|减半|突破|站上|新高|龙头|龍頭|公链|市值"
    r"|解锁|解鎖|出货|出貨|庄|莊|韭菜|割肉|质押|質押|年化|钱包|錢包|跑路|拉盤|盘子|盤子|冲了|衝了|梭了"
)
# Words that show a tweet is about listed equities: collision cashtags ($BOO, $SPX) are stocks there.
STOCK_CUES = re.compile(
    r"\b(?:stocks?|shares?|equit(?:y|ies)|nyse|nasdaq|ftse|lse|aim|plc|dividends?|earnings|eps|revenue|ipo"
    r"|premarket|pre-market|after-?hours|s&p|dow jones|russell|broker|pence|p/share|fy\d*|q[1-4]|interim"
    r"|profit warning|trading update|ceo|price target|upgraded|downgraded|upgrades?|downgrades?|analysts?"
    r"|outperform|underperform|overweight|underweight|buy rating|sell rating|hold rating|barclays|ubs"
    r"|citigroup|goldman|jpmorgan|morgan stanley|investing|inc|corp|ltd|acquisition|gbx|lon|results"
    r"|forecasts?|shareholders?|8-k|10-k|feasibility)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Candidate:
    """A span that may be a mention, and whether it counts only with crypto context."""

    start: int
    end: int
    kind: MentionKind
    needs_context: bool


class RuleExtractor:
    """The rules backend of the :class:`model.extractor.Extractor` protocol."""

    name = "rules-v1"

    def __init__(self, registry: Registry | None = None) -> None:
        """``registry``: the token registry to read (the shipped one when None)."""
        self.registry = registry or default_registry()
        names = sorted(self.registry.major_names, key=len, reverse=True)
        # Names may be pluralised or possessive ("bitcoins", "Ethereum's"); the span stays the name.
        self._names = re.compile(
            r"(?<![A-Za-z0-9_$#@])(" + "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) + r")"
            r"(?=(?:['’]?s)?(?![A-Za-z0-9_]))",
            re.IGNORECASE,
        )
        self._zh = sorted(self.registry.zh_aliases, key=len, reverse=True)

    def extract_batch(self, texts: Sequence[str]) -> list[list[TokenMention]]:
        """Mentions of each text, in text order, each list ordered by start offset."""
        return [self.extract(text) for text in texts]

    def extract(self, text: str) -> list[TokenMention]:
        """Mentions of one text, ordered by start offset."""
        return self._read(text)[2]

    def propose(self, text: str) -> list[Candidate]:
        """Every span of ``text`` that may be a mention, in text order, with what the rules made of it.

        The rules' own candidates are :attr:`~model.candidates.Status.KEPT` or
        :attr:`~model.candidates.Status.DROPPED`; every other hashtag and cashtag, and the other bare words a
        token list knows, in any case, outside URLs, handles and those candidates, are
        :attr:`~model.candidates.Status.WEAK`.
        """
        taken, candidates, mentions = self._read(text)
        kept = {(m.start, m.end) for m in mentions}
        proposed = [Candidate(c.start, c.end, c.kind, Status.KEPT if (c.start, c.end) in kept else Status.DROPPED) for c in candidates]
        registry = self.registry
        # Every tag is a deliberate word: long-tail and new tokens are mostly tagged ("#bcn", "#Bethereum").
        for pattern, end_group in ((HASHTAG, 0), (CASHTAG, 1)):
            for m in pattern.finditer(text):
                start, end = m.start(), m.end(end_group)
                if not any(taken[start:end]):
                    taken[start:end] = [True] * (end - start)
                    proposed.append(Candidate(start, end, kind_of(text[start:end]), Status.WEAK))
        for m in TICKER.finditer(text):
            start, end = m.span(1)
            word = m.group(1)
            known = registry.is_known(word) or registry.symbol_for_name(word) is not None or registry.symbol_for_surface(word) is not None
            # Slang a token list happens to hold ("gm", "KOL") is never a mention: the registry's curated list.
            if known and word.upper() not in registry.not_tickers and any(c.isalpha() for c in word) and not any(taken[start:end]):
                proposed.append(Candidate(start, end, kind_of(word), Status.WEAK))
        return sorted(proposed, key=lambda c: c.start)

    def _read(self, text: str) -> tuple[list[bool], list[_Candidate], list[TokenMention]]:
        """Per character of ``text``, whether a URL, a handle or a candidate covers it; the rules' candidates
        (no two overlapping); and the mentions they make."""
        taken = [False] * len(text)
        for pattern in (URL, HANDLE):
            for m in pattern.finditer(text):
                taken[m.start() : m.end()] = [True] * (m.end() - m.start())

        candidates: list[_Candidate] = []
        for candidate in self._candidates(text):
            if not any(taken[candidate.start : candidate.end]):
                taken[candidate.start : candidate.end] = [True] * (candidate.end - candidate.start)
                candidates.append(candidate)

        resolved = [(c, r) for c in candidates if (r := resolve(text[c.start : c.end], c.kind, self.registry))]
        equities = self.about_equities(text, [symbol for _, (symbol, _) in resolved])
        mentions = []
        for candidate, (symbol, asset_id) in sorted(resolved, key=lambda pair: pair[0].start):
            if candidate.needs_context and not _has_other_context(text, candidate, resolved):
                continue
            if equities and candidate.kind is not MentionKind.CONTRACT and not self.unmistakable(symbol):
                continue
            mentions.append(
                TokenMention(
                    symbol=symbol,
                    text=text[candidate.start : candidate.end],
                    start=candidate.start,
                    end=candidate.end,
                    kind=candidate.kind,
                    asset_id=asset_id,
                    score=0.7 if candidate.needs_context else 0.9,
                )
            )
        return taken, candidates, settle_contracts(mentions)

    def unmistakable(self, symbol: str) -> bool:
        """Whether ``symbol`` is a major asset whose ticker is no word or index ($SPX is the S&P 500 too)."""
        return symbol in self.registry.major_symbols and symbol not in self.registry.everyday_tickers

    def about_equities(self, text: str, symbols: Sequence[str]) -> bool:
        """Whether the tweet is about listed equities and not about crypto, given the ``symbols`` found in it.

        Stock words or a stock cashtag make it about equities; a crypto cue word or an unmistakable major
        asset among ``symbols`` makes it about crypto too. In such a tweet only unmistakable assets count.
        """
        stocky = bool(STOCK_CUES.search(text)) or any(
            m.group(1).upper() in self.registry.stock_tickers for m in CASHTAG.finditer(text)
        )
        cryptoish = bool(CRYPTO_CUES.search(text) or ZH_CUES.search(text)) or any(map(self.unmistakable, symbols))
        return stocky and not cryptoish

    def _candidates(self, text: str) -> Iterator[_Candidate]:
        """Every possible span, strongest kind first; the caller drops the ones that overlap."""
        registry = self.registry
        for pattern in (EVM_ADDRESS, SOLANA_MINT):
            for m in pattern.finditer(text):
                yield _Candidate(m.start(), m.end(), MentionKind.CONTRACT, needs_context=False)
        for m in CASHTAG.finditer(text):
            body = m.group(1)
            # A cashtag nobody lists may be a new token or an unlisted stock, and "$s" or "$hit" are
            # words: unless it is a major asset or a listed one in capitals, it needs crypto context.
            firm = body.upper() in registry.major_symbols or (
                body.isupper() and registry.is_known(body) and len(body) > 1 and not AMOUNT.fullmatch(body)
            )
            yield _Candidate(m.start(), m.end(1), MentionKind.CASHTAG, needs_context=not firm)
        for m in HASHTAG.finditer(text):
            if (need := self._hashtag_need(m.group(1))) is not None:
                yield _Candidate(m.start(), m.end(), MentionKind.HASHTAG, needs_context=need)
        for alias in self._zh:
            for start, end in occurrences(text, alias, bounded=False):  # Chinese runs words together
                yield _Candidate(start, end, MentionKind.ZH_NAME, alias in registry.zh_context_aliases)
        for m in self._names.finditer(text):
            name = m.group(1)
            # "SUI", "IOTA" in capitals are tickers, left to the ticker rule and its context test.
            if name.isupper() and name in registry.major_symbols:
                continue
            need = name.casefold() in registry.context_names
            yield _Candidate(m.start(1), m.end(1), MentionKind.NAME, needs_context=need)
        for m in NEW_TOKEN.finditer(text):
            group = 1 if m.group(1) else 2
            if m.group(group) not in registry.not_tickers:
                yield _Candidate(m.start(group), m.end(group), MentionKind.TICKER, needs_context=False)
        for m in TICKER.finditer(text):
            if (need := self._ticker_need(text, m.start(1), m.end(1))) is not None:
                yield _Candidate(m.start(1), m.end(1), MentionKind.TICKER, needs_context=need)

    def _hashtag_need(self, body: str) -> bool | None:
        """For a hashtag body: None when it names no asset, else whether it needs crypto context.

        Hashtags are deliberate, so a major asset counts in any case ("#xrp", "#Dogecoin"); a long-tail
        symbol only in capitals and with context.
        """
        registry = self.registry
        symbol = body.upper()
        if symbol in registry.major_symbols:
            return symbol in registry.everyday_tickers
        name = body.casefold()
        if name in registry.major_names:
            return name in registry.context_names
        known = registry.is_known(symbol) and not registry.is_non_crypto(symbol)
        return True if body.isupper() and known and symbol not in registry.not_tickers else None

    def _ticker_need(self, text: str, start: int, end: int) -> bool | None:
        """For a bare word ``text[start:end]``: None when it is no candidate, else whether it needs context.

        Capitals are how tickers are written: a major asset counts in capitals (in any case for the
        distinctive ones, in lower case with context for the others), unless it is an everyday word. An
        everyday word or a ticker from the long tail of the registry counts only in capitals, with
        context, and not inside a run of shouted words ("WHITE HOUSE", "DO NOT").
        """
        registry = self.registry
        word = text[start:end]
        symbol = word.upper()
        if not registry.is_known(symbol) or registry.is_non_crypto(symbol) or not any(c.isalpha() for c in word):
            return None
        if symbol in registry.caseless_tickers:
            return False
        major, everyday = symbol in registry.major_symbols, symbol in registry.everyday_tickers
        if major and not word.isupper():
            # "sol", "wif": lower-case majors need context; lower-case everyday words ("link") never count.
            return True if len(word) >= 3 and not everyday else None
        if major and not everyday:
            return False
        if not major and (not word.isupper() or symbol in registry.not_tickers or len(word) < 3):
            return None
        return None if self._shouted(text, start, end) else True

    def _shouted(self, text: str, start: int, end: int) -> bool:
        """Whether the word at ``text[start:end]`` has a word in capitals other than a major ticker next to it."""
        before = SHOUTED.fullmatch(text[:start].rstrip().rsplit(maxsplit=1)[-1]) if text[:start].strip() else None
        after = SHOUTED.fullmatch(text[end:].lstrip().split(maxsplit=1)[0]) if text[end:].strip() else None
        return any(m and m.group() not in self.registry.major_symbols for m in (before, after))


def _has_other_context(text: str, candidate: _Candidate, resolved: list[tuple[_Candidate, object]]) -> bool:
    """Whether something other than ``candidate`` itself (a firm mention, a cue word) shows crypto context."""
    if any(c is not candidate and not c.needs_context for c, _ in resolved):
        return True
    return cue_outside(text, candidate.start, candidate.end)


def cue_outside(text: str, start: int, end: int) -> bool:
    """Whether a crypto cue word (English or Chinese) stands in ``text`` outside ``text[start:end]``."""
    masked = text[:start] + " " + text[end:]
    return bool(CRYPTO_CUES.search(masked) or ZH_CUES.search(masked))
