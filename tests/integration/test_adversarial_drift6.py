"""Adversary graph6, class A/D: a kept container's (or object's) live configuration compared in full, on
the real engine. Each case made ``plan`` say "nothing to do" and ``check`` pass on a container or a
volume the spec does not describe, because only the keys the spec sets were compared."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.docker

CHECK = ("check", "--no-progress", "--no-history", "--no-suites", "--timeout", "60")


def docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def write(project: Any, services: dict[str, Any], **extra: Any) -> None:
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services, **extra), sort_keys=False))


def test_case02_a_limit_the_spec_leaves_unset_written_in_place_is_drift(project):
    """02: ``docker update`` gives a container of a spec that sets no limits 6 MiB, 0.01 CPU and 3 pids:
    an unset limit is "none", not "anything"."""
    services = {"web": project.sleeper()}
    write(project, services)
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    assert not project.plan(services).actions  # a fresh container: silent
    web = project.containers()["web"]["Id"]
    docker("update", "--memory", "6m", "--memory-swap", "6m", "--cpus", "0.01", "--pids-limit", "3", web)
    actions = project.plan(services).actions
    assert [a.kind for a in actions] == ["recreate"], actions
    reasons = " ".join(actions[0].reasons)
    for key in ("Memory", "NanoCpus", "PidsLimit"):
        assert f"{key}: the spec sets none, the container has" in reasons, reasons
    assert project.cli(*CHECK, "--no-up", timeout=180).returncode == 1
    assert project.containers()["web"]["Id"] == web  # --no-up changed nothing
    repaired = project.cli(*CHECK, timeout=180)  # up recreates it without the limits
    assert repaired.returncode == 0, repaired.stdout[-2000:]
    assert not project.plan(services).actions


def test_case03_an_endpoint_that_lost_its_alias_and_address_is_drift(project, engine):
    """03: db taken off its network and put back by hand keeps the network but loses its aliases
    (``database``, its service name) and its fixed address: the name no longer resolves."""
    subnet = f"10.{200 + int(project.name[-2:], 16) % 50}.{int(project.name[-4:-2], 16)}"
    db = {**project.sleeper(), "networks": {"back": {"aliases": ["database"], "ipv4_address": f"{subnet}.10"}}}
    app = {**project.sleeper(), "networks": ["back"]}
    networks = {"back": {"ipam": {"config": [{"subnet": f"{subnet}.0/24"}]}}}
    write(project, {"db": db, "app": app}, networks=networks)
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    assert not project.plan({"db": db, "app": app}, extra={"networks": networks}).actions
    network, name = f"{project.name}_back", f"{project.name}-db-1"
    docker("network", "disconnect", network, name)
    docker("network", "connect", network, name)
    actions = project.plan({"db": db, "app": app}, extra={"networks": networks}).actions
    assert [(a.kind, a.service) for a in actions] == [("recreate", "db")], actions
    reasons = " ".join(actions[0].reasons)
    assert f"{network}: aliases missing: {', '.join(sorted([name, 'database', 'db']))}" in reasons, reasons
    assert f"ipv4_address {subnet}.10 wanted" in reasons, reasons
    repaired = project.cli(*CHECK, timeout=180)
    assert repaired.returncode == 0, repaired.stdout[-2000:]
    endpoint = engine.inspect(name)["NetworkSettings"]["Networks"][network]
    assert {"database", "db"} <= set(endpoint["Aliases"]) and endpoint["IPAddress"] == f"{subnet}.10"


def test_case08_a_volume_option_the_spec_dropped_is_drift(project):
    """08: v1 made ``data`` a tmpfs volume, v2 asks for a plain one (data on disk): keeping the tmpfs
    one loses db's data at its next restart. A conflict naming the options (values never shown)."""
    services = {"db": {**project.sleeper(), "volumes": ["data:/data"]}}
    write(project, services, volumes={"data": {"driver_opts": {"type": "tmpfs", "device": "tmpfs"}}})
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    try:
        write(project, services, volumes={"data": {}})
        plan = project.cli("plan", timeout=120)
        out = plan.stdout + plan.stderr
        assert plan.returncode == 1 and "driver_opts.type: set, the spec does not set it" in out, out
        assert project.cli(*CHECK, timeout=180).returncode == 1
    finally:
        project.cli("down", "-v", timeout=120)


def test_case07_a_read_write_file_bind_replaced_on_the_host_is_drift(project, engine):
    """07: ``sed -i`` writes a new file and renames it over the bound path; the container keeps the old
    inode (the old page). Which file is bound counts; what the container writes to it does not."""
    page = project.folder / "page.html"
    page.write_text("OLD\n")
    services = {"web": {**project.sleeper(), "volumes": ["./page.html:/www/index.html"]}}
    write(project, services)
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    web = f"{project.name}-web-1"
    docker("exec", web, "sh", "-c", "echo written-by-web >> /www/index.html")  # the same file: no drift
    assert not project.plan(services).actions
    fresh = project.folder / "page.html.new"
    fresh.write_text("NEW\n")
    os.replace(fresh, page)
    actions = project.plan(services).actions
    assert [a.kind for a in actions] == ["recreate"], actions
    assert "mounted file page.html (the file bound read-write) changed" in actions[0].reasons, actions
    repaired = project.cli(*CHECK, timeout=180)
    assert repaired.returncode == 0, repaired.stdout[-2000:]
    assert docker("exec", web, "cat", "/www/index.html") == "NEW"
    assert not project.plan(services).actions


def test_case01_a_compose_container_runs_the_images_command_where_the_spec_sets_none(project, compose_bin):
    """01 (its second half): a Compose container is compared with what Compose would create in full.
    Made from an older file with a ``command`` the spec dropped, it runs the old command: drift. Made
    by Compose from the spec itself (Compose is the oracle of what it creates): silent."""
    entry = {"image": project.image, "entrypoint": ["sleep"], "init": True, "stop_grace_period": "1s"}
    old = {"name": project.name, "services": {"web": {**entry, "command": ["3600"]}}}
    new = {"name": project.name, "services": {"web": {**entry, "entrypoint": ["sleep", "3600"]}}}
    # an older file's environment the spec dropped: neither the spec's nor the image's
    old_env = {"name": project.name, "services": {"web": {**new["services"]["web"], "environment": {"OLD": "1"}}}}
    file = project.folder / "compose.yaml"
    try:
        for made, reason in ((new, None), (old, "command differs"), (old_env, "environment: OLD is set")):
            file.write_text(yaml.safe_dump(made, sort_keys=False))
            compose(compose_bin, project.name, file, "up", "-d", "--force-recreate")
            file.write_text(yaml.safe_dump(new, sort_keys=False))
            plan = project.cli("plan", "-f", str(file), timeout=120)
            out = plan.stdout + plan.stderr
            assert plan.returncode == (0 if reason is None else 1), out
            assert reason is None or reason in out, out
    finally:
        compose(compose_bin, project.name, file, "down", "-t", "1")


def compose(binary: Path, name: str, file: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    done = subprocess.run(
        [str(binary), "-p", name, "-f", str(file), *args], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
