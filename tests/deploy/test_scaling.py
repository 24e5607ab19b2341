"""Two workers in one group share the partitions and handle every tweet once (not timed)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from workers.settings import REPO_ROOT

pytestmark = pytest.mark.integration


def test_two_workers_split_the_partitions_and_handle_each_tweet_once() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "ops" / "bench_scaling.py"), "--workers", "2", "--tweets", "1200",
         "--partitions", "4", "--json"],
        capture_output=True, text=True, timeout=420,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["partitions_per_worker"] == [2, 2]
    assert all(n > 0 for n in figures["handled_per_worker"])
    # Once: every tweet stored, and the batch sizes both workers logged add up to the input.
    assert figures["stored"] == figures["handled"] == 1200
