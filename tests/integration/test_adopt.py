"""The adoption path on a real engine: an unchanged compose file, an infra.yaml that includes it and
adds a probe and criteria, ``validator check`` (examples/adopt/)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import free_port

pytestmark = [pytest.mark.docker, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "adopt"


def _run(project, *args: str, port: int) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "WEB_IMAGE": project.image,
        "WEB_PORT": str(port),
        # Compose's own variable names the project: the fixture's unique name, so cleanup finds it.
        "COMPOSE_PROJECT_NAME": project.name,
    }
    return subprocess.run(
        [sys.executable, "-m", "validator", *args],
        cwd=project.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_check_on_an_included_compose_file(project):
    for name in ("docker-compose.yml", "infra.yaml"):
        shutil.copy(EXAMPLE / name, project.folder / name)
    port = free_port()
    done = _run(project, "check", "--no-progress", "--report", "json=r.json", port=port)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    data = json.loads((project.folder / "r.json").read_text())
    assert data["criteria"] == {"healthy-fast": "pass", "page-answers": "pass"}
    containers = project.containers()
    assert set(containers) == {"web"}
    assert containers["web"]["Labels"]  # labelled as the engine's own
    # The compose file alone is a spec too: plan on it sees the same stack, nothing to change.
    plan = _run(project, "plan", "-f", "docker-compose.yml", port=port)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert project.name in plan.stdout and "nothing to do" in plan.stdout
    down = _run(project, "down", port=port)
    assert down.returncode == 0, down.stdout + down.stderr
    assert project.containers() == {}
