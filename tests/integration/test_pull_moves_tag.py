"""A pull that moves a tag, against a real registry on loopback (tests/harness/registry.py): every
kept container of the image is recreated and runs the new one; a pull of the same digest recreates
nothing; a refusing registry fails ``up`` naming the image, before anything is changed (review graph5
case 07's pull side, issue 25). Compose, the oracle, is run on the same file and must agree.

Each test asks for ``registry`` before ``project``: the registry's images are removed after the
project's containers that run them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness.registry import Registry, RegistryUnavailable
from validator.engine import labels as L

pytestmark = pytest.mark.docker

REPO = "validator-test/busybox"


@pytest.fixture
def registry(engine, busybox, tmp_path_factory):
    made = Registry(engine=engine, folder=tmp_path_factory.mktemp("registry"), base=busybox)
    try:
        made.start()
    except RegistryUnavailable as exc:
        made.close()
        if os.environ.get("VALIDATOR_REQUIRE_DOCKER") == "1":  # CI never passes these by skipping
            pytest.fail(f"no test registry: {exc}")
        pytest.skip(f"no test registry: {exc}")
    yield made
    made.close()


def _services(ref: str, busybox: str) -> dict[str, Any]:
    def sleeper(image: str, **extra: Any) -> dict[str, Any]:
        return {"image": image, "command": ["sleep", "3600"], "init": True, "stop_grace_period": "1s", **extra}

    return {
        "app": sleeper(ref, pull_policy="always"),
        "worker": sleeper(ref, depends_on=["app"]),  # only names the image app's pull moves
        "other": sleeper(busybox, depends_on=["worker"]),  # another image: kept whatever the pull does
    }


def _ids(project) -> dict[str, str]:
    return {name: c["Id"] for name, c in project.containers().items()}


def _version(container: str) -> str:
    done = subprocess.run(["docker", "exec", container, "cat", "/VERSION"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_pull_that_moves_the_tag_recreates_every_container_of_the_image(registry, project, busybox):
    one = registry.publish(REPO, "1")
    services = _services(one.ref, busybox)
    first = project.up(services)
    assert first.ok, project.lines
    ids = _ids(project)
    assert {_version(ids["app"]), _version(ids["worker"])} == {"1"}

    # the same digest again: pulled, nothing recreated
    again = project.up(services)
    assert again.ok and _ids(project) == ids, project.lines
    assert all(r.action is None for r in again.services.values())
    assert "pull " + one.ref in again.steps and again.steps["pull " + one.ref].status == "done"

    two = registry.publish(REPO, "2")
    assert registry.local_id(one.ref) == one.image_id  # the engine knows of version 2 only by a pull
    # the dry run pulls nothing and judges neither container of the image before the pull
    dry = project.plan(services)
    assert [(a.kind, a.target) for a in dry.actions] == [("pull", one.ref)]
    assert {name for name, _ in dry.unverified} == {"app", "worker"} and dry.unchanged == ("other",)
    assert registry.local_id(one.ref) == one.image_id

    moved = project.up(services)
    assert moved.ok, project.lines
    after = _ids(project)
    assert after["app"] != ids["app"] and after["worker"] != ids["worker"] and after["other"] == ids["other"]
    assert {_version(after["app"]), _version(after["worker"])} == {"2"}
    assert registry.local_id(one.ref) == two.image_id
    assert {moved.services[n].action for n in ("app", "worker")} == {"recreate"}
    assert any(f"image: {one.ref} moved to a new ID" in line for line in project.lines), project.lines
    assert project.engine.inspect(after["worker"])["Image"] == two.image_id


def test_check_judges_the_containers_after_the_pull(registry, project, busybox):
    one = registry.publish(REPO, "1")
    services = _services(one.ref, busybox)
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services)))
    assert project.up(services).ok, project.lines
    before = _ids(project)
    three = registry.publish(REPO, "3")
    # validator plan: a dry run, so it pulls nothing and judges neither container of the pulled image
    dry = project.cli("plan", "--format", "json")
    assert dry.returncode == 1, dry.stderr
    shown = json.loads(dry.stdout)
    assert [(a["kind"], a["target"]) for a in shown["actions"]] == [("pull", one.ref)]
    assert {u["service"] for u in shown["unverified"]} == {"app", "worker"} and shown["unchanged"] == ["other"]
    assert registry.local_id(one.ref) == one.image_id != three.image_id
    done = project.cli("check", "--no-progress", timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    after = _ids(project)
    assert _version(after["worker"]) == "3" and after["worker"] != before["worker"]
    assert after["other"] == before["other"]


def _compose(binary: Path, folder: Path, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    return subprocess.run(
        [str(binary), "-p", name, "-f", "compose.yaml", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _compose_ids(engine, name: str) -> dict[str, str]:
    found = engine.containers({"label": [f"com.docker.compose.project={name}"]})
    return {c["Labels"]["com.docker.compose.service"]: c["Id"] for c in found}


def test_compose_agrees_on_what_a_pull_recreates(registry, project, busybox, compose_bin):
    """One compose file, both tools, each facing the same local tag before its up: the same services
    are recreated and run the same version."""
    one = registry.publish(REPO, "1")
    (project.folder / "compose.yaml").write_text(yaml.safe_dump({"services": _services(one.ref, busybox)}))
    theirs = f"{project.name}c"
    ours_env = {**os.environ, "COMPOSE_PROJECT_NAME": project.name}
    ours = ["up", "-q", "--no-progress", "-f", "compose.yaml"]
    try:
        assert _compose(compose_bin, project.folder, theirs, "up", "-d").returncode == 0
        assert project.cli(*ours, env=ours_env).returncode == 0
        before = {"compose": _compose_ids(project.engine, theirs), "validator": _ids(project)}
        two = registry.publish(REPO, "2")
        # validator first: its own pull must move the tag; then the tag is put back for Compose's
        done = project.cli(*ours, env=ours_env)
        assert done.returncode == 0, done.stdout + done.stderr
        registry.point_local(one.ref, one.image_id)
        theirs_done = _compose(compose_bin, project.folder, theirs, "up", "-d")
        assert theirs_done.returncode == 0, theirs_done.stderr
        assert registry.local_id(one.ref) == two.image_id
        after = {"compose": _compose_ids(project.engine, theirs), "validator": _ids(project)}
        tools = ("compose", "validator")
        recreated = {tool: sorted(s for s in after[tool] if after[tool][s] != before[tool][s]) for tool in tools}
        assert recreated["compose"] == recreated["validator"] == ["app", "worker"], recreated
        versions = {tool: {s: _version(after[tool][s]) for s in ("app", "worker")} for tool in after}
        assert versions["compose"] == versions["validator"] == {"app": "2", "worker": "2"}
    finally:
        _compose(compose_bin, project.folder, theirs, "down", "-t", "0")


def test_a_refusing_registry_fails_up_before_anything_changes(registry, project, busybox, compose_bin):
    one = registry.publish(REPO, "1")
    services = _services(one.ref, busybox)
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services)))
    assert project.up(services).ok, project.lines
    ids = _ids(project)
    registry.stop()  # every pull is refused from here on
    # warm: up fails naming the image; every container is kept as it was, running
    done = project.cli("up", "--no-progress")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"cannot pull image {one.ref}" in done.stderr and "connection refused" in done.stderr, done.stderr
    assert "up changed nothing" in done.stderr
    assert _ids(project) == ids and {c["State"] for c in project.containers().values()} == {"running"}
    # cold: no network, no container made (no dependent of app starts, nor the service of another image)
    assert project.cli("down", "--no-progress").returncode == 0
    done = project.cli("up", "--no-progress")
    assert done.returncode == 1 and f"cannot pull image {one.ref}" in done.stderr, done.stderr
    assert project.containers() == {} and project.engine.networks(L.project_filter(project.name)) == []
    # Compose, the oracle, on the same services: fails and makes nothing either
    (project.folder / "compose.yaml").write_text(yaml.safe_dump({"services": services}))
    theirs = f"{project.name}c"
    try:
        compose_done = _compose(compose_bin, project.folder, theirs, "up", "-d")
        assert compose_done.returncode != 0 and _compose_ids(project.engine, theirs) == {}
        assert "connection refused" in compose_done.stderr
    finally:
        _compose(compose_bin, project.folder, theirs, "down", "-t", "0")
