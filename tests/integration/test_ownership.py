"""Objects validator does not own — same names, same ports, a similar project label — are never
changed or removed by up, down or --remove-orphans; two projects side by side stay apart."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tests.integration.conftest import Project, remove_project
from validator.engine import labels as L
from validator.errors import EngineError

pytestmark = pytest.mark.docker


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout.strip()


def test_foreign_network_and_volume_with_our_names(project):
    network, volume = f"{project.name}_default", f"{project.name}_data"
    docker("network", "create", network)
    docker("volume", "create", volume)
    try:
        with pytest.raises(EngineError) as info:
            project.up({"a": project.sleeper(volumes=["data:/data"])}, extra={"volumes": {"data": None}})
        assert f"network {network} exists but this project does not own it" in str(info.value)
        assert f"volume {volume} exists but this project does not own it" in str(info.value)
        assert project.containers() == {}
        assert docker("network", "inspect", "-f", "{{.Labels}}", network) == "map[]"
        assert docker("volume", "inspect", "-f", "{{.Labels}}", volume) in ("map[]", "<no value>")
    finally:
        subprocess.run(["docker", "network", "rm", network], capture_output=True)
        subprocess.run(["docker", "volume", "rm", volume], capture_output=True)


def test_similar_project_label_is_someone_else(project, engine, tmp_path):
    other = Project(engine, tmp_path / "other", project.name + "x", project.image)
    (tmp_path / "other").mkdir()
    try:
        assert other.up({"a": other.sleeper()}).ok
        assert project.up({"a": project.sleeper()}).ok
        from validator.engine.reconcile import down

        down(
            project.load({"a": project.sleeper()}), engine, remove_orphans=True, volumes=True, progress=project.progress
        )
        assert project.containers() == {}
        assert set(other.containers()) == {"a"}
        assert docker("inspect", "-f", "{{.State.Running}}", f"{other.name}-a-1") == "true"
    finally:
        remove_project(engine, other.name)


def test_remove_orphans_never_reaches_unlabelled_containers(project):
    stranger = f"{project.name}-stranger"
    try:
        docker(
            "run", "-d", "--name", stranger, "--label", f"{L.PROJECT}-not={project.name}", project.image, "sleep", "600"
        )
        assert project.up({"a": project.sleeper()}, remove_orphans=True).ok
        from validator.engine.reconcile import down

        down(project.load({"a": project.sleeper()}), project.engine, remove_orphans=True, progress=project.progress)
        assert docker("inspect", "-f", "{{.State.Running}}", stranger) == "true"
    finally:
        subprocess.run(["docker", "rm", "-f", stranger], capture_output=True)


def test_two_projects_side_by_side(project, engine, tmp_path, run_cli):
    second = Project(engine, tmp_path / "second", project.name + "-b", project.image)
    (tmp_path / "second").mkdir()
    try:
        for p in (project, second):
            (p.folder / "infra.yaml").write_text(yaml.safe_dump(p.spec({"web": p.http_service(), "db": p.sleeper()})))
        first_up = subprocess.Popen([sys.executable, "-m", "validator", "up", "-q"], cwd=project.folder)
        assert run_cli("up", "-q", cwd=second.folder).returncode == 0
        assert first_up.wait(timeout=120) == 0
        assert set(project.containers()) == set(second.containers()) == {"web", "db"}
        assert run_cli("down", cwd=project.folder).returncode == 0
        assert project.containers() == {} and set(second.containers()) == {"web", "db"}
        assert run_cli("plan", cwd=second.folder).returncode == 0
    finally:
        remove_project(engine, second.name)
