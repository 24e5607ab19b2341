"""ops/ scripts' choices that a second local stack relies on, checked without starting a broker."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from workers.settings import REPO_ROOT


def test_the_kafka_controller_port_follows_the_client_port(tmp_path: Path) -> None:
    """A second stack sets only TT_KAFKA_PORT: its controller must not collide with the first's 9093."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        controller = held.getsockname()[1]
        with socket.socket() as probe:  # the client port itself must be free, or the script stops earlier
            probe.bind(("127.0.0.1", controller - 1))
        stamp = tmp_path / "kafka" / "libs" / ".pom.sha256"
        stamp.parent.mkdir(parents=True)
        stamp.write_text("jars present\n")
        env = {**os.environ, "TT_RUN_DIR": str(tmp_path), "TT_KAFKA_PORT": str(controller - 1)}
        env.pop("TT_KAFKA_CONTROLLER_PORT", None)
        done = subprocess.run([str(REPO_ROOT / "ops" / "kafka.sh"), "start"], env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert f"controller port {controller} is taken" in done.stderr
