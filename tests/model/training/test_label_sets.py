"""Every labelled set the project ships stands apart: dev, fresh sets a-e and the training labels share no
tweet, by id or by normalised text, and every id joins a tweet text in ../shared."""

from __future__ import annotations

from itertools import combinations

import pytest

from model.training.corpus import DATA_DIR, label_files, materialize, read_jsonl
from model.training.corpus import dedupe_key as key

pytestmark = pytest.mark.skipif(not (DATA_DIR / "corpus").is_dir(), reason="needs ../shared/data/corpus")


@pytest.fixture(scope="module")
def sets() -> dict[str, list[dict[str, object]]]:
    """Each shipped label file's rows with their texts joined (materialize raises on an id it cannot join),
    and dev's rows."""
    joined = {path.stem: materialize(path) for path in label_files() if path.exists()}
    joined["dev"] = [{**r, "id": str(r["id"]).rpartition(":")[2]} for r in read_jsonl(DATA_DIR / "dev" / "dev.jsonl")]
    return joined


def _tweet_ids(rows: list[dict[str, object]]) -> set[str]:
    """Ids that name one tweet wherever it stands: X's own (snowflake) ids; several corpus files number
    their rows instead, so a short id names a tweet only within its file."""
    ids = set()
    for r in rows:
        tweet_id = str(r["id"]).rpartition(":")[2]
        ids.add(tweet_id if len(tweet_id) >= 15 and tweet_id.isdigit() else f"{r.get('file', 'dev')}:{tweet_id}")
    return ids


def test_every_label_file_is_there_and_joins(sets: dict[str, list[dict[str, object]]]) -> None:
    assert {"fresh_d_labels", "fresh_e_labels", "gold_train_labels", "hand_train_labels"} <= set(sets)
    for name, rows in sets.items():
        assert len(_tweet_ids(rows)) == len(rows), f"{name} labels a tweet twice"
        assert all(str(r["text"]).strip() for r in rows), name


def test_no_two_sets_share_a_tweet(sets: dict[str, list[dict[str, object]]]) -> None:
    for (a, rows_a), (b, rows_b) in combinations(sorted(sets.items()), 2):
        assert not _tweet_ids(rows_a) & _tweet_ids(rows_b), f"{a} and {b} share a tweet id"
        assert not {key(str(r["text"])) for r in rows_a} & {key(str(r["text"])) for r in rows_b}, f"{a} and {b} share a text"


def test_shipped_training_spans_are_what_placement_gives() -> None:
    """The spans a training label ships are the ones its surfaces place to, so the file and the code agree."""
    from model.training.annotation import Reading, place
    from model.training.corpus import HAND_LABELS

    rows = materialize(HAND_LABELS)
    assert len(rows) >= 1000
    for row in rows:
        reading = Reading(frozenset(map(tuple, row["mentions"])), frozenset(map(tuple, row["optional"])))  # type: ignore[arg-type]
        placed = place(str(row["text"]), reading)
        assert [list(s) for s in placed.spans] == row["spans"], row["id"]
        assert sorted(row["tokens"]) == sorted(reading.tokens)  # type: ignore[arg-type]
