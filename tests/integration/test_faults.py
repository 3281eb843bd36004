"""Faults while running, on a real engine: each ends with the right verdict and exit code, within
its timeout, names the cause, and leaves nothing half-done (the next ``up`` converges)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import yaml

from tests.integration.conftest import free_port
from validator.engine import labels as L

pytestmark = pytest.mark.docker


def converges(project, services):
    assert project.up(services).ok, project.lines
    assert project.plan(services).empty


def wait_for_container(project, service, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = project.containers().get(service)
        if found and found["State"] == "running":
            return found["Id"]
        time.sleep(0.1)
    raise AssertionError(f"{service} never ran")


def test_container_killed_during_the_health_wait(project):
    services = {"slow": project.http_service(healthcheck={"test": ["CMD", "true"], "interval": "5s", "timeout": "1s"})}
    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("result", project.up(services)))
    worker.start()
    container = wait_for_container(project, "slow")
    killed_at = time.monotonic()
    subprocess.run(["docker", "kill", container], check=True, capture_output=True)
    worker.join(60)
    result = box["result"]
    assert not result.ok and "exited with code 137" in result.services["slow"].message
    assert time.monotonic() - killed_at < 10
    converges(project, services)


def test_a_health_check_that_hangs(project):
    services = {
        "hang": project.sleeper(
            healthcheck={"test": ["CMD", "sleep", "60"], "interval": "2s", "timeout": "1s", "retries": 2},
            health_timeout="60s",
        )
    }
    began = time.monotonic()
    result = project.up(services)
    assert not result.ok and time.monotonic() - began < 30
    assert "turned unhealthy" in result.services["hang"].message
    assert "exceeded timeout" in result.services["hang"].message.lower() or "exit -1" in result.services["hang"].message
    fixed = {"hang": project.sleeper(healthcheck={"test": ["CMD", "true"], "interval": "1s", "timeout": "500ms"})}
    converges(project, fixed)


def test_an_image_that_cannot_be_pulled(project, run_cli):
    spec = project.spec({"web": {"image": "registry.invalid/validator/nope:1", "command": ["sleep", "1"]}})
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    began = time.monotonic()
    result = run_cli("up", cwd=project.folder, timeout=120)
    assert result.returncode == 1 and time.monotonic() - began < 60
    assert "cannot pull image registry.invalid/validator/nope:1" in result.stderr
    assert "Traceback" not in result.stderr
    assert project.containers() == {}
    converges(project, {"web": project.sleeper()})


def test_a_host_port_taken_by_a_foreign_process(project):
    port = free_port()
    holder = socket.socket()
    holder.bind(("127.0.0.1", port))
    holder.listen()
    services = {"web": project.http_service(port)}
    try:
        result = project.up(services)
    finally:
        holder.close()
    assert not result.ok
    message = result.services["web"].message
    assert "address already in use" in message or "port is already allocated" in message, message
    converges(project, services)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a read-only file system needs root")
def test_reports_on_a_read_only_disk(project, tmp_path):
    readonly = tmp_path / "ro"
    readonly.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(readonly)], check=True)
    try:
        spec = project.spec({"a": project.sleeper()})
        (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "validator",
                "check",
                "--no-progress",
                "--report",
                f"json={readonly}/result.json",
                "--report",
                "console",
            ],
            cwd=project.folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 1
        assert "cannot write a report: Read-only file system" in result.stderr
        assert list(readonly.iterdir()) == []
        assert "Traceback" not in result.stderr
    finally:
        subprocess.run(["umount", str(readonly)], check=False)


# --- the daemon stops in the middle of up: a private engine this test may stop (conftest) -------


def test_the_daemon_stops_mid_up(project, private_engine):
    host, state, start = private_engine
    spec = project.spec(
        {"slow": project.sleeper(healthcheck={"test": ["CMD", "true"], "interval": "6s", "timeout": "1s"})}
    )
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    proc = subprocess.Popen(
        [sys.executable, "-m", "validator", "up", "--host", host],
        cwd=project.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = subprocess.run(
            ["docker", "-H", host, "ps", "-q", "--filter", f"label={L.PROJECT}={project.name}"],
            capture_output=True,
            text=True,
        ).stdout.split()
        if listed:
            break
        time.sleep(0.1)
    state["proc"].terminate()
    state["proc"].wait(timeout=30)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)
    assert f"the Docker engine at {host} stopped" in err and "Traceback" not in err
    state["proc"] = start()
    again = subprocess.run(
        [sys.executable, "-m", "validator", "up", "--host", host],
        cwd=project.folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stdout + again.stderr
