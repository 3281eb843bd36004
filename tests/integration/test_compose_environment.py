"""What reaches the container's environment, `docker compose up` beside `validator up` on one engine.

An image with its own ``IMGVAR``; a service passing ``IMGVAR`` through while it is set nowhere (both
tools send it bare, so the image's value is removed), a pass-through ``FROM_DOTENV`` set only in
``.env``, an env file whose ``${INTERP}`` comes from ``.env``, and a raw env file. Both containers'
``Config.Env`` and the environment a process inside sees are equal.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from validator.engine import labels as L
from validator.engine.compose_observe import SERVICE, compose_filter

pytestmark = pytest.mark.docker


@pytest.fixture
def image_with_env(busybox):
    """A local image whose own environment sets IMGVAR (removed when the test ends)."""
    tag = f"vt-envimg-{uuid.uuid4().hex[:8]}:latest"
    dockerfile = f"FROM {busybox}\nENV IMGVAR=from-image\n"
    subprocess.run(
        ["docker", "build", "-q", "-t", tag, "-"], input=dockerfile, text=True, check=True, capture_output=True
    )
    yield tag
    subprocess.run(["docker", "image", "rm", tag], capture_output=True)


def _write_files(folder: Path) -> None:
    (folder / ".env").write_text("FROM_DOTENV=dotenv-value\nINTERP=x\n")
    (folder / "app.env").write_text("IN_FILE=${INTERP}-y\n")
    (folder / "raw.env").write_text('RAW=\'{"key": "value"}\'\n')


def _block(image: str) -> dict[str, Any]:
    return {
        "image": image,
        "command": ["sleep", "3600"],
        "init": True,
        "environment": ["IMGVAR", "FROM_DOTENV"],
        "env_file": ["app.env", {"path": "raw.env", "format": "raw"}],
    }


def _environment_inside(container: str) -> list[str]:
    done = subprocess.run(["docker", "exec", container, "env"], capture_output=True, text=True, check=True, timeout=30)
    return sorted(line for line in done.stdout.splitlines() if not line.startswith(("HOSTNAME=", "HOME=")))


def _process_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_") and k != "IMGVAR"}


def test_the_container_environment_equals_what_compose_gives(engine, project, compose_bin, image_with_env):
    folder = project.folder
    _write_files(folder)
    # validator reads the project's name from the file; Compose is given its own with -p
    data = {"name": project.name, "services": {"app": _block(image_with_env)}}
    (folder / "compose.yaml").write_text(yaml.safe_dump(data))
    compose_name = f"{project.name}c"
    env = _process_env()

    def compose(*args: str) -> None:
        subprocess.run(
            [str(compose_bin), "-p", compose_name, *args],
            cwd=folder,
            env=env,
            check=True,
            capture_output=True,
            timeout=180,
        )

    compose("up", "-d")
    try:
        (theirs,) = [c for c in engine.containers(compose_filter(compose_name)) if c["Labels"].get(SERVICE) == "app"]
        done = project.cli("up", "-f", "compose.yaml", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        (ours,) = project.engine.containers(L.project_filter(project.name))

        their_env = sorted(engine.inspect(theirs["Id"])["Config"]["Env"])
        our_env = sorted(engine.inspect(ours["Id"])["Config"]["Env"])
        assert our_env == their_env
        assert "IMGVAR" in our_env  # bare: the engine removes the image's value
        inside = _environment_inside(ours["Id"])
        assert inside == _environment_inside(theirs["Id"])
        assert not any(line.startswith("IMGVAR=") for line in inside)
        assert {"FROM_DOTENV=dotenv-value", "IN_FILE=x-y", 'RAW=\'{"key": "value"}\''} <= set(inside)

        # a bare name is what the spec asks: the next plan has nothing to do
        again = project.cli("plan", "-f", "compose.yaml", env=env)
        assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout + again.stderr
    finally:
        compose("down", "--timeout", "1")
        project.cli("down", "-f", "compose.yaml", env=env)
