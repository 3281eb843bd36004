"""``validator up`` as a process: interrupts, an unreachable engine, the project lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

pytestmark = pytest.mark.docker


def spawn(folder, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "validator", *args],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def write(project, services):
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services)))


def slow_services(project):
    slow = project.http_service(healthcheck={"test": ["CMD", "true"], "interval": "4s", "timeout": "1s", "retries": 3})
    return {"slow": slow, "after": project.sleeper(depends_on={"slow": {"condition": "service_healthy"}})}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_mid_up_leaves_only_labelled_objects_and_converges(project, signum):
    write(project, slow_services(project))
    proc = spawn(project.folder, "up")
    deadline = time.monotonic() + 30
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen += line
        if "network" in line or not line:
            break
    time.sleep(0.3)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == (130 if signum == signal.SIGINT else 143), (seen + out, err)
    assert "Traceback" not in err
    project.assert_owned_only()
    again = subprocess.run(
        [sys.executable, "-m", "validator", "up"], cwd=project.folder, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stdout + again.stderr
    plan = subprocess.run(
        [sys.executable, "-m", "validator", "plan"], cwd=project.folder, capture_output=True, text=True
    )
    assert plan.returncode == 0 and "nothing to do" in plan.stdout


def test_second_run_waits_for_the_lock_then_refuses(project):
    from validator.engine.lock import ProjectLock

    write(project, {"a": project.sleeper()})
    with ProjectLock(project.name, project.engine, what="test"):
        result = project.cli("up", "--lock-timeout", "1", timeout=60)
    assert result.returncode == 1
    assert f"waiting for project {project.name!r}: validator test (pid {os.getpid()}) holds its lock" in result.stderr
    assert f"project {project.name!r} is busy" in result.stderr
    assert not project.containers()


@pytest.mark.parametrize("host", ["unix:///tmp/validator-no-such.sock", "tcp://127.0.0.1:9"])
def test_unreachable_engine_is_one_line_and_exit_3(run_cli, tmp_path, host):
    (tmp_path / "infra.yaml").write_text("version: 1\nproject: demo\nservices:\n  a:\n    image: x\n")
    for command in ("plan", "up", "down"):
        result = run_cli(command, "--host", host, cwd=tmp_path)
        assert result.returncode == 3, (command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"validator: cannot reach the Docker engine at {host}")


def test_docker_host_variable_is_honoured(run_cli, tmp_path):
    (tmp_path / "infra.yaml").write_text("version: 1\nproject: demo\n")
    result = run_cli("plan", cwd=tmp_path, env={"DOCKER_HOST": "tcp://127.0.0.1:9"})
    assert result.returncode == 3 and "tcp://127.0.0.1:9" in result.stderr


def test_plan_exit_codes_for_a_drift_gate(project):
    write(project, {"a": project.sleeper()})
    first = subprocess.run(
        [sys.executable, "-m", "validator", "plan"], cwd=project.folder, capture_output=True, text=True
    )
    assert first.returncode == 1 and "create a" in first.stdout
    assert subprocess.run([sys.executable, "-m", "validator", "up", "-q"], cwd=project.folder).returncode == 0
    second = subprocess.run(
        [sys.executable, "-m", "validator", "plan"], cwd=project.folder, capture_output=True, text=True
    )
    assert second.returncode == 0 and "nothing to do" in second.stdout


def test_verbose_up_shows_each_phase_and_down_the_same_per_service_lines(project):
    import re

    write(project, {"web": project.http_service(), "idle": project.sleeper(depends_on=["web"])})
    up = subprocess.run(
        [sys.executable, "-m", "validator", "up", "-v"], cwd=project.folder, capture_output=True, text=True, timeout=120
    )
    assert up.returncode == 0, up.stdout + up.stderr
    web = re.search(r"web: create (\d+\.\d+), start (\d+\.\d+), event \+(-?\d+\.\d+), healthy \+(\d+\.\d+)", up.stdout)
    assert web is not None, up.stdout
    create, start, event, healthy = (float(x) for x in web.groups())
    assert 0 < create < 10 and 0 < start < 10 and -0.5 < event < 10
    assert healthy >= 0.9  # engine 20.10 runs the first health probe one interval (1 s) after start
    assert re.search(r"idle: create \d+\.\d+, start \d+\.\d+, event \+-?\d+\.\d+$", up.stdout, re.M), up.stdout
    down = subprocess.run(
        [sys.executable, "-m", "validator", "down"], cwd=project.folder, capture_output=True, text=True, timeout=120
    )
    assert down.returncode == 0, down.stdout + down.stderr
    assert re.search(r"\] web: removed after \d+\.\d+s", down.stdout) and re.search(
        r"\] idle: removed after", down.stdout
    )


def test_verbose_up_shows_start_up_and_phases(project):
    """``up -v`` says where the time went: validator's own start-up before its first engine call, then
    each service's create and start calls and its health interval, so a reader can compare with the floor."""
    health = {"test": ["CMD", "true"], "interval": "1s", "timeout": "1s", "retries": 3}
    write(project, {"web": project.http_service(healthcheck=health)})
    done = subprocess.run(
        [sys.executable, "-m", "validator", "up", "-v"], cwd=project.folder, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    start = next(line for line in done.stdout.splitlines() if line.startswith("start-up (seconds):"))
    spec_s, connect_s = (float(part.rsplit(" ", 1)[1]) for part in start.split(": ", 1)[1].split(", "))
    assert 0 < spec_s < 30 and 0 <= connect_s < 30, start
    web = next(line for line in done.stdout.splitlines() if line.startswith("  web: create "))
    assert "(health interval 1)" in web, done.stdout
