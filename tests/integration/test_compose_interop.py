"""Compose's tools on a stack validator started, and each tool's ``up`` meeting the other's containers,
on the real engine with Compose's own binary.

validator writes the ``com.docker.compose.*`` labels Compose writes, names containers
``<project>-<service>-<n>`` and gives them Compose's network aliases, so ``docker compose -p NAME
ps|logs|exec|down`` work without the file. What happens when the tools meet (docs/spec.md, "Compose
and validator on one project"):

- ``docker compose up`` over validator's stack recreates every container (Compose cannot reproduce
  validator's config hash) as its own; validator then judges them and changes nothing, and its
  ``down`` leaves them and the network they use;
- ``validator up`` over Compose's stack judges it and creates nothing (tests/integration/test_compose_fields.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from validator.engine import labels as L
from validator.engine.compose_observe import compose_filter

pytestmark = pytest.mark.docker


def run_compose(binary: Path, project: str, *args: str, cwd: Path, file: Path | None = None) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    files = ["-f", str(file)] if file else []
    return subprocess.run(
        [str(binary), "-p", project, *files, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )


def stack(project: Any) -> dict[str, Any]:
    web = project.http_service()
    return {
        "name": project.name,
        "services": {
            "web": web,
            "init": {"image": project.image, "command": ["sh", "-c", "echo init-done"]},
            "app": {
                **project.sleeper(),
                "depends_on": {
                    "web": {"condition": "service_healthy"},
                    "init": {"condition": "service_completed_successfully"},
                },
                "volumes": ["data:/data"],
            },
        },
        "volumes": {"data": None},
    }


def names(engine: Any, filters: dict[str, list[str]]) -> list[str]:
    return sorted(c["Names"][0].lstrip("/") for c in engine.containers(filters))


def test_composes_tools_see_a_stack_validator_started(engine, project, compose_bin, tmp_path):
    file = project.folder / "compose.yaml"
    file.write_text(yaml.safe_dump(stack(project), sort_keys=False))
    up = project.cli("up", "-f", str(file))
    assert up.returncode == 0, up.stdout + up.stderr
    ours = names(engine, L.project_filter(project.name))
    assert ours == [f"{project.name}-{s}-1" for s in ("app", "init", "web")]

    elsewhere = tmp_path / "elsewhere"  # no compose file here: Compose reads the engine's labels alone
    elsewhere.mkdir()
    ps = run_compose(compose_bin, project.name, "ps", "-a", "--format", "json", cwd=elsewhere)
    assert ps.returncode == 0, ps.stderr
    rows = [json.loads(line) for line in ps.stdout.splitlines() if line.strip()]
    assert sorted((r["Service"], r["Name"]) for r in rows) == [
        (s, f"{project.name}-{s}-1") for s in ("app", "init", "web")
    ]
    logs = run_compose(compose_bin, project.name, "logs", "init", cwd=elsewhere)
    assert logs.returncode == 0 and "init-done" in logs.stdout, logs.stdout + logs.stderr
    run = run_compose(
        compose_bin, project.name, "exec", "-T", "app", "wget", "-q", "-O", "-", "http://web:8080/", cwd=elsewhere
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr  # Compose's alias resolves
    by_name = run_compose(
        compose_bin,
        project.name,
        "exec",
        "-T",
        "app",
        "wget",
        "-q",
        "-O",
        "-",
        f"http://{project.name}-web-1:8080/",
        cwd=elsewhere,
    )
    assert by_name.returncode == 0, by_name.stderr

    down = run_compose(compose_bin, project.name, "down", "-v", "-t", "1", cwd=elsewhere)
    assert down.returncode == 0, down.stderr
    assert names(engine, L.project_filter(project.name)) == []
    assert engine.networks(L.project_filter(project.name)) == []
    assert engine.volumes(L.project_filter(project.name)) == []


def test_compose_up_over_validators_stack_and_validator_after_it(engine, project, compose_bin):
    file = project.folder / "compose.yaml"
    file.write_text(yaml.safe_dump(stack(project), sort_keys=False))
    assert project.cli("up", "-f", str(file)).returncode == 0
    before = {c["Names"][0]: c["Id"] for c in engine.containers(L.project_filter(project.name))}
    try:
        up = run_compose(compose_bin, project.name, "up", "-d", cwd=project.folder, file=file)
        assert up.returncode == 0, up.stderr
        theirs = engine.containers(compose_filter(project.name))
        assert sorted(c["Names"][0] for c in theirs) == sorted(before)  # the same names ...
        assert not {c["Id"] for c in theirs} & set(before.values())  # ... recreated by Compose
        assert all(L.PROJECT not in c["Labels"] for c in theirs)  # as Compose's own

        plan = project.cli("plan", "-f", str(file))
        assert plan.returncode == 0, plan.stdout + plan.stderr  # judged as they are: nothing to change
        again = project.cli("up", "-f", str(file))
        assert again.returncode == 0, again.stdout + again.stderr
        assert {c["Id"] for c in engine.containers(compose_filter(project.name))} == {c["Id"] for c in theirs}

        down = project.cli("down", "-f", str(file))
        assert down.returncode == 0, down.stdout + down.stderr
        assert "kept: docker compose's containers use them" in down.stdout + down.stderr
        assert {c["Id"] for c in engine.containers(compose_filter(project.name))} == {c["Id"] for c in theirs}
    finally:
        run_compose(compose_bin, project.name, "down", "-v", "-t", "1", cwd=project.folder, file=file)
    assert engine.containers(compose_filter(project.name)) == []
    assert engine.networks(L.project_filter(project.name)) == []


def test_a_container_named_as_older_versions_named_it_is_renamed_not_recreated(engine, project):
    services = {"db": project.sleeper()}
    assert project.up(services).ok
    (container,) = engine.containers(L.project_filter(project.name))
    engine.rename(container["Id"], f"{project.name}-db")  # what versions before this one named it
    plan = project.plan(services)
    assert [(a.kind, a.target, a.new_name) for a in plan.actions] == [
        ("rename", f"{project.name}-db", f"{project.name}-db-1")
    ]
    assert "Compose's name" in plan.actions[0].reasons[0]
    result = project.up(services)
    assert result.ok and result.services["db"].action == "rename"
    (after,) = engine.containers(L.project_filter(project.name))
    assert (after["Id"], after["Names"], after["State"]) == (container["Id"], [f"/{project.name}-db-1"], "running")
    assert project.plan(services).empty


def test_what_compose_started_with_mounted_content_is_unknown_not_a_match(engine, project, compose_bin):
    """Review 2, case 09: Compose records nothing of what a read-only bind held when it started the
    container (and never restarts on its content): `check --no-up` cannot show it matches, so the
    service's drift is an error, never a pass."""
    (project.folder / "conf").mkdir()
    (project.folder / "conf" / "route.conf").write_text("receiver=nobody\n")
    file = project.folder / "compose.yaml"
    spec = {"name": project.name, "services": {"router": project.sleeper(volumes=["./conf:/conf:ro"])}}
    file.write_text(yaml.safe_dump(spec, sort_keys=False))
    try:
        up = run_compose(compose_bin, project.name, "up", "-d", cwd=project.folder, file=file)
        assert up.returncode == 0, up.stderr
        (project.folder / "conf" / "route.conf").write_text("receiver=team-pager\n")
        check = project.cli(
            "check", "-f", str(file), "--no-up", "--no-suites", "--no-progress", "--report", "json=r.json"
        )
        assert check.returncode == 1, check.stdout[-2000:] + check.stderr
        results = json.loads((project.folder / "r.json").read_text())["run"]["results"]
        drift = [(r["verdict"], r["actual"]) for r in results if r["kind"] == "drift"]
        assert drift == [("error", "unknown")], results
        plan = project.cli("plan", "-f", str(file))
        assert "router: started by docker compose, which records nothing of the mounted content" in plan.stdout
    finally:
        run_compose(compose_bin, project.name, "down", "-v", "-t", "1", cwd=project.folder, file=file)
