#!/usr/bin/env python
"""Extraction throughput: tweets/s of a backend at several batch sizes, on CPU or GPU.

    .venv/bin/python ops/bench_model.py                          # model backend, batches 1 8 32 128
    .venv/bin/python ops/bench_model.py --backend rules
    .venv/bin/python ops/bench_model.py --device cuda --batch-sizes 32 128 512

Input: synthetic firehose tweets (mixed crypto/everyday, English/Chinese), or --file with JSONL
lines holding `text`. Each size gets one warm-up pass, then the best of --repeats timed passes.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model.extractor import load_extractor  # noqa: E402
from workers.ingest.firehose import Firehose  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="model", help="extractor backend (default model)")
    parser.add_argument("--device", help="model backend: cpu or cuda (default: cuda when present)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32, 128])
    parser.add_argument("--tweets", type=int, default=512, help="tweets per timed pass (default 512)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per size; the best counts")
    parser.add_argument("--file", type=Path, help="JSONL with a `text` field instead of the firehose")
    args = parser.parse_args()

    if args.file:
        texts = [json.loads(line)["text"] for line in args.file.open(encoding="utf-8") if line.strip()]
        texts = (texts * (args.tweets // max(1, len(texts)) + 1))[: args.tweets]
    else:
        texts = [t.text for t in Firehose(crypto_share=0.6).tweets(args.tweets)]

    started = time.perf_counter()
    extractor = load_extractor(args.backend, **({"device": args.device} if args.device else {}))
    print(f"backend {extractor.name}, loaded in {time.perf_counter() - started:.1f}s")
    device = getattr(extractor, "device", "cpu")
    if device == "cuda":
        import torch

        print(f"device: {torch.cuda.get_device_name()}")
    else:
        print(f"device: cpu ({platform.processor() or platform.machine()})")

    print(f"{'batch':>6} {'tweets/s':>10} {'ms/batch':>9}")
    for size in args.batch_sizes:
        if hasattr(extractor, "batch_size"):
            extractor.batch_size = size
        chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
        extractor.extract_batch(chunks[0])  # warm-up: lazy init, kernel selection
        best = float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            for chunk in chunks:
                extractor.extract_batch(chunk)
            best = min(best, time.perf_counter() - t0)
        print(f"{size:>6} {len(texts) / best:>10.0f} {best / len(chunks) * 1000:>9.1f}")


if __name__ == "__main__":
    main()
