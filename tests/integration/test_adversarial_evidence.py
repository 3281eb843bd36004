"""The outside review of the graph executor (adversary graph4), class D: evidence from the wrong
moment. Each on a real engine, each passing the broken service on the code reviewed:

- 05: ``check`` watched a kept service only from when ``up`` told of it, after the plan's stops; a
  death in between was judged by nobody.
- 10: after ``docker restart`` the engine's health log still holds the earlier start's passing probe;
  its end minus the new StartedAt, negative, was turned into ``healthy 0.00s`` and a criterion
  bounding the health time passed on it.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest
import yaml

from tests.harness.midrun import run_acting

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CHECK = ("check", "--no-progress", "--no-suites", "--no-history", "--timeout", "60")


def _write(project: Any, services: dict[str, Any], **extra: Any) -> None:
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services, **extra)))


def _report(project: Any) -> dict[str, Any]:
    return json.loads((project.folder / "report.json").read_text())["run"]


def _criterion(project: Any, name: str) -> str:
    return str(json.loads((project.folder / "report.json").read_text())["criteria"][name])


def _result(run: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in run["results"] if r["kind"] == kind and r["name"] == name]
    return found


def _container(project: Any, service: str) -> str:
    return str(project.containers()[service]["Id"])


def test_case05_a_kept_service_that_dies_while_up_stops_another_fails(project):
    """05: ``loop`` is kept as it is; ``slowstop`` is recreated and its stop takes its whole grace (PID 1
    ignores SIGTERM). ``loop`` crashes in that window (on cue, here) and its restart policy brings it
    back at once: running again before anyone looks. The watcher saw the death (restarts 1); the
    service passed, because its watch began only once the stop was over."""
    loop = {
        "image": project.image,
        # exits 1 once /tmp/crash appears; its file system outlives the restart, so it runs on after
        "command": ["sh", "-c", "while [ ! -f /tmp/crash ]; do sleep 0.1; done; rm /tmp/crash; exit 1"],
        "restart": "always",
        "stop_grace_period": "1s",
    }
    slowstop = {"image": project.image, "command": ["sleep", "3600"], "stop_grace_period": "8s"}
    _write(project, {"loop": loop, "slowstop": {**slowstop, "environment": {"ROUND": "1"}}})
    assert project.cli("up", "-q", timeout=120).returncode == 0
    loop_id = _container(project, "loop")
    _write(project, {"loop": loop, "slowstop": {**slowstop, "environment": {"ROUND": "2"}}})
    # the old slowstop is stopping (8 s): loop dies then, and is running again well before that ends
    crash = lambda: project.engine.api.exec_start(project.engine.api.exec_create(loop_id, ["touch", "/tmp/crash"]))  # noqa: E731
    code, out = run_acting(project.folder, [*CHECK, "--report", "json=report.json"], "slowstop: recreating", crash)
    assert code == 1, out[-3000:]
    assert project.engine.inspect(loop_id)["RestartCount"] == 1  # it died, and its policy started it
    result = _result(_report(project), "service", "loop")
    assert result["verdict"] == "fail", result
    assert "died at" in result["message"] and "(exit 1)" in result["message"], result
    assert _result(_report(project), "service", "slowstop")["verdict"] == "pass"


def _wait_health(project: Any, cid: str, probes_since_start: int = 0) -> dict[str, Any]:
    """The container's record once healthy with at least ``probes_since_start`` probes begun since its
    current start (bounded: 60 s)."""
    from validator.engine.stamps import engine_time

    detail: dict[str, Any] = {}
    for _ in range(300):
        detail = project.engine.inspect(cid)
        state = detail["State"]
        started = engine_time(state["StartedAt"]) or 0.0
        log = (state.get("Health") or {}).get("Log") or []
        since = [e for e in log if (engine_time(e["Start"]) or 0.0) >= started]
        if state["Health"]["Status"] == "healthy" and len(since) >= probes_since_start:
            return detail
        time.sleep(0.2)
    raise AssertionError(f"not healthy in time: {detail.get('State')}")


def test_case10_a_restarted_kept_container_is_not_healthy_in_zero_seconds(project):
    """10: web is healthy about 3 s after each start (its first probe, 3 s in, passes). Restarted
    (``docker restart``, as a daemon restart or a restart policy does) and then checked, it was
    reported healthy in 0.00 s from the earlier start's probe, and ``healthy < 1s`` passed. Its current
    start's own probe gives its real time; once the health log no longer reaches back to the start,
    the time is unknown and the criterion an error."""
    web = {
        "image": project.image,
        "command": ["sh", "-c", "rm -f /tmp/up; sleep 2; touch /tmp/up; exec sleep 3600"],
        "init": True,
        "stop_grace_period": "1s",
        # probed every 3 s: the log (five probes) reaches back to the start for 15 s after it
        "healthcheck": {"test": ["CMD", "test", "-f", "/tmp/up"], "interval": "3s", "timeout": "2s", "retries": 30},
    }
    criteria = {"fast-healthy": {"title": "web is healthy within 1 s", "condition": "service.web.healthy < 1s"}}
    _write(project, {"web": web}, criteria=criteria)
    first = project.cli(*CHECK, "--report", "json=report.json", timeout=180)
    assert first.returncode == 1, first.stdout[-2000:]  # measured on a fresh container: about 3 s
    cid = _container(project, "web")
    subprocess.run(["docker", "restart", "-t", "1", cid], check=True, capture_output=True, timeout=60)
    detail = _wait_health(project, cid)
    assert detail["State"]["FinishedAt"] > detail["Created"]  # the earlier start's end: not a first start
    again = project.cli(*CHECK, "--report", "json=report.json", timeout=180)
    assert again.returncode == 1, again.stdout[-2000:]
    run = _report(project)
    assert _container(project, "web") == cid  # kept: its time comes from the engine's record
    web_result = _result(run, "service", "web")
    assert web_result["verdict"] == "pass"
    healthy = {m["key"]["field"]: m["value"] for m in web_result["metrics"]}.get("healthy")
    assert healthy is not None and healthy >= 1.0, web_result  # this start's first passing probe
    assert _criterion(project, "fast-healthy") == "fail"
    # five probes of this start later the log no longer reaches back to it: unknown, never 0
    _wait_health(project, cid, probes_since_start=5)
    late = project.cli(*CHECK, "--report", "json=report.json", timeout=180)
    assert late.returncode == 1, late.stdout[-2000:]
    run = _report(project)
    assert "healthy" not in {m["key"]["field"] for m in _result(run, "service", "web")["metrics"]}
    assert _criterion(project, "fast-healthy") == "error"


def test_a_started_container_that_exits_is_not_healthy_by_its_earlier_starts_probe(project):
    """The same class in up's waiter (found while fixing 10): db was healthy on its first start, then
    stopped; on its next start it exits 3 at once. up starts it and, finding it exited, asked its health
    log whether it had passed a check: the earlier start's pass said yes, up said db ready (healthy
    0.00 s) and started app on it. Only a probe of this start counts."""
    db = {
        "image": project.image,
        "command": ["sh", "-c", "test -f /tmp/die && exit 3; exec sleep 3600"],
        "init": True,
        "stop_grace_period": "1s",
        "healthcheck": {"test": ["CMD", "true"], "interval": "1s", "timeout": "900ms", "retries": 3},
    }
    services = {"db": db, "app": {**project.sleeper(), "depends_on": {"db": {"condition": "service_healthy"}}}}
    _write(project, services)
    assert project.cli("up", "-q", timeout=120).returncode == 0
    db_id, app_id = _container(project, "db"), _container(project, "app")
    _wait_health(project, db_id)
    for cid in (app_id, db_id):
        project.engine.api.stop(cid, timeout=1)
    marker = project.folder / "die"
    marker.write_text("x")
    subprocess.run(["docker", "cp", str(marker), f"{db_id}:/tmp/die"], check=True, capture_output=True, timeout=60)
    up = project.cli("up", timeout=120)
    assert up.returncode == 1, up.stdout + up.stderr
    assert "db: exited with code 3" in up.stdout + up.stderr
    assert project.engine.inspect(app_id)["State"]["Running"] is False  # nothing started on a dead db
