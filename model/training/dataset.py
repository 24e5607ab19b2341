"""Training data, built reproducibly (seeded) from ``../shared/data``: gold + silver + generated + negatives.

* **Gold**: corpus tweets labelled by hand (:mod:`model.training.gold`); they take the place of their silver copies.
* **Silver**: real tweets of ``corpus/`` labelled by :class:`model.rules.RuleExtractor` (char spans),
  then cleaned by the rules below (each tested in ``tests/model/training/test_dataset.py``).
* **Generated**: :mod:`model.training.synth` hard cases, exact by construction.
* **Negatives**: ordinary tweets of ``tweeteval_general_negatives.jsonl``.
* **Split**: a seeded held-out slice of every source (``held_frac``), never the dev file.

``dev/dev.jsonl`` is only read to *exclude* corpus tweets that are (near) copies of dev tweets.

Cleaning rules:

1. ``valid_spans``: a mention must point at its own text (``text[start:end] == mention.text``);
   overlapping spans keep the first, longest one.
2. ``dedupe_key``: tweets are deduplicated on a normalized key (case, URLs, handles, ``RT``, digits,
   punctuation removed), which folds retweets and bot copies; the same key excludes dev look-alikes.
3. ``lse_stock_rule``: in cashtag-collision tweets labelled London-listed (``lse_company_label`` 1) a
   cashtag is a company, so only major crypto assets keep their span.
4. ``negative_rule``: in the general-tweet negatives only firm mentions of major assets (cashtags,
   hashtags, names, Chinese names) survive; bare tickers there are everyday words or shouting.
5. ``uncertain_regions``: in silver tweets, all-caps words the registry knows as symbols that the
   rules did *not* tag (they need context the rules did not find) are left out of the loss (-100)
   rather than taught as "not a mention": the rules lean to precision, so an untagged ``SEI`` in a
   crypto tweet is more likely a miss than a negative.
6. Length: texts under 3 or over 1,000 characters are dropped.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from model.registry import default_registry
from model.rules import RuleExtractor
from model.spans import Span, first_longest, overlaps_any
from model.training import gold
from model.training.corpus import DATA_DIR, TRAINING_LABELS, dedupe_key, dev_keys, read_jsonl
from model.training.records import Record
from model.training.synth import generate
from schemas import MentionKind, TokenMention

# Silver sources: file stem → (short name, rows to sample; None = all)
SILVER = {
    "founders_2023_2026": ("founders", 2500),
    "memecoins_2024_2025": ("memecoins", None),
    "cryptop12_2017_2021_sample": ("cryptop12", 1500),
    "afirrk_2021": ("afirrk", 400),
    "vavabramov_2021": ("vavabramov", 400),
    "ads509_accounts": ("ads509", 300),
    "cashtag_collision_2018": ("cashtag2018", None),
    "telegram_pump_messages": ("telegram", 300),
}
NEGATIVES = ("tweeteval_general_negatives", "tweeteval", 1500)

_CAPS_WORD = re.compile(r"(?<![\w$#@])([A-Z][A-Z0-9]{1,9})(?![\w])")


def valid_spans(text: str, mentions: Sequence[TokenMention]) -> list[TokenMention]:
    """Mentions that point at their own text, without overlaps (first-longest wins)."""
    ok = [m for m in mentions if 0 <= m.start < m.end <= len(text) and text[m.start : m.end] == m.text]
    return first_longest(ok, lambda m: (m.start, m.end))


def lse_stock_rule(mentions: Sequence[TokenMention], lse_label: object, majors: Iterable[str]) -> list[TokenMention]:
    """Drop non-major cashtags from tweets labelled as about a London-listed company."""
    if str(lse_label) != "1":
        return list(mentions)
    majors = set(majors)
    return [m for m in mentions if m.kind is not MentionKind.CASHTAG or m.symbol in majors]


FIRM_KINDS = {MentionKind.CASHTAG, MentionKind.HASHTAG, MentionKind.NAME, MentionKind.ZH_NAME}


def negative_rule(mentions: Sequence[TokenMention], majors: Iterable[str]) -> list[TokenMention]:
    """In general tweets keep only firm mentions of major assets."""
    majors = set(majors)
    return [m for m in mentions if m.kind in FIRM_KINDS and m.symbol in majors]


def uncertain_regions(text: str, mentions: Sequence[TokenMention], is_known: Callable[[str], bool]) -> list[Span]:
    """All-caps known symbols the rules left untagged, in tweets where the rules found something."""
    if not mentions:
        return []
    taken = [(m.start, m.end) for m in mentions]
    return [m.span(1) for m in _CAPS_WORD.finditer(text) if not overlaps_any(m.span(1), taken) and is_known(m.group(1))]


def keep_length(text: str) -> bool:
    """Whether ``text`` is long enough to say something and short enough to be a tweet."""
    return 3 <= len(text.strip()) <= 1000


def _sample(rows: list[dict], n: int | None, rng: random.Random) -> list[dict]:
    if n is None or n >= len(rows):
        return rows
    return rng.sample(rows, n)


@dataclass
class BuildReport:
    sizes: dict[str, int] = field(default_factory=dict)  # source → examples kept
    dropped: Counter = field(default_factory=Counter)  # reason → count
    spans: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"sizes": self.sizes, "dropped": dict(self.dropped), "spans": self.spans}


def build_records(
    seed: int = 13, synth_n: int = 4500, scale: float = 1.0, data_dir: Path | None = None, rich: bool = False, gold_repeat: int = 1
) -> tuple[list[Record], BuildReport]:
    """Every training record (before the split), and what was kept and dropped.

    ``gold_repeat``: how many times each hand-labelled tweet is seen per epoch (0 leaves them out).
    """
    data_dir = data_dir or DATA_DIR
    registry = default_registry()
    majors = registry.major_symbols
    rules = RuleExtractor(registry)
    rng = random.Random(seed)
    exclude = dev_keys(data_dir / "dev" / "dev.jsonl")
    seen: set[str] = set()
    report = BuildReport()
    records: list[Record] = []

    def admit(text: str) -> bool:
        if not keep_length(text):
            report.dropped["length"] += 1
            return False
        key = dedupe_key(text)
        if key in exclude:
            report.dropped["dev_lookalike"] += 1
            return False
        if key in seen:
            report.dropped["duplicate"] += 1
            return False
        seen.add(key)
        return True

    for labels in TRAINING_LABELS if gold_repeat else ():
        if labels.exists():
            golden, gold_report = gold.records(labels, data_dir)
            report.dropped.update({f"gold_{reason}": n for reason, n in gold_report.dropped.items()})
            golden = [r for r in golden if admit(r.text)]
            records += golden * gold_repeat

    corpus = data_dir / "corpus"
    for stem, (name, n) in list(SILVER.items()) + [(NEGATIVES[0], (NEGATIVES[1], NEGATIVES[2]))]:
        rows = read_jsonl(corpus / f"{stem}.jsonl")
        rows = _sample(rows, None if n is None else int(n * scale), rng)
        rows = [r for r in rows if isinstance(r.get("text"), str) and admit(r["text"])]
        found = rules.extract_batch([r["text"] for r in rows])
        for row, mentions in zip(rows, found):
            text = row["text"]
            clean = valid_spans(text, mentions)
            if len(clean) != len(mentions):
                report.dropped["bad_or_overlapping_span"] += len(mentions) - len(clean)
            if name == "cashtag2018":
                clean = lse_stock_rule(clean, row.get("lse_company_label"), majors)
            ignore: list[tuple[int, int]] = []
            if name == "tweeteval":
                kept = negative_rule(clean, majors)
                report.dropped["negative_span"] += len(clean) - len(kept)
                clean = kept
            else:
                ignore = uncertain_regions(text, clean, registry.is_known)
            records.append(Record(text, [(m.start, m.end) for m in clean], f"silver:{name}" if name != "tweeteval" else "negatives:tweeteval", ignore, [m.symbol for m in clean]))

    for ex in generate(int(synth_n), seed=seed, rich=rich):
        if dedupe_key(ex.text) in exclude:
            report.dropped["dev_lookalike"] += 1
            continue
        records.append(Record(ex.text, list(ex.spans), ex.source, [], list(ex.symbols)))

    report.sizes = dict(Counter(r.source for r in records))
    report.spans = dict(Counter({r.source: 0 for r in records}) + Counter(r.source for r in records for _ in r.spans))
    return records, report
