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

from model import onnx_export
from model.candidates import Candidate, Status
from model.encoder import ADAPTER_DIR, BASE_DIR, Tagger, check_base, load_meta, load_tagger, load_tokenizer
from model.errors import ModelError
from model.inference import Reading, ScoredSpan, read_batch
from model.registry import Registry, default_registry
from model.resolver import read_surface, settle_contracts
from model.rules import RuleExtractor
from model.runtime import RUNTIMES, Forward, OnnxForward, TorchForward
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


def needs_model(candidates: Sequence[Candidate], decider: str) -> bool:
    """Whether ``decider`` can find a mention in a tweet with these ``candidates``: the ``candidates``
    decider reads nothing but them, so a tweet the rules propose nothing in skips the forward pass
    (exactly: its mentions are none either way)."""
    return bool(candidates) or decider != "candidates"


class NeuralExtractor:
    """multilingual-e5-small + LoRA, reading the rules' candidates; implements the Extractor protocol."""

    def __init__(
        self,
        adapter_dir: Path | str | None = None,
        base_path: Path | str | None = None,
        device: str | None = None,
        runtime: str | None = None,
        batch_size: int = 256,
        token_budget: int = 4096,
        registry: Registry | None = None,
    ) -> None:
        """``adapter_dir``: the trained tagger (the shipped one when None); ``base_path``: the converted base
        encoder (:data:`~model.encoder.BASE_DIR` when None); ``device``: ``cpu``/``cuda`` (CUDA when present
        if None); ``runtime``: one of :data:`~model.runtime.RUNTIMES` (``torch`` on CUDA, ``onnx-int8`` on
        the CPU when None); ``batch_size`` and ``token_budget``: most windows and padded tokens per forward pass."""
        adapter_dir, base_path = adapter_dir or ADAPTER_DIR, base_path or BASE_DIR
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        runtime = runtime or ("torch" if device.startswith("cuda") else "onnx-int8")
        if runtime not in RUNTIMES:
            raise ModelError(f"unknown runtime {runtime!r}; known: {', '.join(RUNTIMES)}")
        forward: Forward
        if runtime == "torch":
            tagger, tokenizer, meta = load_tagger(adapter_dir, base_path, device)
            forward = TorchForward(tagger, device)
        else:
            if device != "cpu":
                raise ModelError(f"runtime {runtime} runs on the CPU, not {device}")
            tokenizer, meta = load_tokenizer(check_base(base_path)), load_meta(adapter_dir)
            forward = OnnxForward(onnx_export.build(adapter_dir, base_path))
        self._use(forward, tokenizer, meta, batch_size, token_budget, registry)
        self.device, self.runtime = device, runtime

    @classmethod
    def of(cls, tagger: Tagger, tokenizer: PreTrainedTokenizerFast, meta: dict[str, Any], device: str, registry: Registry | None = None) -> NeuralExtractor:
        """An extractor around a PyTorch tagger already in memory (training scores its held-out split with it)."""
        extractor = cls.__new__(cls)
        extractor._use(TorchForward(tagger, device), tokenizer, meta, 256, 4096, registry)
        extractor.device, extractor.runtime = device, "torch"
        return extractor

    def _use(self, forward: Forward, tokenizer: PreTrainedTokenizerFast, meta: dict[str, Any], batch_size: int, token_budget: int, registry: Registry | None) -> None:
        self.forward, self.tokenizer, self.meta = forward, tokenizer, meta
        self.batch_size, self.token_budget = batch_size, token_budget
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
        """The tagger's :class:`~model.inference.Reading` of each text (both heads, before deciding); texts
        that :func:`needs_model` rules out get an empty one without a forward pass."""
        proposals = [self.rules.propose(text) for text in texts]
        ask = [i for i, cands in enumerate(proposals) if needs_model(cands, self.decider)]
        readings = [Reading([], []) for _ in texts]
        read = read_batch(self.forward, self.tokenizer, [texts[i] for i in ask], [proposals[i] for i in ask], self.batch_size, self.token_budget)
        for i, reading in zip(ask, read, strict=True):
            readings[i] = reading
        return readings

    def mentions(self, text: str, reading: Reading, decider: str, stand: frozenset[MentionKind] = RULES_STAND) -> list[TokenMention]:
        """The mentions of ``text`` that ``reading`` gives under ``decider`` (one of :data:`DECIDERS`) and ``stand``."""
        mentions = []
        for s, e, score in decide(reading, decider, stand):
            if (got := read_surface(text[s:e], self.registry)) is None:
                continue
            symbol, asset_id, kind = got
            mentions.append(TokenMention(symbol=symbol, text=text[s:e], start=s, end=e, kind=kind, asset_id=asset_id, score=round(min(1.0, max(0.0, score)), 4)))
        return settle_contracts(sorted(mentions, key=lambda m: m.start))
