"""Every runtime reads a batch as the PyTorch tagger does: the fp32 export exactly; int8 to the same mentions; bf16 closely.

No GPU is lent here, so the CUDA path's bf16 autocast is checked on the CPU (the same code with
``dtype=torch.bfloat16``); ``ops/bench_model.py --device cuda`` measures it where a GPU exists.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from model import onnx_export
from model.candidates import Candidate, Status
from model.encoder import ADAPTER_DIR, BASE_DIR, META, load_tagger, load_tokenizer
from model.errors import ModelError
from model.inference import pad_batch, windows
from model.neural import NeuralExtractor
from model.runtime import OnnxForward, TorchForward
from schemas import MentionKind

TEXTS = [
    "NEAR and ONE pumping while BTC chops",
    "大饼又新高了，姨太跟不上",
    "$TSLA and $COIN both red after earnings, $ETH holding",
    "gm",
]


@pytest.fixture(scope="module")
def tagger():
    return load_tagger(ADAPTER_DIR, BASE_DIR, "cpu")[0]


@pytest.fixture(scope="module")
def batch():
    tok = load_tokenizer(BASE_DIR)
    cands = [[Candidate(0, 4, MentionKind.TICKER, Status.WEAK), Candidate(9, 12, MentionKind.TICKER, Status.WEAK)], [], [], []]
    return pad_batch([windows(tok, t, c, 128, 32)[0] for t, c in zip(TEXTS, cands, strict=True)])


def _agree(a: tuple[torch.Tensor, torch.Tensor], b: tuple[torch.Tensor, torch.Tensor], mask: torch.Tensor, prob_tol: float) -> None:
    """Same labels on every real token; per-token candidate probabilities within ``prob_tol``."""
    real = mask.bool()
    assert torch.equal(a[0].argmax(-1)[real], b[0].argmax(-1)[real])
    assert (torch.sigmoid(a[1]) - torch.sigmoid(b[1]))[real].abs().max() <= prob_tol


def test_the_fp32_export_is_the_tagger(tagger, batch, tmp_path):
    path = tmp_path / "tagger.onnx"
    onnx_export.export(tagger, path)
    assert not any(m.training for m in tagger.modules())  # exporting leaves the served tagger in eval mode
    want, got = TorchForward(tagger, "cpu")(batch), OnnxForward(path, threads=1)(batch)
    assert torch.allclose(want[0], got[0], atol=1e-3) and torch.allclose(want[1], got[1], atol=1e-3)


def test_the_int8_graph_extracts_as_the_tagger():
    # Per token int8 moves scores (dynamic activation quantization; README, "Serving the tagger fast"), so
    # the check is the mentions of clear-cut tweets: a broken export or mask fusion changes them.
    texts = [*TEXTS, "long $SOL and $AVAX into the weekend", "bought more ethereum today", "see you at 5pm"]
    fp32 = NeuralExtractor(device="cpu", runtime="torch").extract_batch(texts)
    int8 = NeuralExtractor(device="cpu", runtime="onnx-int8").extract_batch(texts)
    assert [[m.symbol for m in ms] for ms in int8] == [[m.symbol for m in ms] for ms in fp32]
    assert any(fp32[2])


def test_bf16_autocast_reads_as_fp32(tagger, batch):
    _agree(TorchForward(tagger, "cpu")(batch), TorchForward(tagger, "cpu", torch.bfloat16)(batch), batch["attention_mask"], 0.05)


def test_a_retrained_tagger_gets_its_own_graph(tmp_path: Path):
    copy = tmp_path / "adapter"
    shutil.copytree(ADAPTER_DIR, copy)
    before = onnx_export.graph_path(copy)
    assert before == onnx_export.graph_path(ADAPTER_DIR)  # the key is the files, not where they are
    (copy / META).write_text((copy / META).read_text().replace("}", ', "note": "retrained"}', 1))
    assert onnx_export.graph_path(copy) != before


def test_a_missing_graph_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ModelError, match="model.onnx_export"):
        OnnxForward(tmp_path / "none.onnx")
