"""Round-3b review (v9b cases 05, 06) on a real engine: what a criterion reads about a container is
as it was over the whole run, on every replica. Limits lifted in place (``docker update``) during the
check, or on replica 2 before ``check --no-up``, give no limit to pass on; a ``docker stop`` +
``docker start`` during the run is a restart even when ``restart_grace`` tolerates it. The project
fixture removes what it made; each background step is bounded."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def check(project: Any, spec: dict[str, Any], *options: str) -> tuple[int, dict[str, Any]]:
    spec = {**spec, "settings": {"reports": ["json=reports/result.json"]}}
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    result = project.cli("check", "--no-progress", "--no-history", *options, timeout=180)
    report_file = project.folder / "reports" / "result.json"
    assert report_file.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return result.returncode, json.loads(report_file.read_text())


def up(project: Any, spec: dict[str, Any]) -> None:
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    done = project.cli("up", "-q", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def docker(*args: str) -> None:
    subprocess.run(["docker", *args], check=True, capture_output=True, timeout=30)


def later(delay: float, *steps: tuple[str, ...]) -> threading.Thread:
    """The docker commands ``steps``, ``delay`` seconds from now, in a thread (joined by the caller)."""

    def run() -> None:
        time.sleep(delay)
        for step in steps:
            docker(*step)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def workload(service: str, seconds: int) -> dict[str, Any]:
    return {"kind": "command", "service": service, "command": ["sh", "-c", f"sleep {seconds}"], "timeout": "30s"}


LIMITED = {
    "M1": {"title": "64 MiB", "condition": "service.worker.memory_limit <= 64MiB"},
    "C1": {"title": "half a core", "condition": "service.worker.cpus <= 0.5"},
}
LIFT = ("--memory", "512m", "--memory-swap", "512m", "--cpus", "1")


def limited(project: Any) -> dict[str, Any]:
    worker = project.sleeper(scale=2, mem_limit="64m", cpus=0.5)
    return project.spec({"worker": worker}, probes={"work": workload("worker", 6)}, criteria=LIMITED)


def test_limits_lifted_in_place_during_the_check_give_no_limit_to_pass_on(project):
    """v9b 05: both replicas' limits lifted 2 s into a 6 s workload: M1 and C1 are not PASS."""
    spec = limited(project)
    up(project, spec)
    names = [f"{project.name}-worker-{n}" for n in (1, 2)]
    thread = later(2, *(("update", *LIFT, name) for name in names))
    code, report = check(project, spec)
    thread.join(timeout=60)
    assert project.engine.inspect(names[0])["HostConfig"]["Memory"] == 512 * 2**20  # the lift happened
    assert code != 0 and report["criteria"]["M1"] != "pass" and report["criteria"]["C1"] != "pass", report["criteria"]


def test_limits_of_replica_two_lifted_before_a_no_up_check_are_not_replica_ones(project):
    """v9b 05, variant: only replica 2 lifted before ``check --no-up``: replica 1's limits are not the
    service's."""
    spec = limited(project)
    up(project, spec)
    docker("update", *LIFT, f"{project.name}-worker-2")
    code, report = check(project, spec, "--no-up")
    assert code != 0 and report["criteria"]["M1"] != "pass" and report["criteria"]["C1"] != "pass", report["criteria"]


def test_a_stop_and_start_during_the_run_counts_as_a_restart_under_restart_grace(project):
    """v9b 06: web stopped and started by hand 3 s into an 8 s workload; the grace tolerates the death
    (one spell), ``restarts == 0`` fails on it."""
    web = project.sleeper(restart="on-failure", restart_grace="30s")
    spec = project.spec(
        {"web": web, "load": project.sleeper()},
        probes={"work": workload("load", 8)},
        criteria={"R1": {"title": "never restarted", "condition": "service.web.restarts == 0"}},
    )
    up(project, spec)
    name = f"{project.name}-web-1"
    thread = later(3, ("stop", "-t", "0", name), ("start", name))
    code, report = check(project, spec)
    thread.join(timeout=60)
    assert code != 0 and report["criteria"]["R1"] == "fail", report["criteria"]
