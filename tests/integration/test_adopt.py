"""The adoption path on a real engine: an unchanged compose file, an infra.yaml that includes it and
adds a probe and criteria, ``validator check`` (examples/adopt/)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
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
    return project.cli(*args, env=env, timeout=240)


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


def test_a_compose_file_alone_with_its_dotenv(project):
    """up, check and down on the compose file itself; every variable (the project's name too) from its .env."""
    shutil.copy(EXAMPLE / "docker-compose.yml", project.folder / "docker-compose.yml")
    port = free_port()
    (project.folder / ".env").write_text(
        "# as a team keeps it\n"
        f"export WEB_IMAGE={project.image}\n"
        f"WEB_PORT='{port}'\n"
        f'COMPOSE_PROJECT_NAME="{project.name}"\n'
    )
    env = {k: v for k, v in os.environ.items() if k not in ("WEB_IMAGE", "WEB_PORT", "COMPOSE_PROJECT_NAME")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return project.cli(*args, env=env, timeout=240)

    up = run("up")  # no -f: the folder's docker-compose.yml, as Compose finds it
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-2000:]
    web = project.containers()["web"]
    assert [p.get("PublicPort") for p in web.get("Ports", [])] == [port]
    check = run("check", "-f", "docker-compose.yml", "--no-up", "--no-suites", "--no-progress")
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-2000:]
    down = run("down", "-f", "docker-compose.yml")
    assert down.returncode == 0, down.stdout + down.stderr
    assert project.containers() == {}
