"""The outside review of the graph executor (adversary graph5), cases 08 and 02: a kept container
(``up`` gives it no step) judged by one earlier look. Each on a real engine, each passing the broken
service on the code reviewed:

- 08: ``up`` kept ``loop`` as it found it and reported it ready from the observation made before the
  walk, though it died during the walk (while another service's recreate waited out its stop).
- 02: a kept container in a steady crash loop (restarted by its policy, every ~14 s) reported
  ``restarts`` 0: the engine's RestartCount, the restarts before the run, was never counted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _write(project: Any, services: dict[str, Any], **extra: Any) -> None:
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services, **extra)))


def _container(project: Any, service: str) -> str:
    return str(project.containers()[service]["Id"])


def test_case08_a_kept_service_that_dies_during_up_fails_up(project):
    """08: ``loop`` is kept; ``slowstop`` is recreated and its stop takes its whole grace (PID 1 ignores
    SIGTERM). ``loop`` exits 1 in that window (on cue) and nothing restarts it. up said "all services
    ready" (exit 0) from the look before the walk; it now fails ``loop``, naming its state."""
    loop = {
        "image": project.image,
        "command": ["sh", "-c", "while [ ! -f /tmp/crash ]; do sleep 0.1; done; echo 'lost its lease' >&2; exit 1"],
        "stop_grace_period": "1s",
    }
    slowstop = {"image": project.image, "command": ["sh", "-c", "trap '' TERM; sleep 3600"], "stop_grace_period": "6s"}
    _write(project, {"loop": loop, "slowstop": {**slowstop, "environment": {"ROUND": "1"}}})
    assert project.cli("up", "-q", timeout=120).returncode == 0
    loop_id = _container(project, "loop")
    _write(project, {"loop": loop, "slowstop": {**slowstop, "environment": {"ROUND": "2"}}})
    up = subprocess.Popen(
        [sys.executable, "-m", "validator", "up", "--timeout", "60"],
        cwd=project.folder,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert up.stdout is not None
        for line in up.stdout:  # bounded: up ends (its --timeout), and so does its output
            lines.append(line)
            if "slowstop: recreating" in line:
                break
        # the old slowstop is stopping (6 s): loop dies now, with no policy to bring it back
        project.engine.api.exec_start(project.engine.api.exec_create(loop_id, ["touch", "/tmp/crash"]))
        lines.extend(up.stdout)
        code = up.wait(timeout=180)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait(timeout=10)
    out = "".join(lines)
    assert project.engine.inspect(loop_id)["State"]["Status"] == "exited", out  # the premise
    assert code == 1, out[-3000:]
    assert "NOT READY" in out and "all services ready" not in out, out
    assert "loop: failed: kept as it was, but by the end of up it is exited (exit code 1)" in out, out
    assert _container(project, "loop") == loop_id  # judged, not touched
