"""The labelled-surfaces table: what readers agree a surface names, where the registry reads it otherwise."""

from __future__ import annotations

import json
from collections import Counter

from model.registry import SURFACES_PATH, Registry
from model.resolver import read_surface
from model.training.lexicon import MIN_SHARE, build, labelled_pairs


def test_pairs_count_each_row_once():
    rows = [{"mentions": [["$SHIBA", "SHIB"], ["$SHIBA", "SHIB"]]}, {"mentions": [["$shiba", "SHIB"]]}]
    assert labelled_pairs(rows) == Counter({("$SHIBA", "SHIB"): 1, ("$shiba", "SHIB"): 1})


def test_table_keeps_only_agreed_surfaces_the_registry_misreads():
    plain = Registry.load(surfaces=None)
    pairs = Counter({
        ("$SHIBA", "SHIB"): 3,  # the registry reads SHIBA: kept
        ("$BTC", "BTC"): 9,  # the registry already agrees: left out
        ("Nintcoin", "NINT"): 1,  # a new token's name: kept
        ("#Nano", "XNO"): 2, ("#nano", "NANO"): 2,  # readers split (one casefolded surface): no policy
        ("0xabc", "CA:0xabc"): 2,  # an unlisted address is named by its tweet
    })
    table = build(pairs, plain)
    assert table == {"$shiba": "SHIB", "nintcoin": "NINT"}
    assert MIN_SHARE > 0.5


def test_the_shipped_table_is_what_the_resolver_reads_first():
    shipped = json.loads(SURFACES_PATH.read_text(encoding="utf-8"))
    assert len(shipped) > 100 and all(k == k.casefold() and v == v.upper() for k, v in shipped.items())
    registry = Registry.load()
    surface, symbol = next(iter(sorted(shipped.items())))
    assert registry.symbol_for_surface(surface.upper()) == symbol
    got = read_surface(surface, registry)
    assert got is not None and got[0] == symbol
    assert Registry.load(surfaces=None).symbol_for_surface(surface) is None
    assert Registry.load(surfaces=None).with_surfaces({"x": "Y"}).symbol_for_surface("X") == "Y"
