"""Where the tagger's forward pass runs: one :class:`Forward` per runtime, all returning the same scores.

* ``onnx-int8`` (:class:`OnnxForward`, the CPU default): the graph :mod:`model.onnx_export` builds from
  the served tagger, run by ONNX Runtime; no PyTorch model is held in memory.
* ``torch`` (:class:`TorchForward`, the CUDA default): the PyTorch tagger; on CUDA in bf16 with pinned,
  non-blocking host-to-device copies.

:func:`model.inference.read_batch` takes any of them, so deciding, windows and batching are shared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import onnxruntime as ort
import torch

from model.encoder import Tagger
from model.errors import ModelError

RUNTIMES = ("onnx-int8", "torch")
Batch = dict[str, torch.Tensor]  # input_ids, attention_mask, features: (batch, tokens), CPU int64


class Forward(Protocol):
    """A padded batch in; per token, the token head's logits ``(batch, tokens, labels)`` and the candidate
    head's score ``(batch, tokens)`` out, as fp32 CPU tensors (:meth:`model.encoder.Tagger.scores`)."""

    def __call__(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]: ...


class TorchForward:
    """The PyTorch tagger on ``device``; CUDA runs it in bf16 (``dtype``), the CPU in fp32."""

    def __init__(self, tagger: Tagger, device: str, dtype: torch.dtype | None = None) -> None:
        self.tagger, self.device = tagger, device
        self.dtype = dtype or (torch.bfloat16 if device.startswith("cuda") else torch.float32)

    def __call__(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        cuda = self.device.startswith("cuda")
        # Pinned host memory lets the copy overlap the previous batch's work on the GPU.
        ids, mask, feats = (batch[k].pin_memory().to(self.device, non_blocking=True) if cuda else batch[k] for k in ("input_ids", "attention_mask", "features"))
        with torch.inference_mode(), torch.autocast(self.device.split(":")[0], dtype=self.dtype, enabled=self.dtype != torch.float32):
            logits, scores = self.tagger.scores(ids, mask, feats)
        return logits.float().cpu(), scores.float().cpu()


class OnnxForward:
    """The int8 ONNX graph at ``path`` on ONNX Runtime's CPU provider, with ``threads`` intra-op threads
    (PyTorch's thread count when None, which honours ``OMP_NUM_THREADS``)."""

    def __init__(self, path: Path | str, threads: int | None = None) -> None:
        if not Path(path).is_file():
            raise ModelError(f"no ONNX graph at {path}: run ops/setup.sh (or python -m model.onnx_export)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle threads sleep rather than spin: workers share a host's cores with each other and with
        # Kafka and Redis, and a spinning pool takes cores the others need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        feeds = {k: batch[k].numpy() for k in ("input_ids", "attention_mask", "features")}
        logits, scores = self.session.run(None, feeds)
        return torch.from_numpy(logits), torch.from_numpy(scores)
