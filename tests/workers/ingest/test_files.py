from datetime import datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from workers.ingest.files import FieldMap, RecordMapper, parse_time, read_file
from workers.settings import REPO_ROOT

SHARED_CORPUS = REPO_ROOT.parent / "shared" / "data" / "corpus"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-07-28T00:05:00Z", datetime(2024, 7, 28, 0, 5, tzinfo=timezone.utc)),
        ("Sun Jul 06 20:59:50 +0000 2025", datetime(2025, 7, 6, 20, 59, 50, tzinfo=timezone.utc)),
        ("2019-11-02 05:32:40 IST", datetime(2019, 11, 2, 0, 2, 40, tzinfo=timezone.utc)),
        ("2021-10-28 06:07:54", datetime(2021, 10, 28, 6, 7, 54, tzinfo=timezone.utc)),
        (1_700_000_000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)),
        (1_700_000_000_000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)),
    ],
)
def test_parse_time_reads_the_formats_of_real_dumps(raw: object, expected: datetime) -> None:
    assert parse_time(raw) == expected


@pytest.mark.parametrize("raw", ["yesterday", "2021-10-28 06:07:54 XYZ", ""])
def test_parse_time_rejects_what_it_cannot_read(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_time(raw)


def test_read_file_marks_bad_lines_with_their_source(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": 1, "text": "a"}\n\nnot json\n[1, 2]\n', encoding="utf-8")
    records = list(read_file(path))
    assert [r.source for r in records] == ["t.jsonl:1", "t.jsonl:3", "t.jsonl:4"]
    assert records[0].record == {"id": 1, "text": "a"}
    assert records[1].record is None and records[1].error.startswith("not JSON")
    assert records[1].raw == "not json"
    assert records[2].error == "not JSON: not an object"


def test_read_file_reads_csv_with_mapped_fields(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("tweet_id,user,body,ts\n9,bob,long $ETH,2025-01-01 00:00:00\n", encoding="utf-8")
    (record,) = read_file(path)
    mapper = RecordMapper(FieldMap(id="tweet_id", author="user", text="body", created_at="ts"), id_prefix="csv")
    tweet = mapper.tweet(record.record, record.source)
    assert (tweet.id, tweet.author, tweet.text, record.source) == ("csv:9", "bob", "long $ETH", "t.csv:2")


def test_mapper_fills_and_rejects() -> None:
    mapper = RecordMapper(default_author="unknown")
    tweet = mapper.tweet({"id": 5, "author": "", "text": "hi", "created_at": ""}, "f:1")
    assert tweet.author == "unknown" and tweet.id == "5"
    assert tweet.created_at == tweet.ingested_at  # no time given: the send time
    with pytest.raises(ValueError, match="missing field 'id'"):
        mapper.tweet({"text": "hi"}, "f:2")
    with pytest.raises(ValidationError):
        mapper.tweet({"id": 1, "author": "a", "text": ""}, "f:3")
    with pytest.raises(ValueError, match="missing field 'author'"):
        RecordMapper().tweet({"id": 1, "text": "x"}, "f:4")


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="needs ../shared/data/corpus")
@pytest.mark.parametrize("name", sorted(p.name for p in SHARED_CORPUS.glob("*.jsonl")) if SHARED_CORPUS.is_dir() else [])
def test_every_shared_corpus_loads(name: str) -> None:
    """Real dumps map to tweets; the few broken rows (e.g. text spilled into the time column) are
    rejected with a reason, which the ingestor turns into dead letters."""
    mapper = RecordMapper(id_prefix=Path(name).stem, default_author="anonymous")
    total, bad = 0, []
    for record in read_file(SHARED_CORPUS / name):
        total += 1
        try:
            mapper.tweet(record.record, record.source)
        except (ValueError, ValidationError) as exc:
            bad.append(str(exc))
    assert total > 300
    assert len(bad) / total < 0.01, bad[:5]
