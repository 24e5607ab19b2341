"""Which corpus tweets get labelled: the seeded plans behind fresh sets d and e and the training labels.

Three plans, drawn in this order so that each keeps clear of what came before (and of dev and every
shipped label file, :func:`~model.training.corpus.used_keys`):

* **Set d** (:data:`STREAM_PLAN`): tweets at random from every corpus file, mixed as a stream of
  followed accounts is: mostly crypto accounts, one in five ordinary tweets. The yardstick of accuracy
  as users meet it.
* **Set e** (:data:`HARD_KINDS`): the kinds where extraction is won or lost, an equal share each.
* **Training** (:data:`TRAINING`): a stream mix plus every hard kind over-sampled, in one seeded
  order; annotation proceeds through it packet by packet, so each packet keeps the mix.

Each drawn row carries its ``kind`` ("stream" or a hard kind), which the agreement report breaks down by.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from model.registry import default_registry
from model.training.corpus import (
    EVERYDAY_TICKERS,
    corpus_rows,
    dedupe_key,
    draw,
    eligible,
    is_chinese,
)

#: Set d: tweets per corpus file. Weighted like the stream users follow, not like the corpus files'
#: sizes (the 2017-21 coin searches and the ordinary tweets would swamp everything else): founders and
#: traders, the coin searches, the 2021 bot-heavy streams, pump channels, and ordinary tweets (one in
#: five) drawn at random, not for their everyday words. Every memecoin-era and cashtag-collision tweet
#: trained the earlier, rule-labelled tagger (silver labels), so those files had none left to draw.
STREAM_PLAN: dict[str, int] = {
    "founders_2023_2026": 70,
    "cryptop12_2017_2021_sample": 135,
    "afirrk_2021": 45,
    "vavabramov_2021": 35,
    "ads509_accounts": 35,
    "telegram_pump_messages": 30,
    "tweeteval_general_negatives": 90,
}

# Bare words whose ticker is also an everyday word, or that crypto writes in lower case.
_LOWER_TICKERS = r"near|one|link|op|sol|wif|gas|ena|ip|sui|ton|uni|ape|sand|cake|dot|atom|ada|doge|pepe|bonk|jup|eth|btc|xrp|gm"
_BARE_TICKER = re.compile(rf"(?<![\w$#@])(?:{_LOWER_TICKERS})(?![\w])", re.IGNORECASE)
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z][A-Za-z0-9]{0,9})\b")
_HASHTAG = re.compile(r"(?<![\w#])#\w+")
_COIN_WORDS = r"btc|bitcoin|eth|ether|sol|solana|doge|pepe|shib|xrp|bnb|ada|link|crypto"
_HANDLE_OR_TAG_WITH_COIN = re.compile(rf"[@#]\w*?(?:{_COIN_WORDS})\w*", re.IGNORECASE)
_NEW_TOKEN_WORDS = re.compile(r"\b(?:new|launch\w*|stealth|fair ?launch|presale|just aped|gem)\b", re.IGNORECASE)
_CAPS_WORD = re.compile(r"(?<![\w$#@])[A-Z][A-Z0-9]{2,9}(?![\w])")


@cache
def _name_pattern() -> re.Pattern[str]:
    """Names of major assets that are words of their own ("Nano", "VeChain"), as whole words."""
    names = sorted((n for n in default_registry().major_names if len(n) >= 4 and n.isascii()), key=len, reverse=True)
    return re.compile(r"(?<![\w$#@])(?:" + "|".join(map(re.escape, names)) + r")(?![\w])", re.IGNORECASE)


def _stock_and_coin_cashtags(text: str) -> bool:
    registry = default_registry()
    tags = {m.upper() for m in _CASHTAG.findall(text)}
    return bool(tags & registry.stock_tickers) and bool(tags & registry.major_symbols)


def _new_token_without_sigil(text: str) -> bool:
    registry = default_registry()
    unknown = [w for w in _CAPS_WORD.findall(text) if not registry.is_known(w) and w not in registry.not_tickers]
    return bool(unknown) and bool(_NEW_TOKEN_WORDS.search(text))


#: Set e's kinds, each with what a tweet of that kind holds. Order matters: a tweet counts for the first
#: kind it fits that still has room.
HARD_KINDS: dict[str, Callable[[str], bool]] = {
    "chinese": is_chinese,
    "everyday_or_lower_ticker": lambda t: bool(_BARE_TICKER.search(t)),
    "name_without_sigil": lambda t: bool(_name_pattern().search(t)) and "$" not in t,
    "stock_and_coin_cashtags": _stock_and_coin_cashtags,
    "hashtag_list": lambda t: len(_HASHTAG.findall(t)) >= 4,
    "handle_or_tag_with_coin": lambda t: bool(_HANDLE_OR_TAG_WITH_COIN.search(t)),
    "new_token_without_sigil": _new_token_without_sigil,
    "ordinary_everyday_words": lambda t: bool(EVERYDAY_TICKERS.search(t)),
}
#: Every corpus file, the pool the hard kinds are drawn from.
CORPUS_FILES = (*STREAM_PLAN, "memecoins_2024_2025", "cashtag_collision_2018")
#: Where ordinary tweets come from: the one file of the non-crypto world.
ORDINARY = "tweeteval_general_negatives"


@dataclass(frozen=True)
class Plan:
    """A draw: ``stream`` tweets per corpus file at random, then ``per_kind`` tweets of each hard kind."""

    stream: Mapping[str, int]
    per_kind: Mapping[str, int]


SET_D = Plan(stream=STREAM_PLAN, per_kind={})
SET_E = Plan(stream={}, per_kind={kind: 40 for kind in HARD_KINDS})
#: The training draw: over 15,000 tweets, the stream mix scaled up and every hard kind over-sampled
#: (for Chinese that is whatever the corpus has left: a few dozen of its 236).
TRAINING = Plan(
    stream={stem: n * 26 for stem, n in STREAM_PLAN.items()},
    per_kind={"chinese": 2000, "everyday_or_lower_ticker": 1500, "name_without_sigil": 700, "stock_and_coin_cashtags": 300,
              "hashtag_list": 700, "handle_or_tag_with_coin": 500, "new_token_without_sigil": 400, "ordinary_everyday_words": 500},
)


def draw_plan(plan: Plan, seed: int, taken: set[str], data_dir: Path | None = None) -> list[dict[str, str]]:
    """``{id, file, text, kind}`` rows as ``plan`` says, seeded, none a copy of a tweet in ``taken`` (which
    grows by what is drawn), in a seeded random order so that any leading slice keeps the mix."""
    rows = [{**r, "kind": "stream"} for r in draw(plan.stream, seed, taken, data_dir, everyday_negatives=False)]
    rng = random.Random(seed)
    pool = [(stem, r) for stem in CORPUS_FILES for r in eligible(corpus_rows(stem, data_dir), taken)]
    rng.shuffle(pool)
    for kind, n in plan.per_kind.items():
        fits = HARD_KINDS[kind]
        picked = 0
        for stem, r in pool:
            if picked >= n:
                break
            if kind == "ordinary_everyday_words" and stem != ORDINARY:
                continue
            key = dedupe_key(r["text"])
            if key in taken or not fits(r["text"]):
                continue
            taken.add(key)
            rows.append({"id": str(r["id"]), "file": stem, "text": r["text"], "kind": kind})
            picked += 1
    rng.shuffle(rows)
    return rows
