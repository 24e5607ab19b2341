"""Making labelled sets: ``python -m model.training.label --help``.

    draw --seed N --out-dir DIR                            fresh sets d and e, then the training draw (selection.py)
    disputes PACKET --readings DIR --out FILE              the tweets two readers of a packet disagree on, for adjudication
    settle --drawn FILE --packets P... --readings DIR --kind test|training --out FILE --report FILE
                                                           agreed + adjudicated labels → one shipped label file and its report
    review LABELS --n 200 --seed N --out FILE              a random sample of settled training labels, for a fourth reading
    review-score VERDICTS                                  the fourth reading's error rate
    select --for test|training --seed N --out pool.jsonl   tweets to label: a fresh test set or training labels
    merge one.jsonl two.jsonl --out labels.jsonl           two annotators' labels of one pool → one label set
    materialize --set c --out fresh.jsonl                  a shipped set's labels joined with their texts
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from model.training import annotation, gold, testset
from model.training.corpus import FRESH_SETS, materialize, read_jsonl, write_jsonl
from model.training.errors import TrainingDataError
from model.training.selection import SET_D, SET_E, TRAINING, draw_plan

SELECTORS = {"test": testset.select, "training": gold.select}


def draw_all(seed: int, out_dir: Path) -> None:
    """Draw set d, set e and the training tweets (seeds ``seed``, +1, +2), each clear of dev, every shipped
    label file and the sets drawn before it; write packets and draws to ``out_dir``."""
    taken = testset.taken_keys()
    out_dir.mkdir(parents=True, exist_ok=True)
    for offset, (name, plan) in enumerate((("set_d", SET_D), ("set_e", SET_E), ("training", TRAINING))):
        drawn = draw_plan(plan, seed + offset, taken)
        write_jsonl(drawn, out_dir / f"{name}.drawn.jsonl")
        write_jsonl(annotation.packet_rows(drawn), out_dir / f"{name}.packet.jsonl")


def _readers(packet: Path, readings: Path) -> tuple[list[str], dict[str, str], dict, dict]:
    rows = read_jsonl(packet)
    keys = [str(r["id"]) for r in rows]
    first = annotation.read_readings(readings / f"{packet.stem}.A.jsonl", keys)
    second = annotation.read_readings(readings / f"{packet.stem}.B.jsonl", keys)
    return keys, {str(r["id"]): str(r["text"]) for r in rows}, first, second


def disputes(packet: Path, readings: Path) -> list[dict[str, object]]:
    """What the adjudicator of ``packet`` reads: :func:`~model.training.annotation.disagreements`."""
    _, texts, first, second = _readers(packet, readings)
    return annotation.disagreements(texts, first, second)


def settle_packets(drawn: Path, packets: list[Path], readings: Path, kind: str, out: Path, report: Path) -> None:
    """Settle every tweet of ``packets`` and write the label file ``out`` and the agreement ``report``.

    Training labels carry their spans; a surface that cannot be placed is counted in the report.
    """
    by_key = {annotation.key_of(r): r for r in read_jsonl(drawn)}
    finals: list[annotation.Final] = []
    firsts, seconds = {}, {}
    disputed = 0
    for packet in packets:
        keys, _, first, second = _readers(packet, readings)
        adjudicated_path = readings / f"{packet.stem}.adjudicated.jsonl"
        disputes_here = [k for k in keys if not first[k].agrees(second[k])]
        disputed += len(disputes_here)
        adjudicated, reasons = annotation.read_adjudication(adjudicated_path, disputes_here) if disputes_here else ({}, {})
        finals += annotation.settle(keys, first, second, adjudicated, reasons)
        firsts.update(first)
        seconds.update(second)
    rows, unplaced = [], []
    for final in finals:
        drawn_row = by_key[final.key]
        file, tweet_id = str(drawn_row["file"]), str(drawn_row["id"])
        if kind == "training":
            placement = annotation.place(str(drawn_row["text"]), final.reading)
            unplaced += [f"{final.key}: {s!r}" for s in placement.unplaced]
            row = annotation.training_row(final, file, tweet_id, placement)
        else:
            row = annotation.eval_row(final, file, tweet_id)
        rows.append({**row, "kind": drawn_row.get("kind", "stream")})
    write_jsonl(rows, out)
    agreement = annotation.agreement_report([by_key[f.key] for f in finals], firsts, seconds)
    confusions = ", ".join(f"{s} {n}" for s, n in annotation.symbol_confusions(firsts, seconds).most_common(15))
    report.write_text(
        f"# Agreement: {out.name}\n\n{len(finals)} tweets read twice apart; {disputed} disagreements, each adjudicated by a "
        f"third reading.\n\nExact-set agreement before adjudication (same tokens and same optional):\n\n"
        f"{agreement.to_markdown()}\n\nSymbols one reader made a token and the other did not, most often first: "
        f"{confusions or 'none'}.\n\n"
        f"Surfaces that could not be placed: {len(unplaced)}" + "".join(f"\n- {u}" for u in unplaced[:50]) + "\n",
        encoding="utf-8",
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run one of the commands above."""
    parser = argparse.ArgumentParser(prog="python -m model.training.label", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("draw", help="draw set d, set e and the training tweets, in that order, each clear of the ones before")
    p.add_argument("--seed", type=int, required=True, help="set d uses it, set e seed+1, training seed+2")
    p.add_argument("--out-dir", type=Path, required=True, help="gets <name>.packet.jsonl (what annotators read) and <name>.drawn.jsonl")
    p = sub.add_parser("disputes", help="the tweets two readers of a packet disagree on, with both readings, for a third reading")
    p.add_argument("packet", type=Path)
    p.add_argument("--readings", type=Path, required=True, help="folder of <packet>.A.jsonl and <packet>.B.jsonl")
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("settle", help="agreed and adjudicated readings of packets → one label file, and the agreement report")
    p.add_argument("--drawn", type=Path, required=True, help="the draw the packets were cut from (<name>.drawn.jsonl)")
    p.add_argument("--packets", type=Path, nargs="+", required=True)
    p.add_argument("--readings", type=Path, required=True, help="folder of <packet>.A/.B/.adjudicated.jsonl")
    p.add_argument("--kind", choices=("test", "training"), required=True, help="test: tokens/optional for eval; training: with spans")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--report", type=Path, required=True, help="agreement report (markdown)")
    p = sub.add_parser("review", help="a random sample of settled labels with their texts, for a fourth reader to check")
    p.add_argument("labels", type=Path)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("review-score", help="how many of the checked labels the fourth reader found wrong")
    p.add_argument("verdicts", type=Path)
    p = sub.add_parser("select", help="draw tweets to label (the earlier plans of sets a-c and the first hand labels)")
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
    if args.command == "draw":
        draw_all(args.seed, args.out_dir)
    elif args.command == "disputes":
        write_jsonl(disputes(args.packet, args.readings), args.out)
    elif args.command == "review":
        texts = {str(r["id"]): str(r["text"]) for r in materialize(args.labels)}  # ids joined as "<file>:<id>"
        write_jsonl(annotation.review_sample(read_jsonl(args.labels), texts, args.n, args.seed), args.out)
    elif args.command == "review-score":
        wrong, checked = annotation.error_rate(read_jsonl(args.verdicts))
        print(f"{wrong} of {checked} labels wrong ({wrong / max(1, checked):.1%})")
    elif args.command == "settle":
        settle_packets(args.drawn, args.packets, args.readings, args.kind, args.out, args.report)
    elif args.command == "select":
        write_jsonl(SELECTORS[args.purpose](args.seed), args.out)
    elif args.command == "merge":
        write_jsonl(testset.merge(read_jsonl(args.first), read_jsonl(args.second)), args.out)
    else:
        write_jsonl(materialize(FRESH_SETS[args.set]), args.out)


def run(argv: Sequence[str] | None = None) -> int:
    """:func:`main`, with bad input said in one line (exit 2) instead of a traceback."""
    try:
        main(argv)
    except (TrainingDataError, FileNotFoundError) as exc:
        print(f"python -m model.training.label: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(run())
