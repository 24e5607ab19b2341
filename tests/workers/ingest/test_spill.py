import threading
from pathlib import Path

import pytest

from workers.ingest.spill import SpilledRecord, SpillFile, read_spill


def record(n: int) -> SpilledRecord:
    return SpilledRecord(topic="tweets", key="alice", value=f'{{"id":"t{n}","text":"gm $BTC 大饼"}}',
                         record_id=f"t{n}", reason="not acknowledged within 120 s")


def test_a_spill_file_reads_back_what_was_written_byte_for_byte(tmp_path: Path) -> None:
    spill = SpillFile(tmp_path / "spill" / "run.jsonl")
    assert not spill.path.exists()  # created only when something fails
    for n in range(3):
        spill.write(record(n))
    spill.close()
    assert list(read_spill(spill.path)) == [record(n) for n in range(3)]
    assert spill.written == 3


def test_writes_from_several_threads_stay_whole_lines(tmp_path: Path) -> None:
    spill = SpillFile(tmp_path / "run.jsonl")
    threads = [threading.Thread(target=lambda k=k: [spill.write(record(k * 1000 + n)) for n in range(200)]) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spill.close()
    assert sorted(r.record_id for r in read_spill(spill.path)) == sorted(f"t{k * 1000 + n}" for k in range(4) for n in range(200))


def test_runs_get_files_of_their_own(tmp_path: Path) -> None:
    assert SpillFile.for_run(tmp_path).path.parent == tmp_path
    assert SpillFile.for_run(tmp_path).path.name.startswith("ingest-")


@pytest.mark.parametrize(("line", "reason"), [("{oops", "not JSON"), ('{"topic": "tweets"}', "key: Field required")])
def test_a_line_that_is_no_spilled_record_names_its_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text(record(1).model_dump_json() + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"run.jsonl:2: not a spilled record: {reason}"):
        list(read_spill(path))
