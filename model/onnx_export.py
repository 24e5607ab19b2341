"""The tagger as an ONNX graph with int8 weights: the CPU serving path (:class:`model.runtime.OnnxForward`).

Made once per tagger, at set-up (``python -m model.onnx_export``) or on first use, from the served
PyTorch tagger (LoRA folded in), so both runtimes read the same weights:

1. **Export** :meth:`model.encoder.Tagger.scores` (token logits and per-token candidate scores) with
   batch and length left dynamic.
2. **Fuse** attention, LayerNorm and GELU with ONNX Runtime's BERT optimizer (fewer, larger kernels).
3. **Quantize** every MatMul's weights to int8, per output channel, activations dynamically
   (``quantize_dynamic``: no calibration set to keep). The word embeddings stay fp32: they are a lookup.

The graph lands in :data:`ONNX_DIR` under a key of the tagger's files, so a retrained tagger gets its
own graph and a stale one is never read; it is written to a temporary name and renamed, so a worker
never sees half a file.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import tempfile
from pathlib import Path

import onnx
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.transformers.optimizer import optimize_model
from torch import nn

from model.encoder import ADAPTER_DIR, BASE_DIR, META, WEIGHTS, Tagger, load_tagger

ONNX_DIR = Path(__file__).parent / "base" / "onnx"  # set-up output, never committed
GRAPH = "tagger.int8.onnx"
INPUTS = ("input_ids", "attention_mask", "features")
OUTPUTS = ("token_logits", "candidate_scores")
# Bump when the export steps change, so graphs made by older code are rebuilt.
EXPORT_VERSION = "1"

log = logging.getLogger(__name__)


def graph_path(adapter_dir: Path | str = ADAPTER_DIR, base_path: Path | str = BASE_DIR, onnx_dir: Path | str = ONNX_DIR) -> Path:
    """Where the int8 graph of this tagger on this base lives (whether or not it is built yet)."""
    digest = hashlib.sha256(EXPORT_VERSION.encode())
    for f in (Path(adapter_dir) / WEIGHTS, Path(adapter_dir) / META, Path(base_path) / "config.json"):
        digest.update(f.read_bytes())
    return Path(onnx_dir) / digest.hexdigest()[:16] / GRAPH


class _Scores(nn.Module):
    """:meth:`Tagger.scores` as a module's forward, which is what the exporter traces."""

    def __init__(self, tagger: Tagger) -> None:
        super().__init__()
        self.tagger = tagger

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.tagger.scores(input_ids, attention_mask, features)


def export(tagger: Tagger, path: Path) -> None:
    """Write ``tagger``'s :meth:`~Tagger.scores` as an fp32 ONNX graph with dynamic batch and length."""
    ids = torch.tensor([[0, 5000, 6000, 2], [0, 7000, 2, 1]])
    example = (ids, (ids != 1).long(), torch.zeros_like(ids))
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, *OUTPUTS)}
    with torch.no_grad():
        # The TorchScript exporter: the graph it writes is the one ONNX Runtime's BERT fusions expect.
        # The wrapper is put in eval mode, not only the tagger: the exporter restores the mode of the module it
        # is given afterwards, which for a fresh wrapper would be training, dropout and all, down the tree.
        torch.onnx.export(_Scores(tagger.cpu()).eval(), example, str(path), input_names=list(INPUTS), output_names=list(OUTPUTS),
                          dynamic_axes=axes, opset_version=17, dynamo=False)


def optimize_and_quantize(src: Path, dst: Path, num_heads: int, hidden_size: int) -> None:
    """Fuse ``src``'s BERT blocks and write it to ``dst`` with int8 MatMul weights."""
    fused = src.with_suffix(".fused.onnx")
    optimize_model(str(src), model_type="bert", num_heads=num_heads, hidden_size=hidden_size).save_model_to_file(str(fused))
    # The fused ops come from ONNX Runtime's own domain, which shape inference cannot type: say fp32.
    quantize_dynamic(str(fused), str(dst), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def build(adapter_dir: Path | str = ADAPTER_DIR, base_path: Path | str = BASE_DIR, onnx_dir: Path | str = ONNX_DIR) -> Path:
    """The int8 graph of this tagger, built now when it is not there yet; its path."""
    path = graph_path(adapter_dir, base_path, onnx_dir)
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    log.info("exporting the tagger in %s to %s", adapter_dir, path)
    tagger, _, _ = load_tagger(adapter_dir, base_path, "cpu")
    config = tagger.bert.config
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        raw, out = Path(tmp) / "tagger.onnx", Path(tmp) / GRAPH
        export(tagger, raw)
        optimize_and_quantize(raw, out, config.num_attention_heads, config.hidden_size)
        os.replace(out, path)  # atomic: a reader sees no graph or the whole one
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the int8 ONNX graph of a tagger (skipped when it is built).")
    parser.add_argument("--adapter", type=Path, default=ADAPTER_DIR, help="tagger directory (default: the shipped one)")
    parser.add_argument("--base", type=Path, default=BASE_DIR, help="base encoder directory")
    parser.add_argument("--onnx-dir", type=Path, default=ONNX_DIR, help="where graphs are kept")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(build(args.adapter, args.base, args.onnx_dir))


if __name__ == "__main__":
    main()
