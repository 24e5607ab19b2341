"""Making labelled sets: ``python -m model.training.label --help``.

    select --for test|training --seed N --out pool.jsonl   tweets to label: a fresh test set or training labels
    merge one.jsonl two.jsonl --out labels.jsonl           two annotators' labels of one pool → one label set
    materialize --set c --out fresh.jsonl                  a shipped set's labels joined with their texts
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from model.training import gold, testset
from model.training.corpus import FRESH_SETS, materialize, read_jsonl, write_jsonl

SELECTORS = {"test": testset.select, "training": gold.select}


def main(argv: Sequence[str] | None = None) -> None:
    """Run one of the commands above."""
    parser = argparse.ArgumentParser(prog="python -m model.training.label", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("select", help="draw tweets to label")
    p.add_argument("--for", dest="purpose", choices=sorted(SELECTORS), required=True, help="a fresh test set or training labels")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("merge", help="two annotators' labels of one pool → one label set (disagreements optional)")
    p.add_argument("first", type=Path)
    p.add_argument("second", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("materialize", help="join a shipped set's labels with their texts")
    p.add_argument("--set", choices=sorted(FRESH_SETS), default="c", help="a: a second dev set; b: compared adapters; c: the test (default)")
    p.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "select":
        write_jsonl(SELECTORS[args.purpose](args.seed), args.out)
    elif args.command == "merge":
        write_jsonl(testset.merge(read_jsonl(args.first), read_jsonl(args.second)), args.out)
    else:
        write_jsonl(materialize(FRESH_SETS[args.set]), args.out)


if __name__ == "__main__":
    main()
