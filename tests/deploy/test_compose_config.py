"""docker-compose.yml (and its GPU override) are valid compose files: checked without a Docker engine."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from workers.settings import REPO_ROOT

COMPOSE = shutil.which("docker-compose")


@pytest.fixture(autouse=True)
def _compose_installed() -> None:
    # ops/setup.sh installs it: missing is a set-up failure, not a reason to skip.
    assert COMPOSE, "docker-compose is not installed (ops/setup.sh installs it)"


@pytest.mark.parametrize("files", [["docker-compose.yml"], ["docker-compose.yml", "docker-compose.gpu.yml"]])
def test_compose_config_is_valid(files: list[str]) -> None:
    args = [a for f in files for a in ("-f", f)]
    done = subprocess.run([COMPOSE, *args, "config", "-q"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_gpu_override_reserves_a_gpu_per_worker() -> None:
    done = subprocess.run([COMPOSE, "-f", "docker-compose.yml", "-f", "docker-compose.gpu.yml", "config"],
                          cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    worker = yaml.safe_load(done.stdout)["services"]["worker"]
    assert worker["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    assert worker["build"]["dockerfile"] == "Dockerfile.worker"
