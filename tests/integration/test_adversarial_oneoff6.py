"""Adversary graph6, class B and case 05, on the real engine with Compose's own binary: containers in the
project that stand for no service of the spec. Each made ``up`` say ready or ``check`` pass while the
service's own server ran nowhere or a second container answered for its name.

Rule (docs/spec.md, "Containers in the project that stand for no service"): a Compose container stands
for its service only if it is a service container (``com.docker.compose.oneoff=False``, Compose's own
selection); anything else in the project, or on a network the project made, is a stranger: ``up``
notes it (and creates the service's own container beside a one-off, as Compose does), ``check`` fails
it while it runs, and validator never removes it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.conftest import remove_project
from validator.engine import compose_labels as CL

pytestmark = pytest.mark.docker


def compose(binary: Path, project: Any, *args: str, file: str = "compose.yaml") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    return subprocess.run(
        [str(binary), "-p", project.name, "-f", file, *args],
        cwd=project.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def remove_composes(engine: Any, project: str) -> None:
    """What Compose made for this project (its labels only), then its network, once validator's
    containers on it are gone too (the fixture removes validator's objects)."""
    for summary in engine.containers({"label": [f"{CL.PROJECT}={project}"]}):
        if "dev.validator.project" not in (summary.get("Labels") or {}):
            engine.remove_container(summary["Id"], volumes=True)
    remove_project(engine, project)
    for network in engine.networks({"label": [f"{CL.PROJECT}={project}"]}):
        if "dev.validator.project" not in (network.get("Labels") or {}):
            subprocess.run(["docker", "network", "rm", network["Name"]], capture_output=True, timeout=60)


def web_stack(project: Any) -> str:
    """Case 01's stack: web runs its image's CMD (httpd), the spec sets no command (so Compose's ``run``
    overriding it was never compared). The image is built here, once, as the case does."""
    tag = f"{project.name}-web:latest"
    (project.folder / "Dockerfile").write_text(
        f"FROM {project.image}\nRUN mkdir -p /www && echo hello > /www/index.html\n"
        'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
    )
    subprocess.run(["docker", "build", "-q", "-t", tag, "."], cwd=project.folder, check=True, capture_output=True)
    spec = {"name": project.name, "services": {"web": {"build": ".", "image": tag, "stop_grace_period": "1s"}}}
    (project.folder / "compose.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return tag


def results(project: Any, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    run = project.cli(
        "check", "-f", "compose.yaml", "--no-progress", "--no-history", "--no-suites", "--timeout", "60",
        "--report", "json=result.json", *args, timeout=240,
    )  # fmt: skip
    report = json.loads((project.folder / "result.json").read_text())
    return run.returncode, {f"{r['kind']} {r['name']}": r for r in report["run"]["results"]}


def test_case01_a_compose_run_one_off_never_stands_for_its_service(project, engine, compose_bin):
    """01: ``docker compose run -d web sleep 600`` (oneoff=True, command overridden) was taken for web:
    ``up`` "unchanged", ``check`` PASS while web's server ran nowhere. Now, as Compose's own ``up``
    does, ``up`` creates web's container beside it; ``check --no-up`` passes web on web's own container
    and fails the one-off while it runs; once it is gone check passes."""
    tag = web_stack(project)
    try:
        ran = compose(compose_bin, project, "run", "-d", "web", "sleep", "600")
        assert ran.returncode == 0, ran.stderr
        one_off = ran.stdout.strip().splitlines()[-1]
        name = engine.inspect(one_off)["Name"].lstrip("/")
        # the oracle: Compose's ps lists no container of web (a one-off is no service container)
        assert compose(compose_bin, project, "ps", "-q").stdout.strip() == ""

        up = project.cli("up", "-f", "compose.yaml", "--timeout", "60", timeout=240)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "1 changed" in up.stdout and name in up.stdout, up.stdout  # created beside it, the one-off noted
        web = engine.inspect(f"{project.name}-web-1")
        assert web["State"]["Running"] and web["Config"]["Cmd"][0] == "httpd"

        code, found = results(project, "--no-up")
        assert code == 1
        assert found["service web"]["verdict"] == "pass"
        stranger = found[f"drift container {name}"]
        assert stranger["verdict"] == "fail" and "one-off of service 'web'" in stranger["actual"], stranger

        engine.remove_container(one_off, volumes=True)  # (Compose's: the test removes what it made)
        code, found = results(project, "--no-up")
        assert code == 0, found
    finally:
        remove_composes(engine, project.name)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60)


def test_case01_check_with_up_creates_the_service_and_fails_the_running_one_off(project, engine, compose_bin):
    tag = web_stack(project)
    try:
        ran = compose(compose_bin, project, "run", "-d", "web", "sleep", "600")
        assert ran.returncode == 0, ran.stderr
        name = engine.inspect(ran.stdout.strip().splitlines()[-1])["Name"].lstrip("/")
        code, found = results(project)
        assert code == 1
        assert found["service web"]["verdict"] == "pass"
        assert engine.inspect(f"{project.name}-web-1")["State"]["Running"]
        assert found[f"drift container {name}"]["verdict"] == "fail"
    finally:
        remove_composes(engine, project.name)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, timeout=60)


def test_case05_a_foreign_container_on_the_project_network_fails_check(project, engine):
    """05: a container of no project, attached to the project network with the alias ``db``, answered for
    db about half the time: plan "nothing to do", check PASS. It is now a failing drift result (plan
    notes it; validator never removes it); check passes once it is gone."""
    db = project.http_service()
    spec = {"name": project.name, "services": {"db": db, "app": {**project.sleeper(), "depends_on": ["db"]}}}
    (project.folder / "compose.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    impostor, sharer = f"{project.name}-impostor", f"{project.name}-sharer"
    try:
        up = project.cli("up", "-f", "compose.yaml", "--timeout", "60", timeout=240)
        assert up.returncode == 0, up.stdout + up.stderr
        subprocess.run(
            ["docker", "run", "-d", "--name", impostor, "--network", f"{project.name}_default",
             "--network-alias", "db", project.image, "sleep", "600"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        plan = project.cli("plan", "-f", "compose.yaml", timeout=120)
        assert impostor in plan.stdout and f"network {project.name}_default" in plan.stdout, plan.stdout
        # one more in db's own network namespace (it could bind db's ports there): a stranger too
        subprocess.run(
            ["docker", "run", "-d", "--name", sharer, "--network", f"container:{project.name}-db-1",
             project.image, "sleep", "600"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        code, found = results(project)
        assert code == 1
        assert found[f"drift container {impostor}"]["verdict"] == "fail"
        assert f"namespace of container {project.name}-db-1" in found[f"drift container {sharer}"]["actual"]
        assert found["service db"]["verdict"] == "pass"  # db's own container is fine: the run is not
        assert engine.inspect(impostor)["State"]["Running"]  # never removed by validator
        subprocess.run(["docker", "rm", "-f", impostor, sharer], capture_output=True, timeout=60)
        code, found = results(project, "--no-up")
        assert code == 0, found
    finally:
        subprocess.run(["docker", "rm", "-f", impostor, sharer], capture_output=True, timeout=60)


def test_case14_a_compose_container_of_a_service_the_spec_dropped_fails_check(project, engine, compose_bin):
    """14: ``docker compose up`` from an older file started ``legacy`` (alias ``db``) beside validator's db
    and app; validator's orphan rule read its own label only: no note, check PASS while legacy answered
    for db about half the time. Now it is a stranger: plan notes it, check fails it; validator leaves it
    running."""
    new = {"name": project.name, "services": {"db": project.http_service(), "app": project.sleeper()}}
    (project.folder / "compose.yaml").write_text(yaml.safe_dump(new, sort_keys=False))
    old = {
        "name": project.name,
        "services": {"legacy": {**project.sleeper(), "networks": {"default": {"aliases": ["db"]}}}},
    }
    (project.folder / "old.yaml").write_text(yaml.safe_dump(old, sort_keys=False))
    legacy = f"{project.name}-legacy-1"
    try:
        up = project.cli("up", "-f", "compose.yaml", "--timeout", "60", timeout=240)
        assert up.returncode == 0, up.stdout + up.stderr
        started = compose(compose_bin, project, "up", "-d", "legacy", file="old.yaml")
        assert started.returncode == 0, started.stderr
        plan = project.cli("plan", "-f", "compose.yaml", timeout=120)
        assert legacy in plan.stdout, plan.stdout
        code, found = results(project)
        assert code == 1
        assert found[f"drift container {legacy}"]["verdict"] == "fail"
        assert "service 'legacy', which the spec does not have" in found[f"drift container {legacy}"]["actual"]
        assert found["service db"]["verdict"] == "pass" and found["service app"]["verdict"] == "pass"
        assert engine.inspect(legacy)["State"]["Running"]  # never removed by validator
    finally:
        remove_composes(engine, project.name)


def test_a_stranger_that_joins_during_checks_up_fails_check(project, engine):
    """The plan's look is from before up's walk: a container attached to the project network while up
    waits (here: for db's health, about 4 s) was never seen. check looks again once up is over."""
    import threading
    import time

    db = {
        **project.sleeper(command=["sh", "-c", "sleep 4; touch /tmp/up; exec sleep 3600"]),
        "healthcheck": {"test": ["CMD", "test", "-f", "/tmp/up"], "interval": "1s", "timeout": "1s", "retries": 30},
    }
    spec = {"name": project.name, "services": {"db": db}}
    (project.folder / "compose.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    late = f"{project.name}-late"
    network = f"{project.name}_default"

    def join() -> None:
        for _ in range(200):  # bounded: about 20 s for up to make the network
            if subprocess.run(["docker", "network", "inspect", network], capture_output=True).returncode == 0:
                subprocess.run(
                    ["docker", "run", "-d", "--name", late, "--network", network, "--network-alias", "db",
                     project.image, "sleep", "600"],
                    capture_output=True, timeout=60,
                )  # fmt: skip
                return
            time.sleep(0.1)

    joiner = threading.Thread(target=join, daemon=True)
    try:
        joiner.start()
        code, found = results(project)
        joiner.join(timeout=60)
        assert engine.inspect(late)["State"]["Running"]
        assert code == 1, found
        assert found[f"drift container {late}"]["verdict"] == "fail"
    finally:
        subprocess.run(["docker", "rm", "-f", late], capture_output=True, timeout=60)
