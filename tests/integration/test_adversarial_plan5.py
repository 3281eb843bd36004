"""Adversary graph5 cases 07 and 06 on the real engine (brief fix-plan; pure twins in
tests/unit/engine/test_adversarial_fix_plan.py).

07: ``worker`` runs the image ``api`` builds; after a code change ``up --build`` must recreate worker too
(the plan is drawn before the build: a build moves the tag for every service that names it).
06: a server whose file writes ``restart: "no"`` and that was stopped cleanly (exit 0) is not a
"completed job": ``check --no-up`` fails it and ``up`` starts it again. Only a
``service_completed_successfully`` dependent makes a job.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import yaml

from tests.integration.conftest import remove_project

pytestmark = pytest.mark.docker


def _write(project: Any, services: dict[str, Any]) -> None:
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services), sort_keys=False))


def _image_of(engine: Any, project: Any, service: str) -> str:
    (summary,) = [c for s, c in project.containers().items() if s == service]
    return str(engine.inspect(summary["Id"])["Image"])


def _tag_id(tag: str) -> str:
    done = subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", tag], capture_output=True, text=True)
    return done.stdout.strip()


def test_a_build_recreates_the_service_that_only_runs_the_built_image(engine, project):
    tag = f"{project.name}-app:latest"
    ctx = project.folder / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f"FROM {project.image}\nCOPY VERSION /VERSION\n")
    services = {
        "api": {**project.sleeper(), "image": tag, "build": {"context": "ctx"}},
        "worker": {**project.sleeper(), "image": tag, "depends_on": ["api"]},  # api's image, no build
    }
    _write(project, services)
    built: list[str] = []
    try:
        for version in ("1", "2"):
            (ctx / "VERSION").write_text(version + "\n")
            done = project.cli("up", "--build", "--no-progress", "--timeout", "120", timeout=240)
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
            built.append(_tag_id(tag))
        assert built[0] != built[1]  # the code change moved the tag
        api, worker = _image_of(engine, project, "api"), _image_of(engine, project, "worker")
        assert api == built[1]
        assert worker == built[1], f"worker kept the old image {worker[7:19]}, the tag is {built[1][7:19]}"
        assert "worker" in done.stdout and "rebuilt" in done.stdout, done.stdout[-3000:]
        # and without --build the next plan has nothing left to do (on main it recreated worker only now)
        assert project.plan(services).actions == ()
    finally:
        remove_project(engine, project.name)
        subprocess.run(["docker", "rmi", tag, *built], capture_output=True)


def test_a_stopped_server_whose_file_writes_restart_no_is_not_a_completed_job(engine, project):
    _write(
        project,
        {
            "web": {
                **project.sleeper(command=["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h / & wait"]),
                "init": False,
                "restart": "no",  # the default, written out: says nothing about being a job
            },
            "app": {**project.sleeper(), "depends_on": ["web"]},
        },
    )
    first = project.cli("up", "--no-progress", "--timeout", "60", timeout=180)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    web = project.containers()["web"]["Id"]
    subprocess.run(["docker", "stop", "-t", "5", web], check=True, capture_output=True)
    state = engine.inspect(web)["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 0  # a clean shutdown, as a job's end looks
    judged = project.cli("check", "--no-up", "--no-history", "--no-suites", "--no-progress", "--timeout", "60")
    assert judged.returncode == 1, judged.stdout[-3000:] + judged.stderr[-3000:]
    assert "completed" not in judged.stdout.split("web")[1].split("\n")[0], judged.stdout[-3000:]
    second = project.cli("up", "--no-progress", "--timeout", "60", timeout=180)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "a completed job" not in second.stdout
    assert engine.inspect(web)["State"]["Status"] == "running"  # started again, as Compose does
