"""Adversary graph7 cases 04 and 07 on a real engine.

Case 04: ``web`` shares ``net``'s network namespace
(``network_mode: service:net``) and both are kept by an ``up`` whose walk is long (it recreates
``slowstop``, whose stop waits out its grace period). ``net`` is restarted during that walk: web is
left in net's earlier namespace (loopback only), running, with nothing in its own state to show it.
The plan judged the namespace before the walk; the end of ``up`` must judge it again (engine/kept.py
``namespace_lost``), so ``up`` fails web, and the next ``up`` restarts it into net's current one."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _services(project: Any, gen: str) -> dict[str, Any]:
    return {
        "net": project.sleeper(),  # holds the namespace
        "web": project.sleeper(network_mode="service:net", depends_on=["net"]),
        # ignores SIGTERM (PID 1 without init): a stop waits out the whole grace period
        "slowstop": {
            "image": project.image,
            "command": ["sh", "-c", "sleep 3600"],
            "stop_grace_period": "6s",
            "environment": {"GEN": gen},  # a new GEN recreates it
        },
    }


def _netns(container: str) -> str:
    out = subprocess.run(
        ["docker", "exec", container, "ls", "-l", "/proc/1/ns/net"], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0 and "net:[" in out.stdout, out.stdout + out.stderr
    return out.stdout.split()[-1]


def test_case04_an_owner_restarted_during_the_walk_fails_its_kept_sharer(project):
    first = project.up(_services(project, "1"), timeout=60)
    assert first.ok, project.lines
    assert _netns(f"{project.name}-web-1") == _netns(f"{project.name}-net-1")
    from validator.engine.reconcile import up

    def restart_net() -> None:  # by hand, as a crash under a restart policy would
        subprocess.run(["docker", "restart", "-t", "0", f"{project.name}-net-1"], check=True, timeout=60)

    progress, restarted = _on_slowstop_recreate(project, restart_net)

    result = up(project.load(_services(project, "2")), project.engine, progress=progress, timeout=60)
    assert restarted.wait(30), project.lines
    assert _netns(f"{project.name}-web-1") != _netns(f"{project.name}-net-1")  # the trap is set
    assert not result.ok, project.lines
    web = result.services["web"]
    assert web.status == "failed" and "network namespace" in (web.message or ""), (web, project.lines)
    assert result.services["net"].status == "ready"
    # the next up puts web into net's current namespace
    again = project.up(_services(project, "2"), timeout=60)
    assert again.ok, project.lines
    assert _netns(f"{project.name}-web-1") == _netns(f"{project.name}-net-1")


def _compose_file(project: Any, gen: str) -> Path:
    path = project.folder / "compose.yaml"
    services = {
        "web": {"image": project.image, "command": ["sleep", "3600"], "init": True},
        "slowstop": {
            "image": project.image,
            "command": ["sh", "-c", "sleep 3600"],
            "stop_grace_period": "6s",
            "environment": {"GEN": gen},
        },
    }
    path.write_text(yaml.safe_dump({"name": project.name, "services": services}))
    return path


def _on_slowstop_recreate(project: Any, action: Any) -> tuple[Any, threading.Event]:
    done = threading.Event()

    def act() -> None:
        action()
        done.set()

    def progress(who: str, message: str) -> None:
        project.progress(who, message)
        if who == "slowstop" and message.startswith("recreating") and not done.is_set():
            threading.Thread(target=act, daemon=True).start()

    return progress, done


def test_case07_a_compose_container_disconnected_during_the_walk_fails_up(project, compose_bin):
    from validator.engine.reconcile import up
    from validator.load import load_spec

    path = _compose_file(project, "1")
    compose = [str(compose_bin), "-f", str(path), "-p", project.name]
    try:
        subprocess.run([*compose, "up", "-d", "web"], check=True, capture_output=True, timeout=120)
        first = up(load_spec([str(path)]), project.engine, progress=project.progress, timeout=60)
        assert first.ok, project.lines
        web = f"{project.name}-web-1"
        network = f"{project.name}_default"

        def disconnect() -> None:
            subprocess.run(["docker", "network", "disconnect", network, web], check=True, timeout=60)

        progress, done = _on_slowstop_recreate(project, disconnect)
        _compose_file(project, "2")
        result = up(load_spec([str(path)]), project.engine, progress=progress, timeout=60)
        assert done.wait(30), project.lines
        assert not result.ok, project.lines
        verdict = result.services["web"]
        assert verdict.status == "failed" and "not attached" in (verdict.message or ""), (verdict, project.lines)
    finally:
        subprocess.run([*compose, "down", "-t", "0"], capture_output=True, timeout=120)


def test_case01_report_after_the_image_tag_moved_is_no_verdict(project):
    """A passing check, then the tag its service names moved to another image (a pull, a build,
    ``docker tag``): ``report`` exits 1, as ``plan`` now recreates the service (run/fingerprint.py)."""
    tag = f"{project.name}-img:latest"
    other = f"{project.name}-img:other"
    subprocess.run(["docker", "tag", project.image, tag], check=True, timeout=60)
    try:
        subprocess.run(
            ["docker", "build", "-q", "-t", other, "-"],
            input=f"FROM {project.image}\nLABEL moved={project.name}\n",
            text=True,
            check=True,
            capture_output=True,
            timeout=120,
        )
        spec = project.spec({"web": {**project.sleeper(), "image": tag}})
        (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
        assert project.cli("check", "--no-progress", "--no-suites", timeout=180).returncode == 0
        shown = project.cli("report", timeout=60)
        assert shown.returncode == 0, shown.stderr
        subprocess.run(["docker", "tag", other, tag], check=True, timeout=60)
        shown = project.cli("report", timeout=60)
        assert shown.returncode == 1, shown.stderr
        assert "or an image a service names has changed since this run" in shown.stderr
    finally:
        subprocess.run(["docker", "rmi", "-f", tag, other], capture_output=True, timeout=60)


def test_case08_a_kept_container_restarted_during_the_walk_without_its_hooks_fails_up(project):
    from validator.engine.reconcile import up

    def services(gen: str) -> dict[str, Any]:
        slow = _services(project, gen)["slowstop"]
        web = {
            "image": project.image,
            "command": ["httpd", "-f", "-p", "8080", "-h", "/srv"],
            "tmpfs": ["/srv"],  # empty at every start: the hook writes the page
            "post_start": [{"command": ["sh", "-c", "echo HOOKED > /srv/index.html"]}],
        }
        return {"web": web, "slowstop": slow}

    first = project.up(services("1"), timeout=60)
    assert first.ok, project.lines
    web = f"{project.name}-web-1"

    def restart() -> None:
        subprocess.run(["docker", "restart", "-t", "1", web], check=True, timeout=60)

    progress, done = _on_slowstop_recreate(project, restart)
    result = up(project.load(services("2")), project.engine, progress=progress, timeout=60)
    assert done.wait(30), project.lines
    assert not result.ok, project.lines
    verdict = result.services["web"]
    assert verdict.status == "failed" and "post_start hooks ran on" in (verdict.message or ""), (verdict, project.lines)
    again = project.up(services("2"), timeout=60)  # restarted through its hook
    assert again.ok, project.lines
    page = subprocess.run(["docker", "exec", web, "cat", "/srv/index.html"], capture_output=True, text=True, timeout=30)
    assert page.stdout.strip() == "HOOKED", page
