"""``restart_grace``'s one spell per container, on a real engine (round-3 review, v9 case 02): every
piece of evidence of a death the container came back from spends the same allowance — a restart the
engine counted before the run (RestartCount), a death ``up``'s wait forgave, a death during the run.
A busybox container that exits 3 on its first starts, ``restart: always``: one crash before the
check and one during it fail the service; exactly one, either way, passes. Crash loops are kept to
two restarts (each script stops crashing by itself), and the project fixture removes what it made."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.slow]

# the container's own memory of its starts (its filesystem outlives a restart by its policy)
FIRST = "if [ ! -f /tmp/crash1 ]; then touch /tmp/crash1; sleep {first}; exit 3; fi; "
SECOND = "if [ ! -f /tmp/crash2 ]; then touch /tmp/crash2; sleep {second}; exit 3; fi; "
SERVE = "touch /tmp/serving; exec sleep 3600"


def app(project: Any, script: str, **extra: Any) -> dict[str, Any]:
    return {**project.sleeper(command=["sh", "-c", script]), "restart": "always", "restart_grace": "5s", **extra}


def serving_probe() -> dict[str, Any]:
    # waits (bounded) for the container to serve, so the run lasts past the crash during it
    return {
        "kind": "command",
        "service": "app",
        "command": ["test", "-f", "/tmp/serving"],
        "retries": 20,
        "retry_interval": "1s",
        "timeout": "40s",
    }


def check(project: Any, spec: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    spec = {**spec, "settings": {"reports": ["json=reports/result.json"]}}
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    result = project.cli("check", "--no-progress", "--no-history", timeout=180)
    report_file = project.folder / "reports" / "result.json"
    assert report_file.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return result.returncode, json.loads(report_file.read_text())


def service(report: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in report["run"]["results"] if r["kind"] == "service" and r["name"] == "app")


def up_then_first_crash(project: Any, spec: dict[str, Any]) -> None:
    """``up``, then wait (bounded) for the crash before the check and its restart: RestartCount 1."""
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    up = project.cli("up", "-q", timeout=120)
    assert up.returncode == 0, up.stdout + up.stderr
    deadline = time.monotonic() + 30
    while True:
        detail = project.engine.inspect(f"{project.name}-app-1")
        if detail["RestartCount"] == 1 and detail["State"]["Running"]:
            return
        assert time.monotonic() < deadline, "the crash before the check never came back"
        time.sleep(0.2)


def test_a_crash_before_the_check_and_one_during_it_fail_the_service(project):
    """v9 02: RestartCount 1 when check begins, a second crash 12 s into its container's restart."""
    spec = project.spec(
        {"app": app(project, FIRST.format(first=1) + SECOND.format(second=12) + SERVE)},
        probes={"app-serving": serving_probe()},
    )
    up_then_first_crash(project, spec)
    code, report = check(project, spec)
    result = service(report)
    assert code == 1 and result["verdict"] == "fail", result
    assert "died at" in result["message"] and "spent (1 before the run)" in result["message"], result


def test_one_crash_before_the_check_alone_passes(project):
    spec = project.spec({"app": app(project, FIRST.format(first=1) + SERVE)}, probes={"app-serving": serving_probe()})
    up_then_first_crash(project, spec)
    code, report = check(project, spec)
    assert code == 0 and service(report)["verdict"] == "pass", service(report)


def test_one_crash_during_the_check_alone_passes(project):
    spec = project.spec({"app": app(project, FIRST.format(first=4) + SERVE)}, probes={"app-serving": serving_probe()})
    code, report = check(project, spec)
    assert code == 0 and service(report)["verdict"] == "pass", service(report)


def test_two_crashes_ups_wait_forgave_fail_the_service(project):
    """Waiting for ``healthy``, up forgives each death it sees come back within the grace: two before
    the container was ready are two spells, though nothing happens after it is."""
    health = {"test": ["CMD", "test", "-f", "/tmp/serving"], "interval": "1s", "timeout": "1s", "retries": 3}
    script = FIRST.format(first=0.5) + SECOND.format(second=0.5) + SERVE
    code, report = check(project, project.spec({"app": app(project, script, healthcheck=health)}))
    result = service(report)
    assert code == 1 and result["verdict"] == "fail", result
    assert "2 before it was ready" in result["message"], result
