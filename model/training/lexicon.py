"""The labelled-surfaces table: what the hand labels say a written surface names, where the registry says otherwise.

The registry maps surfaces to symbols from token lists, and the lists lag what people write: "$SHIBA" is
SHIB, "$BTCUSD" is BTC, "MIOTA" is IOTA, "Apollo Currency" is APL, "eth2" is ETH, and a new token's name
("Nintcoin") is in no list at all. The readers of the training labels decided each of those. This table
keeps, for every surface the resolver reads differently from them, the symbol they gave it — only where
they agree with themselves (at least :data:`MIN_SHARE` of the surface's uses), so one reader's slip does
not become policy. Built from the training labels only (never dev or a fresh set)::

    python -m model.training.lexicon            # writes model/assets/surfaces.json
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from model.registry import SURFACES_PATH, Registry
from model.resolver import read_surface
from model.training.corpus import TRAINING_LABELS, read_jsonl

MIN_SHARE = 0.75  # of a surface's labelled uses that must give it one symbol


def labelled_pairs(rows: Iterable[dict]) -> Counter:
    """(surface, symbol) → how many label rows mark that surface as naming that symbol."""
    pairs: Counter = Counter()
    for row in rows:
        for surface, symbol in {(str(s), str(sym)) for s, sym in row.get("mentions", [])}:
            pairs[surface, symbol] += 1
    return pairs


def build(pairs: Counter, registry: Registry) -> dict[str, str]:
    """Casefolded surface → symbol, for the surfaces whose labelled symbol the registry alone misses."""
    by_surface: dict[str, Counter] = defaultdict(Counter)
    written: dict[str, set[str]] = defaultdict(set)  # the casings each surface was written in
    for (surface, symbol), n in pairs.items():
        by_surface[surface.casefold()][symbol] += n
        written[surface.casefold()].add(surface)
    table = {}
    for key, symbols in sorted(by_surface.items()):
        symbol, n = symbols.most_common(1)[0]
        if symbol.startswith("CA:") or n < MIN_SHARE * sum(symbols.values()):
            continue  # an unlisted address is named by its tweet; a split vote is no policy
        if any((got := read_surface(surface, registry)) is None or got[0] != symbol for surface in written[key]):
            table[key] = symbol
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model.training.lexicon", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SURFACES_PATH, help=f"where the table goes (default: {SURFACES_PATH})")
    args = parser.parse_args(argv)
    registry = Registry.load(surfaces=None)  # the lists alone: the table holds what they miss
    table = build(labelled_pairs(row for labels in TRAINING_LABELS for row in read_jsonl(labels)), registry)
    args.out.write_text(json.dumps(table, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(table)} surfaces → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
