"""Hand-labelled training tweets: corpus tweets whose mentions a reader marked, the tagger's training data.

Silver labels the rules wrote would cap the tagger at the rules' own judgement. These tweets are labelled per LABELING.md by readers who never saw a backend's output; the project ships
only ``id``, ``file`` and the marked mentions (the corpus terms allow no copies of the text) and
:func:`records` joins them back to their texts as training :class:`~model.training.records.Record` s.

A label line marks *surfaces*: each distinct string of the tweet that names an asset, as written
(``"$wif"``, ``"mew"``, ``"#Bitcoin"``, ``"比特币"``), with the asset's symbol; ``optional`` surfaces are
borderline readings. Every bounded occurrence of a surface becomes a span; optional ones are left out
of the loss. A surface the text does not hold is counted, and its tweet dropped, never guessed at.

    python -m model.training.label select --for training --seed 33 --out pool.jsonl   # the shipped labels: seeds 31, 32
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from model.registry import default_registry
from model.training.annotation import Reading, place
from model.training.corpus import GOLD_LABELS, draw, materialize, used_keys
from model.training.records import Record

# Corpus file stem → tweets to draw for labelling; the crypto sources,
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


@dataclass
class GoldReport:
    """What :func:`records` kept and dropped."""

    tweets: int = 0
    spans: int = 0
    dropped: Counter = field(default_factory=Counter)  # reason → tweets


def select(seed: int, plan: dict[str, int] | None = None, data_dir: Path | None = None) -> list[dict[str, str]]:
    """``{id, file, text}`` rows to label: ``plan`` tweets per corpus file (default :data:`DRAW`), none
    of them used already (:func:`~model.training.corpus.used_keys`), half holding a word a token list
    knows, plus every Chinese tweet of those files."""
    registry = default_registry()

    def listed_word(text: str) -> bool:
        return any(registry.is_known(w) or w.casefold() in registry.major_names for w in _LISTED_WORD.findall(text))

    plan = plan or DRAW
    return draw(plan, seed, used_keys(data_dir), data_dir, hard=listed_word, all_chinese=plan)


def records(labels: Path = GOLD_LABELS, data_dir: Path | None = None) -> tuple[list[Record], GoldReport]:
    """The labelled tweets of ``labels`` as training records (source ``gold:<corpus>``), and the report.

    Surfaces become spans as :func:`~model.training.annotation.place` says: a mention is taught only where
    it stands bounded, an optional surface is left out of the loss wherever it occurs, even inside a word
    ("Bitcoin" of "Bitcoiners"). A tweet with a surface its text lacks is dropped and counted.
    """
    report = GoldReport()
    out = []
    for row in materialize(labels, data_dir):
        text = str(row["text"])
        reading = Reading(
            frozenset((str(s), str(sym)) for s, sym in row["mentions"]),  # type: ignore[attr-defined]
            frozenset((str(s), str(sym)) for s, sym in row["optional"]),  # type: ignore[attr-defined]
        )
        placement = place(text, reading)
        if placement.unplaced:
            report.dropped["surface_not_in_text"] += 1
            continue
        out.append(Record(text, [(s, e) for s, e, _ in placement.spans], f"gold:{row['src']}", placement.ignore, sorted(reading.tokens), sorted(reading.optional_tokens)))
        report.spans += len(placement.spans)
    report.tweets = len(out)
    return out, report
