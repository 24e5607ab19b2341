import socket
from datetime import timedelta
from pathlib import Path

import pytest

from workers.cli import duration, main
from workers.ingest.x_replay import XReplayServer
from workers.settings import Settings, get_settings
from workers.store import FeedStore


@pytest.mark.parametrize(("text", "expected"), [("30s", timedelta(seconds=30)), ("15m", timedelta(minutes=15)), ("2d", timedelta(days=2))])
def test_duration(text: str, expected: timedelta) -> None:
    assert duration(text) == expected


def test_bad_duration_is_a_clear_cli_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["trending", "--window", "soon"])
    assert exited.value.code == 2
    assert "not a duration: 'soon'" in capsys.readouterr().err


def test_missing_file_is_a_clear_cli_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["extract", str(tmp_path / "nope.jsonl")])
    assert "no such file" in capsys.readouterr().err


def test_train_options_reach_the_training_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["train", "--help"])
    assert exited.value.code == 0
    assert "--output_dir" in capsys.readouterr().out


def test_unknown_options_of_other_commands_are_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["trending", "--bogus"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_unreachable_redis_is_a_clear_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.settings import get_settings

    monkeypatch.setenv("TT_REDIS_URL", "redis://user:hunter2@127.0.0.1:1/0")
    get_settings.cache_clear()
    try:
        assert main(["feed", "alice"]) == 3
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "cannot reach Redis (redis://***@127.0.0.1:1/0)" in err and "hunter2" not in err


@pytest.mark.parametrize(("flag", "value"), [("--firehose", "-5"), ("--accounts", "0"), ("--rate", "-1"), ("--rate", "nan")])
def test_impossible_ingest_numbers_are_clear_cli_errors(capsys: pytest.CaptureFixture[str], flag: str, value: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["ingest", "--firehose", "10", flag, value])
    assert exit_.value.code == 2
    assert value in capsys.readouterr().err


def test_up_with_a_port_taken_is_a_one_line_error(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A system Redis (or another checkout's stack) on the port: the script's reason and one line, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("TT_REDIS_PORT", str(port))
        monkeypatch.setenv("TT_RUN_DIR", str(tmp_path))
        get_settings.cache_clear()
        try:
            code = main(["up"])
        finally:
            get_settings.cache_clear()
    err = capfd.readouterr().err
    assert code == 4
    assert f"port {port} is taken" in err
    assert "tickertape up: ops/redis.sh start failed" in err and "Traceback" not in err


def test_replaying_a_missing_spill_file_is_a_clear_cli_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["ingest", "--replay-spill", str(tmp_path / "gone.jsonl")])
    assert exit_.value.code == 2
    assert "no such file" in capsys.readouterr().err


def test_follow_takes_a_file_or_names_not_both(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "follows.csv"
    path.write_text("user,account\nalice,cz_binance\n", encoding="utf-8")
    assert main(["follow", "alice", "vitalik", "--import", str(path)]) == 2
    assert "not both" in capsys.readouterr().err
    assert main(["follow", "alice"]) == 2
    assert "give USER and at least one ACCOUNT" in capsys.readouterr().err


def test_follow_import_of_a_bad_file_is_a_one_line_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "follows.csv"
    path.write_text("user,account\nalice,not a handle\n", encoding="utf-8")
    assert main(["follow", "--import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{path}:2: not a handle" in err


@pytest.mark.integration
def test_follow_from_x_reads_the_whole_following_list(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, settings: Settings, store: FeedStore
) -> None:
    fake = XReplayServer()
    fake.following["42"] = [f"Acct_{i}" for i in range(1500)]
    with fake.serving() as base:
        for name, value in (("TT_X_API_BASE", base), ("TT_X_BEARER_TOKEN", fake.token), ("TT_REDIS_PREFIX", settings.redis_prefix)):
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            assert main(["follow", "alice", "--from-x", "42"]) == 0
            monkeypatch.setenv("TT_X_BEARER_TOKEN", "revoked")
            get_settings.cache_clear()
            assert main(["follow", "alice", "--from-x", "42"]) == 5
        finally:
            get_settings.cache_clear()
    assert store.following("alice") == sorted(name.lower() for name in fake.following["42"])
    err = capsys.readouterr().err
    assert "1500 accounts followed by X user 42 read, 1500 new for alice" in err
    assert "the X API refused" in err and "HTTP 401" in err and "revoked" not in err


@pytest.mark.parametrize("source", ["--x-stream", "--x-timelines"])
def test_x_sources_without_a_token_are_a_one_line_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    monkeypatch.delenv("TT_X_BEARER_TOKEN", raising=False)
    monkeypatch.setenv("TT_KAFKA_PORT", "1")  # never reached: the token is checked first
    get_settings.cache_clear()
    try:
        assert main(["ingest", source]) == 2
    finally:
        get_settings.cache_clear()
    assert capsys.readouterr().err == 'tickertape ingest: set TT_X_BEARER_TOKEN to the X app\'s bearer token (README: "Live sources")\n'
