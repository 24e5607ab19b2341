"""Hand-labelled training tweets: corpus tweets whose mentions a reader marked, replacing the rules' silver labels.

The tagger learns from silver labels the rules wrote, which caps it at the rules' own judgement. These
tweets are labelled per LABELING.md by readers who never saw a backend's output; the project ships
only ``id``, ``file`` and the marked mentions (the corpus terms allow no copies of the text) and
:func:`records` joins them back to their texts as training :class:`~model.dataset.Record` s.

A label line marks *surfaces*: each distinct string of the tweet that names an asset, as written
(``"$wif"``, ``"mew"``, ``"#Bitcoin"``, ``"比特币"``), with the asset's symbol; ``optional`` surfaces are
borderline readings. Every bounded occurrence of a surface becomes a span; optional ones are left out
of the loss. A surface the text does not hold is counted, and its tweet dropped, never guessed at.

    python -m model.gold select --seed 33 --out pool.jsonl   # tweets to label (the shipped labels: seeds 31, 32)
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from model.dataset import Record, dedupe_key, dev_keys, read_jsonl
from model.synth import DATA_DIR
from model.testset import LABELS as TEST_LABELS
from model.testset import materialize

LABELS = Path(__file__).parent / "assets" / "gold_train_labels.jsonl"
# Corpus file stem → tweets to draw for labelling; the crypto sources the silver labels come from,
# weighted to where the rules err most (2017-21 hashtag blocks, memecoin-era prose), plus ordinary
# tweets holding everyday words that are also tickers.
DRAW = {
    "founders_2023_2026": 330,
    "memecoins_2024_2025": 120,
    "cryptop12_2017_2021_sample": 330,
    "afirrk_2021": 120,
    "vavabramov_2021": 90,
    "ads509_accounts": 90,
    "telegram_pump_messages": 40,
    "tweeteval_general_negatives": 80,
}
# Half of each draw comes from tweets holding a word a token list knows that is no cashtag: the bare
# tickers, names and hashtags where context decides and the rules are least sure.
_LISTED_WORD = re.compile(r"(?<![\w$])#?([A-Za-z][A-Za-z0-9]{1,14})\b")
_EVERYDAY = re.compile(r"\b(near|one|link|gas|ip|sol|ada|dot|atom|ape|cake|sand|sun|doge|trump|uni|op|gm)\b", re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
# A surface is bounded when no letter or digit touches it ("sol" is not in "solana"); CJK is unbounded.
_WORDISH = re.compile(r"[A-Za-z0-9]")


@dataclass
class GoldReport:
    """What :func:`records` kept and dropped."""

    tweets: int = 0
    spans: int = 0
    dropped: Counter = field(default_factory=Counter)  # reason → tweets


def select(seed: int, draw: dict[str, int] | None = None, data_dir: Path | None = None) -> list[dict[str, str]]:
    """``{id, file, text}`` rows to label: ``draw`` tweets per corpus file, none a (near) copy of a dev
    tweet or of one already labelled (test sets, these labels), half of them holding a word a token list
    knows, plus every Chinese tweet of those files."""
    from model.registry import default_registry

    data_dir = data_dir or DATA_DIR
    registry = default_registry()
    taken = dev_keys(data_dir / "dev" / "dev.jsonl")
    for path in [*TEST_LABELS.values(), LABELS]:
        if path.exists():
            taken |= {dedupe_key(str(r["text"])) for r in materialize(path, data_dir)}

    def listed_word(text: str) -> bool:
        return any(registry.is_known(w) or w.casefold() in registry.major_names for w in _LISTED_WORD.findall(text))

    rng = random.Random(seed)
    out = []
    for stem, n in (draw or DRAW).items():
        rows = [r for r in read_jsonl(data_dir / "corpus" / f"{stem}.jsonl") if isinstance(r.get("text"), str)]
        fresh = [r for r in rows if 20 <= len(r["text"]) <= 1000 and dedupe_key(r["text"]) not in taken]
        if stem.startswith("tweeteval"):
            fresh = [r for r in fresh if _EVERYDAY.search(r["text"])]
        hard = [r for r in fresh if listed_word(r["text"])]
        chosen = rng.sample(hard, min(n // 2, len(hard)))
        ids = {id(r) for r in chosen}
        rest = [r for r in fresh if id(r) not in ids]
        chosen += rng.sample(rest, min(n - len(chosen), len(rest)))
        chosen += [r for r in rest if _CJK.search(r["text"]) and r not in chosen]  # Chinese is rare: all of it
        for r in chosen:
            key = dedupe_key(r["text"])
            if key in taken:
                continue  # a copy of a tweet drawn already
            taken.add(key)
            out.append({"id": str(r["id"]), "file": stem, "text": r["text"]})
    return out


def occurrences(text: str, surface: str, bounded: bool = True) -> Iterator[tuple[int, int]]:
    """Every occurrence of ``surface`` in ``text`` as (start, end); ``bounded``: only those no letter or
    digit touches."""
    start = text.find(surface)
    while start >= 0:
        end = start + len(surface)
        glued = (start and _WORDISH.match(surface[0]) and _WORDISH.match(text[start - 1])) or (
            _WORDISH.match(surface[-1]) and _WORDISH.match(text, end)
        )
        if not (bounded and glued):
            yield start, end
        start = text.find(surface, start + 1)


def records(labels: Path = LABELS, data_dir: Path | None = None) -> tuple[list[Record], GoldReport]:
    """The labelled tweets of ``labels`` as training records (source ``gold:<corpus>``), and the report.

    An optional surface is left out of the loss wherever it occurs, even inside a word ("Bitcoin" of
    "Bitcoiners"); a mention is taught only where it stands bounded.
    """
    report = GoldReport()
    out = []
    for row in materialize(labels, data_dir):
        text = str(row["text"])
        mentions = [list(occurrences(text, surface)) for surface, _ in row["mentions"]]  # type: ignore[attr-defined]
        optional = [list(occurrences(text, surface, bounded=False)) for surface, _ in row["optional"]]  # type: ignore[attr-defined]
        if not all(mentions) or not all(optional):
            report.dropped["surface_not_in_text"] += 1
            continue
        spans = _first_longest([span for found in mentions for span in found])
        ignore = [o for found in optional for o in found if not any(o[0] < e and o[1] > s for s, e in spans)]
        symbols = sorted({symbol for _, symbol in row["mentions"]})  # type: ignore[attr-defined]
        out.append(Record(text, spans, f"gold:{row['src']}", ignore, symbols))
        report.spans += len(spans)
    report.tweets = len(out)
    return out, report


def _first_longest(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` without overlaps: a longer surface holding a shorter one ("$SOL" over "SOL") wins."""
    kept: list[tuple[int, int]] = []
    for s, e in sorted(set(spans), key=lambda p: (p[0], -(p[1] - p[0]))):
        if not kept or s >= kept[-1][1]:
            kept.append((s, e))
    return kept


def _write(rows: Sequence[dict[str, object]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m model.gold", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("select", help="draw tweets to label for training")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, required=True)
    args = parser.parse_args(argv)
    _write(select(args.seed), args.out)


if __name__ == "__main__":
    main()
