"""Adversary graph7, class D: a kept container's live configuration compared in full with what the spec
asks, on the real engine. Case 02: a Compose container's engine-filled settings (ulimits, security
options, IPC, /dev/shm, logging) from an older file; case 03: a read-write folder bind replaced on the
host."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.integration.test_adversarial_drift6 import CHECK, compose, docker

pytestmark = pytest.mark.docker


def write(project: Any, services: dict[str, Any]) -> None:
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services), sort_keys=False))


def test_case03_a_read_write_folder_bind_replaced_on_the_host_is_drift(project):
    """03: a deploy moves the bound folder away and makes a new one (``mv site site.old; mkdir site``):
    the container keeps the old folder (the old page). Which folder is bound counts; what the container
    writes into it does not."""
    site = project.folder / "site"
    site.mkdir()
    (site / "index.html").write_text("OLD\n")
    services = {"web": {**project.sleeper(), "volumes": ["./site:/www"]}}
    write(project, services)
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    web = f"{project.name}-web-1"
    docker("exec", web, "sh", "-c", "echo written-by-web > /www/other.html")  # the same folder: no drift
    assert not project.plan(services).actions
    site.rename(project.folder / "site.old")
    site.mkdir()
    (site / "index.html").write_text("NEW\n")
    actions = project.plan(services).actions
    assert [a.kind for a in actions] == ["recreate"], actions
    assert "mounted file site (the folder bound read-write) changed" in actions[0].reasons, actions
    repaired = project.cli(*CHECK, timeout=180)
    assert repaired.returncode == 0, repaired.stdout[-2000:]
    assert docker("exec", web, "cat", "/www/index.html") == "NEW"
    assert not project.plan(services).actions


def test_case03_a_bound_folder_up_makes_is_recorded_once_made(project):
    """03's other half: a bind whose folder is not there yet is made by ``up`` just before the create
    and recorded as made, read-write and read-only alike: the next look finds the same folder and
    keeps the container (recorded while missing, it was recreated once for nothing)."""
    services = {"web": {**project.sleeper(), "volumes": ["./made-rw:/rw", "./made-ro:/ro:ro"]}}
    write(project, services)
    assert project.cli("up", "--timeout", "60", timeout=180).returncode == 0
    assert (project.folder / "made-rw").is_dir() and (project.folder / "made-ro").is_dir()
    assert not project.plan(services).actions
    (project.folder / "made-rw").rename(project.folder / "made-rw.old")
    (project.folder / "made-rw").mkdir()
    actions = project.plan(services).actions
    assert "mounted file made-rw (the folder bound read-write) changed" in actions[0].reasons, actions


def test_case02_a_compose_container_is_compared_on_what_the_engine_fills(project, compose_bin):
    """02: a container Compose made from an older file with ulimits, security options, ``ipc: host``,
    ``shm_size`` and ``logging`` the current file dropped is not the service's: each engine-filled key
    the spec leaves unset is compared with what the engine fills. Made by Compose from the current file
    itself (Compose is the oracle of what it creates), it is silent, ``ipc: host`` (the engine adds a
    security option for it) included."""
    entry = {"image": project.image, "command": ["sleep", "3600"], "init": True, "stop_grace_period": "1s"}
    plain = {"name": project.name, "services": {"web": entry}}
    host_ipc = {"name": project.name, "services": {"web": {**entry, "ipc": "host"}}}
    older = {
        "ulimits": {"nofile": 64},
        "security_opt": ["seccomp=unconfined", "apparmor=unconfined"],
        "ipc": "host",
        "shm_size": "4k",
        "logging": {"driver": "none"},
    }
    old = {"name": project.name, "services": {"web": {**entry, **older}}}
    file = project.folder / "compose.yaml"
    try:
        for made, current, reasons in (
            (plain, plain, ()),
            (host_ipc, host_ipc, ()),
            (old, plain, ("IpcMode", "LogConfig", "SecurityOpt", "ShmSize", "Ulimits")),
        ):
            code, out = _plan_after_compose(project, compose_bin, file, made, current)
            assert code == (1 if reasons else 0), out
            for key in reasons:
                assert f"{key} differs from what the engine makes of a spec that sets none" in out, out
    finally:
        compose(compose_bin, project.name, file, "down", "-t", "1")


def test_case02_a_compose_container_is_compared_on_every_config_key_the_spec_leaves_unset(project, compose_bin):
    """02, the container's ``Config``: an older file's labels (a proxy's routing), ``tty``,
    ``stdin_open``, ``hostname``, ``domainname``, ``stop_signal``, ``stop_grace_period`` and ``expose``
    the spec dropped are drift. Made by Compose from the current file (ports, expose and labels of its
    own), silent."""
    entry = {"image": project.image, "command": ["sleep", "3600"], "init": True}
    current = {
        "name": project.name,
        "services": {"web": {**entry, "ports": ["127.0.0.1::8080"], "expose": ["3000"], "labels": {"team": "a"}}},
    }
    older = {
        "labels": {"team": "a", "traefik.enable": "true"},
        "tty": True,
        "stdin_open": True,
        "hostname": "old-web",
        "domainname": "example.org",
        "stop_signal": "SIGUSR1",
        "stop_grace_period": "1s",
        "expose": ["3000", "4000"],
    }
    old = {"name": project.name, "services": {"web": {**current["services"]["web"], **older}}}
    reasons = (
        "label traefik.enable is set, the spec does not set it",
        "tty is set",
        "stdin_open is set",
        "hostname is set",
        "domainname is set",
        "stop_signal differs",
        "stop_grace_period is set",
        "expose: 4000/tcp is exposed, the spec does not expose it",
    )
    file = project.folder / "compose.yaml"
    try:
        for made, wanted in ((current, ()), (old, reasons)):
            code, out = _plan_after_compose(project, compose_bin, file, made, current)
            assert code == (1 if wanted else 0), out
            for reason in wanted:
                assert reason in out, out
    finally:
        compose(compose_bin, project.name, file, "down", "-t", "1")


def _plan_after_compose(project: Any, compose_bin: Any, file: Any, made: dict, current: dict) -> tuple[int, str]:
    """Compose's binary brings ``made`` up, then validator plans ``current`` over what it made: the
    plan's exit code and output."""
    file.write_text(yaml.safe_dump(made, sort_keys=False))
    compose(compose_bin, project.name, file, "up", "-d", "--force-recreate")
    file.write_text(yaml.safe_dump(current, sort_keys=False))
    plan = project.cli("plan", "-f", str(file), timeout=120)
    return plan.returncode, plan.stdout + plan.stderr
