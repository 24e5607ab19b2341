"""Follow-graph files for `tickertape follow --import`: both shapes, and every bad line named."""

from pathlib import Path

import pytest

from workers.follows import read_follows


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "follows"
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_rows_are_follows_in_stored_form_a_users_run_of_rows_at_a_time(tmp_path: Path) -> None:
    path = write(tmp_path, "user,account\n@Alice,CZ_Binance\nalice,vitalik\n\nbob,vitalik\nalice,saylor\n")
    assert list(read_follows(path)) == [("alice", ["cz_binance", "vitalik"]), ("bob", ["vitalik"]), ("alice", ["saylor"])]


def test_jsonl_lines_are_a_user_and_their_accounts(tmp_path: Path) -> None:
    path = write(tmp_path, '{"user": "alice", "accounts": ["cz_binance", "@Vitalik"]}\n\n{"user": "bob", "accounts": []}\n')
    assert list(read_follows(path)) == [("alice", ["cz_binance", "vitalik"]), ("bob", [])]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("account,user\nalice,bob\n", "follows:1: expected a 'user,account' header"),
        ("user,account\nalice,bob,carol\n", "follows:2: expected 2 fields"),
        ("user,account\nalice,bob\nbob,t:stats\n", "follows:3: not a handle: 't:stats'"),
        ('{"user": "alice", "accounts": ["a"]}\n{"user": "bob"\n', "follows:2: not JSON"),
        ('{"user": "alice", "accounts": "cz_binance"}\n', 'follows:1: expected {"user"'),
        ('{"user": "alice", "accounts": [7]}\n', "follows:1: not a handle: 7"),
    ],
)
def test_a_bad_line_is_named_with_its_number(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ValueError) as error:
        list(read_follows(write(tmp_path, text)))
    assert problem in str(error.value)
