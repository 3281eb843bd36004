"""Adversary graph7 case 04 on a real engine: ``web`` shares ``net``'s network namespace
(``network_mode: service:net``) and both are kept by an ``up`` whose walk is long (it recreates
``slowstop``, whose stop waits out its grace period). ``net`` is restarted during that walk: web is
left in net's earlier namespace (loopback only), running, with nothing in its own state to show it.
The plan judged the namespace before the walk; the end of ``up`` must judge it again (engine/kept.py
``namespace_lost``), so ``up`` fails web, and the next ``up`` restarts it into net's current one."""

from __future__ import annotations

import subprocess
import threading
from typing import Any

import pytest

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


def _restart_net_when_slowstop_stops(project: Any) -> tuple[Any, threading.Event]:
    """A progress hook that restarts net (by hand, as a crash under a restart policy would) once the
    walk begins slowstop's recreate, and an event set when that restart is done."""
    done = threading.Event()

    def restart() -> None:
        subprocess.run(["docker", "restart", "-t", "0", f"{project.name}-net-1"], check=True, timeout=60)
        done.set()

    def progress(who: str, message: str) -> None:
        project.progress(who, message)
        if who == "slowstop" and message.startswith("recreating") and not done.is_set():
            threading.Thread(target=restart, daemon=True).start()

    return progress, done


def test_case04_an_owner_restarted_during_the_walk_fails_its_kept_sharer(project):
    first = project.up(_services(project, "1"), timeout=60)
    assert first.ok, project.lines
    assert _netns(f"{project.name}-web-1") == _netns(f"{project.name}-net-1")
    progress, restarted = _restart_net_when_slowstop_stops(project)
    from validator.engine.reconcile import up

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
