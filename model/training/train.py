"""Fine-tune the tagger on the hand labels: ``tickertape train --help``.

One run, step by step (:func:`main`):

1. **Data**: every hand-labelled training tweet (:data:`~model.training.corpus.TRAINING_LABELS`, read by
   :func:`model.training.gold.records`), less dev look-alikes; a seeded held-out split of each source.
2. **Encode** through the serving path, the rules' candidates included (:mod:`model.training.align`),
   counting what cannot be aligned.
3. **Cache** what the frozen lower layers make of every tweet, once: each step then runs only the upper
   layers. This is what makes a 12-layer encoder trainable on two CPU cores.
4. **Train** LoRA, the upper LayerNorms, the candidate embeddings and both heads with AdamW (token
   cross-entropy + candidate binary cross-entropy), scoring the held-out split per tweet after each epoch.
5. **Choose** the decider (:data:`model.neural.DECIDERS`) that reads the held-out split best and write
   ``tagger.safetensors``, ``tagger.json``, ``metrics.json``, ``training_curve.png`` and ``MODEL_CARD.md``.

The shipped tagger is this with the defaults: 34.6 minutes on a 2-core CPU (``metrics.json``); a GPU
was not measured.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch
from safetensors.torch import save_file
from tqdm import tqdm

from model.encoder import (
    ADAPTER_DIR,
    BASE_DIR,
    META,
    WEIGHTS,
    Tagger,
    build_tagger,
    load_tokenizer,
)
from model.evaluate import Item, is_correct
from model.inference import pad_batch
from model.labels import IGNORE_INDEX, LABELS
from model.neural import DECIDERS, NeuralExtractor
from model.registry import Registry
from model.rules import RuleExtractor
from model.training import gold, lexicon
from model.training.align import AlignStats, Example, encode_example
from model.training.card import plot_curve, write_model_card
from model.training.corpus import TRAINING_LABELS, dedupe_key, dev_keys, materialize
from model.training.records import Record, split


@dataclass
class TrainArguments:
    """Every knob of a training run; each field is also a ``tickertape train --<name>`` flag with its help."""

    output_dir: str = field(default=str(ADAPTER_DIR), metadata={"help": "Where the tagger and its reports go."})
    base_model: str = field(default=str(BASE_DIR), metadata={"help": "The converted base encoder (ops/setup.sh writes it)."})
    seed: int = field(default=13, metadata={"help": "Seed for the split and training."})
    held_frac: float = field(default=0.08, metadata={"help": "Held-out fraction of every source."})
    max_length: int = field(default=128, metadata={"help": "Max tokens per training example."})
    split: int = field(default=6, metadata={"help": "Layers below this one are frozen (and cached); the candidates enter here."})
    epochs: float = field(default=4.0, metadata={"help": "Passes over the training set."})
    batch_size: int = field(default=32, metadata={"help": "Examples per step."})
    lr: float = field(default=1e-3, metadata={"help": "Learning rate of LoRA, LayerNorms and heads."})
    embedding_lr: float = field(default=3e-3, metadata={"help": "Learning rate of the candidate embeddings."})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay."})
    warmup_frac: float = field(default=0.06, metadata={"help": "Linear warm-up share of the steps."})
    candidate_weight: float = field(default=1.0, metadata={"help": "Weight of the candidate loss beside the token loss."})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha."})
    lora_dropout: float = field(default=0.1, metadata={"help": "LoRA dropout."})
    max_minutes: float = field(default=80.0, metadata={"help": "Stop training after this many minutes (0 = no limit)."})
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0 = torch default)."})
    log_every: int = field(default=20, metadata={"help": "Steps between loss points on the curve."})
    device: str = field(default="", metadata={"help": "cuda / cpu (default: cuda when present)."})


def parse_args(argv: list[str] | None) -> TrainArguments:
    """CLI flags from the dataclass fields (``--name value``)."""
    parser = argparse.ArgumentParser(prog="tickertape train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for f in fields(TrainArguments):
        typ = {"int": int, "float": float, "str": str}.get(str(f.type), str)
        parser.add_argument(f"--{f.name}", type=typ, default=f.default, help=f"{f.metadata['help']} (default: {f.default})")
    return TrainArguments(**vars(parser.parse_args(argv)))


def hand_records() -> tuple[list[Record], Counter]:
    """Every hand-labelled training tweet once, less (near) copies of dev tweets, and what was dropped."""
    exclude, seen = dev_keys(), set()
    records, dropped = [], Counter()
    for labels in TRAINING_LABELS:
        got, report = gold.records(labels)
        dropped.update(report.dropped)
        for r in got:
            key = dedupe_key(r.text)
            if key in exclude or key in seen:
                dropped["dev_lookalike" if key in exclude else "duplicate"] += 1
                continue
            seen.add(key)
            records.append(r)
    return records, dropped


def encode_all(records: Sequence[Record], tokenizer, rules: RuleExtractor, max_length: int) -> tuple[list[Example], AlignStats]:
    """The aligned examples of ``records``; an example with a span that cannot be expressed is dropped."""
    stats = AlignStats()
    examples = []
    for r in records:
        example, st = encode_example(tokenizer, r.text, rules.propose(r.text), r.spans, max_length, r.ignore)
        stats.add(st)
        if not st.examples_with_problems:
            examples.append(example)
    return examples, stats


def _batches(examples: Sequence[Example], batch_size: int, rng: random.Random | None) -> list[list[int]]:
    """Index batches of similar lengths (less padding), in random order when ``rng`` is given."""
    idx = list(range(len(examples)))
    if rng:
        rng.shuffle(idx)
    chunk = batch_size * 50
    batches = []
    for i in range(0, len(idx), chunk):
        part = sorted(idx[i : i + chunk], key=lambda j: len(examples[j].encoded.input_ids))
        batches.extend(part[k : k + batch_size] for k in range(0, len(part), batch_size))
    if rng:
        rng.shuffle(batches)
    return batches


def cache_lower(tagger: Tagger, examples: Sequence[Example], device: str) -> list[torch.Tensor]:
    """What the frozen layers make of each example (``(tokens, hidden)``, on the CPU)."""
    out: list[torch.Tensor | None] = [None] * len(examples)
    tagger.eval()
    with torch.inference_mode():
        for idx in tqdm(_batches(examples, 64, None), desc="cache lower layers", unit="batch", dynamic_ncols=True):
            batch = pad_batch([examples[i].encoded for i in idx])
            hidden = tagger.lower(batch["input_ids"].to(device), batch["attention_mask"].to(device)).cpu()
            for row, i in enumerate(idx):
                out[i] = hidden[row, : len(examples[i].encoded.input_ids)].clone()
    return [h for h in out if h is not None]


def _loss(tagger: Tagger, examples: Sequence[Example], lower: Sequence[torch.Tensor], idx: list[int], args: TrainArguments, device: str) -> torch.Tensor:
    """Token cross-entropy plus weighted candidate binary cross-entropy of one batch."""
    batch = {k: v.to(device) for k, v in pad_batch([examples[i].encoded for i in idx]).items()}
    n = batch["input_ids"].shape[1]
    states = torch.stack([torch.nn.functional.pad(lower[i], (0, 0, 0, n - lower[i].shape[0])) for i in idx]).to(device)
    hidden = tagger.upper(states, batch["attention_mask"], batch["features"])
    labels = torch.tensor([examples[i].labels + [IGNORE_INDEX] * (n - len(examples[i].labels)) for i in idx], device=device)
    loss = torch.nn.functional.cross_entropy(tagger.token_head(hidden).flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX)
    targets = torch.tensor([t for i in idx for t in examples[i].candidate_labels], device=device)
    taught = targets >= 0
    if bool(taught.any()):
        logits = tagger.candidate_logits(hidden, batch["spans"])
        loss = loss + args.candidate_weight * torch.nn.functional.binary_cross_entropy_with_logits(logits[taught], targets[taught])
    return loss


def scoring_registry(held: Sequence[Record]) -> Registry:
    """The registry with a labelled-surfaces table built from the training labels less ``held``, so the
    held-out split scores what a table that never saw it gives (the shipped table sees every label)."""
    held_keys = {dedupe_key(r.text) for r in held}
    rows = (row for labels in TRAINING_LABELS for row in materialize(labels) if dedupe_key(str(row["text"])) not in held_keys)
    plain = Registry.load(surfaces=None)
    return plain.with_surfaces(lexicon.build(lexicon.labelled_pairs(rows), plain))


def score_held(extractor: NeuralExtractor, held: Sequence[Record]) -> dict[str, float]:
    """Per-tweet accuracy on the held-out split under each decider."""
    readings = extractor.read([r.text for r in held])
    scores = {}
    for decider in DECIDERS:
        right = sum(
            is_correct_record(r, {m.symbol for m in extractor.mentions(r.text, reading, decider)}) for r, reading in zip(held, readings, strict=True)
        )
        scores[decider] = right / max(1, len(held))
    return scores


def is_correct_record(record: Record, predicted: set[str]) -> bool:
    """Whether ``predicted`` is right for ``record`` by the evaluation's rule (:func:`model.evaluate.is_correct`)."""
    return is_correct(Item("", record.text, frozenset(record.symbols), frozenset(record.optional_symbols)), predicted)


def adapter_version(args: TrainArguments) -> str:
    """Date, seed and a short hash of the settings that shape the model (not where it is written)."""
    shaping = {k: v for k, v in asdict(args).items() if k not in ("output_dir", "base_model", "threads", "device", "log_every")}
    digest = hashlib.sha1(json.dumps(shaping, sort_keys=True, default=str).encode()).hexdigest()[:6]
    return f"{time.strftime('%Y%m%d')}-s{args.seed}-{digest}"


def optimizer(tagger: Tagger, args: TrainArguments, total_steps: int) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW with its own learning rate for the candidate embeddings; linear warm-up, then linear decay."""
    embeddings = [tagger.candidate_embeddings.weight]
    other = [p for n, p in tagger.named_parameters() if p.requires_grad and not n.startswith("candidate_embeddings")]
    optim = torch.optim.AdamW(
        [{"params": other, "lr": args.lr, "weight_decay": args.weight_decay}, {"params": embeddings, "lr": args.embedding_lr, "weight_decay": 0.0}]
    )
    warm = max(1, int(total_steps * args.warmup_frac))
    sched = torch.optim.lr_scheduler.LambdaLR(optim, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total_steps - s) / max(1, total_steps - warm)))
    return optim, sched


@dataclass
class Run:
    """What a training loop leaves: the curve, the held-out scores per epoch, how far it got."""

    curve: dict[str, list[float]]
    held: list[dict[str, float]]
    steps: int
    steps_per_epoch: int
    stopped_early: bool


def train_loop(
    tagger: Tagger, examples: Sequence[Example], lower: Sequence[torch.Tensor], score: Callable[[], dict[str, float]],
    args: TrainArguments, device: str, started: float,
) -> Run:
    """Train for ``args.epochs`` (or until ``args.max_minutes`` after ``started``), calling ``score`` after each epoch."""
    rng = random.Random(args.seed)
    steps_per_epoch = math.ceil(len(examples) / args.batch_size)
    total = int(steps_per_epoch * args.epochs)
    optim, sched = optimizer(tagger, args, total)
    trained = [p for g in optim.param_groups for p in g["params"]]
    curve: dict[str, list[float]] = {"step": [], "loss": [], "eval_step": [], "eval_accuracy": []}
    held: list[dict[str, float]] = []
    step, running, since, stopped_early = 0, 0.0, 0, False
    bar = tqdm(total=total, desc="train", unit="step", dynamic_ncols=True)
    while step < total and not stopped_early:
        tagger.train()
        for idx in _batches(examples, args.batch_size, rng):
            if step >= total:
                break
            loss = _loss(tagger, examples, lower, idx, args, device)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trained, 1.0)
            optim.step()
            sched.step()
            optim.zero_grad(set_to_none=True)
            step, running, since = step + 1, running + loss.item(), since + 1
            bar.update(1)
            if step % args.log_every == 0:
                curve["step"].append(step)
                curve["loss"].append(running / since)
                bar.set_postfix(loss=f"{running / since:.4f}")
                running, since = 0.0, 0
            if args.max_minutes and time.time() - started > args.max_minutes * 60:
                stopped_early = True
                break
        tagger.eval()
        held.append(score())
        curve["eval_step"].append(step)
        curve["eval_accuracy"].append(max(held[-1].values()))
        print(f"\nepoch {len(held)}: held-out per-tweet accuracy {held[-1]}", file=sys.stderr)
    bar.close()
    return Run(curve, held, step, steps_per_epoch, stopped_early)


def main(argv: list[str] | None = None) -> int:
    """Train one tagger as ``argv`` says (see :class:`TrainArguments`) and write it with its reports."""
    args = parse_args(argv)
    started = time.time()
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)

    records, dropped = hand_records()
    train_recs, held_recs = split(records, args.held_frac, args.seed)
    print(f"data: {len(train_recs)} train, {len(held_recs)} held-out, dropped {dict(dropped)}", file=sys.stderr)

    tokenizer = load_tokenizer(args.base_model)
    registry = scoring_registry(held_recs)
    rules = RuleExtractor(registry)
    examples, stats = encode_all(train_recs, tokenizer, rules, args.max_length)
    print(f"alignment: {stats.as_dict()}, {len(train_recs) - len(examples)} examples dropped", file=sys.stderr)
    for p in stats.problems[:10]:
        print("  ", p, file=sys.stderr)

    tagger = build_tagger(args.base_model, args.split, args.lora_r, args.lora_alpha, args.lora_dropout).to(device)
    lower = cache_lower(tagger, examples, device)
    cached_minutes = (time.time() - started) / 60
    meta = {
        "version": adapter_version(args), "base_model": Path(args.base_model).name, "split": args.split,
        "lora": {"r": args.lora_r, "alpha": args.lora_alpha}, "max_length": args.max_length, "labels": LABELS,
    }
    extractor = NeuralExtractor.of(tagger, tokenizer, meta, device, registry)
    run = train_loop(tagger, examples, lower, lambda: score_held(extractor, held_recs), args, device, started)
    train_minutes = (time.time() - started) / 60

    meta["decider"] = max(DECIDERS, key=lambda d: run.held[-1][d])
    save_file(tagger.trained_state(), str(out / WEIGHTS))
    (out / META).write_text(json.dumps(meta, indent=1))
    metrics = {
        "args": asdict(args),
        "data": {"train": len(train_recs), "held_out": len(held_recs), "dropped": dict(dropped),
                 "sources": dict(Counter(r.source for r in records))},
        "train_examples": len(examples),
        "alignment": {**stats.as_dict(), "dropped_examples": len(train_recs) - len(examples)},
        "steps": run.steps,
        "epochs_done": round(run.steps / run.steps_per_epoch, 2),
        "stopped_early": run.stopped_early,
        "cache_minutes": round(cached_minutes, 2),
        "train_minutes": round(train_minutes, 2),
        "device": device,
        "threads": torch.get_num_threads(),
        "held_out": run.held,
        "decider": meta["decider"],
        "curve": run.curve,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    plot_curve(run.curve, out / "training_curve.png")
    write_model_card(out, metrics)
    print(f"saved to {out} in {train_minutes:.1f} min", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
