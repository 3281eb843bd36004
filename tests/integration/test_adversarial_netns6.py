"""Adversary graph6 cases 09 and 12 on a real engine: ``web`` shares ``net``'s network namespace
(``network_mode: service:net``). A new start of net (by hand, or up's own start of it) leaves web in
the namespace of net's earlier start (loopback only); a recreate of net leaves web in the removed
container's. ``up`` must put web in net's current namespace, and ``check --no-up`` fail it until then
(engine/shared_ns.py)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ARGS = ("--no-progress", "--no-history", "--no-suites", "--timeout", "60")


def _write(project: Any, gen: str = "1", *, explicit: bool = True) -> None:
    web = project.sleeper(network_mode="service:net", **({"depends_on": ["net"]} if explicit else {}))
    services = {
        "net": project.sleeper(environment={"GEN": gen}),  # holds the namespace; GEN changes recreate it
        "web": web,
    }
    spec = project.spec(services, settings={"reports": ["json=reports/result.json"]})
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))


def _netns(container: str) -> str:
    """The network namespace the container's main process is in (the kernel's ``net:[inode]``)."""
    out = subprocess.run(
        ["docker", "exec", container, "ls", "-l", "/proc/1/ns/net"], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0 and "net:[" in out.stdout, out.stdout + out.stderr
    return out.stdout.split()[-1]  # ... /proc/1/ns/net -> net:[4026532609]


def _same_namespace(project: Any) -> bool:
    return _netns(f"{project.name}-web-1") == _netns(f"{project.name}-net-1")


def _docker(*args: str) -> None:
    subprocess.run(["docker", *args], check=True, capture_output=True, timeout=60)


def _drift(project: Any) -> list[tuple[str, str]]:
    report = json.loads((project.folder / "reports" / "result.json").read_text())
    return [(r["name"], r["verdict"]) for r in report["run"]["results"] if r["kind"] == "drift"]


def test_case09_a_sharer_started_before_its_owners_restart_fails_no_up_and_up_restarts_it(project):
    _write(project)
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    assert _same_namespace(project)
    _docker("restart", "-t", "1", f"{project.name}-net-1")  # by hand: net gets a new namespace
    assert not _same_namespace(project)
    result = project.cli("check", "--no-up", *ARGS, timeout=180)
    assert result.returncode == 1, result.stdout
    assert (f"restart {project.name}-web-1", "fail") in _drift(project), _drift(project)
    result = project.cli("check", *ARGS, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _same_namespace(project)
    assert project.cli("plan", timeout=120).returncode == 0  # current again: nothing to do


def test_case09_up_that_starts_the_owner_restarts_its_sharer_after_it(project):
    _write(project)
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    _docker("stop", "-t", "1", f"{project.name}-net-1")
    result = project.cli("up", "--timeout", "60", timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "web: restarted" in result.stdout, result.stdout
    assert _same_namespace(project)


@pytest.mark.parametrize("explicit", [True, False], ids=["depends_on", "implicit"])
def test_case12_a_recreated_owner_recreates_its_sharer(project, explicit):
    """With ``depends_on: [net]`` web was kept; without it (Compose's implicit dependency, restart:
    true) it was restarted, which fails on the removed net's ID ("No such container") at every up."""
    _write(project, explicit=explicit)
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    _write(project, gen="2", explicit=explicit)  # a spec change recreates net: a new container, a new ID
    result = project.cli("up", "--timeout", "60", timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "web: recreated" in result.stdout, result.stdout
    assert _same_namespace(project)
    net = project.engine.inspect(f"{project.name}-net-1")
    web = project.engine.inspect(f"{project.name}-web-1")
    assert web["HostConfig"]["NetworkMode"] == f"container:{net['Id']}"


def _volume_at(project: Any, service: str, target: str) -> str:
    mounts = project.engine.inspect(f"{project.name}-{service}-1")["Mounts"]
    return next(m["Name"] for m in mounts if m["Destination"] == target)


def test_case13_a_recreated_volumes_from_source_recreates_its_sharer(project):
    def write(gen: str) -> None:
        services = {
            "db": project.sleeper(environment={"GEN": gen}, volumes=["/data"]),
            "reader": project.sleeper(volumes_from=["db"]),
        }
        (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services)))

    made: list[str] = []  # db's anonymous volumes: a recreate leaves the old one, removed at the end
    try:
        write("1")
        assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
        made.append(_volume_at(project, "db", "/data"))
        assert _volume_at(project, "reader", "/data") == made[-1]
        write("2")  # a spec change recreates db: reader must take the new db's /data
        result = project.cli("up", "--timeout", "60", timeout=180)
        assert result.returncode == 0, result.stdout + result.stderr
        made.append(_volume_at(project, "db", "/data"))
        assert "reader: recreated" in result.stdout, result.stdout
        assert _volume_at(project, "reader", "/data") == made[-1]
        # db's anonymous /data is carried over to its successor, as Compose does: no data lost, no volume left
        assert made[0] == made[1]
        down = project.cli("down", "-v", timeout=180)
        assert down.returncode == 0, down.stdout + down.stderr
        gone = subprocess.run(["docker", "volume", "inspect", made[0]], capture_output=True, timeout=60)
        assert gone.returncode != 0, f"down -v left the carried volume {made[0]}"
    finally:
        project.cli("down", "-v", timeout=180)
        for name in made:
            subprocess.run(["docker", "volume", "rm", name], capture_output=True, timeout=60)


def test_a_sharer_of_a_container_outside_the_spec_follows_its_restart(project):
    """``network_mode: container:NAME`` naming a container no service runs: its restart by hand leaves
    web in a dead namespace too. ``check --no-up`` fails it, ``check`` restarts web into the current one
    (the outside container is read, never touched)."""
    outside = f"{project.name}-outside"
    _docker("run", "-d", "--name", outside, project.image, "sleep", "3600")
    try:
        web = project.sleeper(network_mode=f"container:{outside}")
        spec = project.spec({"web": web}, settings={"reports": ["json=reports/result.json"]})
        (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
        assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
        _docker("restart", "-t", "1", outside)
        assert _netns(f"{project.name}-web-1") != _netns(outside)
        result = project.cli("check", "--no-up", *ARGS, timeout=180)
        assert result.returncode == 1, result.stdout
        assert (f"restart {project.name}-web-1", "fail") in _drift(project), _drift(project)
        result = project.cli("check", *ARGS, timeout=180)
        assert result.returncode == 0, result.stdout + result.stderr
        assert _netns(f"{project.name}-web-1") == _netns(outside)
    finally:
        project.cli("down", timeout=180)
        subprocess.run(["docker", "rm", "-f", outside], capture_output=True, timeout=60)
