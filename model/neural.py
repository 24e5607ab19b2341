"""The fine-tuned tagger as an :class:`~model.extractor.Extractor` (backend ``model``): the model decides.

One path per tweet: the rules propose candidates with their verdicts (:meth:`model.rules.RuleExtractor.propose`),
the tagger reads the text with them (:func:`model.inference.read_batch`), :func:`decide` keeps the spans
it calls mentions (and the rules' Chinese names, :data:`RULES_STAND`), the resolver names each (:func:`model.resolver.read_surface`) and LABELING.md's
``CA:`` rule settles contract addresses (:func:`model.resolver.settle_contracts`). The caller passes
every setting; nothing is read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedTokenizerFast

from model.candidates import Status
from model.encoder import ADAPTER_DIR, BASE_DIR, Tagger, load_tagger
from model.inference import Reading, ScoredSpan, read_batch
from model.registry import Registry, default_registry
from model.resolver import read_surface, settle_contracts
from model.rules import RuleExtractor
from model.spans import first_longest, overlaps_any
from schemas import MentionKind, TokenMention

#: How the tagger's two heads become spans; training keeps the one that reads its held-out split best.
DECIDERS = ("tokens", "candidates", "hybrid")
THRESHOLD = 0.5  # a candidate is a mention when the candidate head gives it at least this
#: The one hand check left: the rules' mentions of these kinds stand whatever the tagger says. The hand
#: labels hold ~250 Chinese tweets, too few for the tagger to learn Chinese names (on dev, Chinese per
#: tweet is 0.875 without it, 0.975 with it; the model card has the ablation).
RULES_STAND: frozenset[MentionKind] = frozenset({MentionKind.ZH_NAME})


def decide(reading: Reading, decider: str, stand: frozenset[MentionKind] = RULES_STAND) -> list[ScoredSpan]:
    """The mention spans of one tweet's ``reading``, as ``decider`` says, and the rules' kept mentions of
    the kinds in ``stand``.

    ``tokens``: the token head's spans. ``candidates``: the candidates the candidate head calls mentions.
    ``hybrid``: those candidates, plus the token head's spans where no candidate stands (a new token
    the rules never proposed).
    """
    chosen = [(c.start, c.end, p) for c, p in reading.candidates if p >= THRESHOLD]
    if decider == "tokens":
        spans = reading.spans
    elif decider == "candidates":
        spans = chosen
    else:
        proposed = [(c.start, c.end) for c, _ in reading.candidates]
        spans = chosen + [s for s in reading.spans if not overlaps_any(s[:2], proposed)]
    standing = [(c.start, c.end, 1.0) for c, _ in reading.candidates if c.status is Status.KEPT and c.kind in stand]
    return first_longest(standing + [s for s in spans if not overlaps_any(s[:2], [t[:2] for t in standing])])


class NeuralExtractor:
    """multilingual-e5-small + LoRA, reading the rules' candidates; implements the Extractor protocol."""

    def __init__(
        self,
        adapter_dir: Path | str | None = None,
        base_path: Path | str | None = None,
        device: str | None = None,
        batch_size: int = 64,
        registry: Registry | None = None,
    ) -> None:
        """``adapter_dir``: the trained tagger (the shipped one when None); ``base_path``: the converted base
        encoder (:data:`~model.encoder.BASE_DIR` when None); ``device``: ``cpu``/``cuda`` (CUDA when present
        if None); ``batch_size``: tweets per forward pass."""
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        tagger, tokenizer, meta = load_tagger(adapter_dir or ADAPTER_DIR, base_path or BASE_DIR, device)
        self._use(tagger, tokenizer, meta, device, batch_size, registry)

    @classmethod
    def of(cls, tagger: Tagger, tokenizer: PreTrainedTokenizerFast, meta: dict[str, Any], device: str, registry: Registry | None = None) -> NeuralExtractor:
        """An extractor around a tagger already in memory (training scores its held-out split with it)."""
        extractor = cls.__new__(cls)
        extractor._use(tagger, tokenizer, meta, device, 64, registry)
        return extractor

    def _use(self, tagger: Tagger, tokenizer: PreTrainedTokenizerFast, meta: dict[str, Any], device: str, batch_size: int, registry: Registry | None) -> None:
        self.tagger, self.tokenizer, self.meta, self.device, self.batch_size = tagger, tokenizer, meta, device, batch_size
        self.registry = registry or default_registry()
        self.rules = RuleExtractor(self.registry)
        self.decider = str(meta.get("decider", "hybrid"))

    @property
    def name(self) -> str:
        """``model-<tagger version>``."""
        return f"model-{self.meta.get('version', '0')}"

    def extract_batch(self, texts: Sequence[str]) -> list[list[TokenMention]]:
        """Mentions of each text, in text order, each list ordered by start offset."""
        return [self.mentions(text, reading, self.decider) for text, reading in zip(texts, self.read(texts), strict=True)]

    def read(self, texts: Sequence[str]) -> list[Reading]:
        """The tagger's :class:`~model.inference.Reading` of each text (both heads, before deciding)."""
        proposals = [self.rules.propose(text) for text in texts]
        return read_batch(self.tagger, self.tokenizer, texts, proposals, self.device, self.batch_size)

    def mentions(self, text: str, reading: Reading, decider: str, stand: frozenset[MentionKind] = RULES_STAND) -> list[TokenMention]:
        """The mentions of ``text`` that ``reading`` gives under ``decider`` (one of :data:`DECIDERS`) and ``stand``."""
        mentions = []
        for s, e, score in decide(reading, decider, stand):
            if (got := read_surface(text[s:e], self.registry)) is None:
                continue
            symbol, asset_id, kind = got
            mentions.append(TokenMention(symbol=symbol, text=text[s:e], start=s, end=e, kind=kind, asset_id=asset_id, score=round(min(1.0, max(0.0, score)), 4)))
        return settle_contracts(sorted(mentions, key=lambda m: m.start))
