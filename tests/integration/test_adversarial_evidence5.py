"""The outside review of the graph executor (adversary graph5), cases 08 and 02: a kept container
(``up`` gives it no step) judged by one earlier look. Each on a real engine, each passing the broken
service on the code reviewed:

- 08: ``up`` kept ``loop`` as it found it and reported it ready from the observation made before the
  walk, though it died during the walk (while another service's recreate waited out its stop).
- 02: a kept container in a steady crash loop (restarted by its policy, every ~14 s) reported
  ``restarts`` 0: the engine's RestartCount, the restarts before the run, was never counted.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import yaml

from tests.harness.midrun import run_acting

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _write(project: Any, services: dict[str, Any], **extra: Any) -> None:
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services, **extra)))


def _container(project: Any, service: str) -> str:
    return str(project.containers()[service]["Id"])


def test_case08_a_kept_service_that_dies_during_up_fails_up(project):
    """08: ``loop`` is kept; ``slowstop`` is recreated and its stop takes its whole grace (PID 1 ignores
    SIGTERM). ``loop`` exits 1 in that window (on cue) and nothing restarts it. up said "all services
    ready" (exit 0) from the look before the walk; it now fails ``loop``, naming its state."""
    loop = {
        "image": project.image,
        "command": ["sh", "-c", "while [ ! -f /tmp/crash ]; do sleep 0.1; done; echo 'lost its lease' >&2; exit 1"],
        "stop_grace_period": "1s",
    }
    slowstop = {"image": project.image, "command": ["sh", "-c", "trap '' TERM; sleep 3600"], "stop_grace_period": "6s"}
    _write(project, {"loop": loop, "slowstop": {**slowstop, "environment": {"ROUND": "1"}}})
    assert project.cli("up", "-q", timeout=120).returncode == 0
    loop_id = _container(project, "loop")
    _write(project, {"loop": loop, "slowstop": {**slowstop, "environment": {"ROUND": "2"}}})
    # the old slowstop is stopping (6 s): loop dies then, with no policy to bring it back
    crash = lambda: project.engine.api.exec_start(project.engine.api.exec_create(loop_id, ["touch", "/tmp/crash"]))  # noqa: E731
    code, out = run_acting(project.folder, ["up", "--timeout", "60"], "slowstop: recreating", crash)
    assert project.engine.inspect(loop_id)["State"]["Status"] == "exited", out  # the premise
    assert code == 1, out[-3000:]
    assert "NOT READY" in out and "all services ready" not in out, out
    assert "loop: failed: kept as it was, but by the end of up it is exited (exit code 1)" in out, out
    assert _container(project, "loop") == loop_id  # judged, not touched


def _restart_count_reaches(project: Any, cid: str, count: int) -> dict[str, Any]:
    """The container's inspect once its policy restarted it ``count`` times and it runs (bounded: 30 s)."""
    detail: dict[str, Any] = {}
    for _ in range(150):
        detail = project.engine.inspect(cid)
        if detail["RestartCount"] >= count and detail["State"]["Status"] == "running":
            return detail
        time.sleep(0.2)
    raise AssertionError(f"not restarted {count} times in time: {detail.get('RestartCount')} {detail.get('State')}")


def _service(project: Any) -> dict[str, Any]:
    run = json.loads((project.folder / "report.json").read_text())["run"]
    (found,) = [r for r in run["results"] if r["kind"] == "service" and r["name"] == "worker"]
    return dict(found)


@pytest.mark.parametrize("no_up", [False, True], ids=["check", "check-no-up"])
def test_case02_a_kept_container_restarted_before_the_run_fails_and_counts(project, no_up):
    """02: ``worker`` died twice (exit 1) and its ``restart: always`` brought it back each time, all
    before the run; it runs when looked at. check (kept: no step) and check --no-up reported it PASS
    with ``restarts`` 0, so ``restarts < 1`` passed; the engine's RestartCount (2) now counts, and
    fails the service."""
    worker = {
        "image": project.image,
        # exits 1 a second into its first two starts (its file system outlives a restart), then runs on
        "command": [
            "sh",
            "-c",
            # $$: the spec's interpolation leaves one $
            "n=$$(cat /tmp/n 2>/dev/null || echo 0); n=$$((n+1)); echo $$n > /tmp/n; "
            "if [ $$n -le 2 ]; then sleep 1; echo 'cannot reach upstream' >&2; exit 1; fi; exec sleep 3600",
        ],
        "restart": "always",
        "init": True,
        "stop_grace_period": "1s",
    }
    criteria = {"no-restarts": {"title": "worker never restarted", "condition": "service.worker.restarts < 1"}}
    _write(project, {"worker": worker}, criteria=criteria)
    assert project.cli("up", "-q", timeout=120).returncode == 0  # running: it dies a second later
    cid = _container(project, "worker")
    _restart_count_reaches(project, cid, 2)
    args = ("check", "--no-progress", "--no-suites", "--no-history", "--timeout", "60", "--report", "json=report.json")
    checked = project.cli(*args, *(("--no-up",) if no_up else ()), timeout=180)
    out = checked.stdout + checked.stderr
    assert _container(project, "worker") == cid, out  # the premise: kept, not recreated
    assert checked.returncode == 1, out[-3000:]
    result = _service(project)
    assert result["verdict"] == "fail", result
    assert "restarted 2 times by its restart policy before the run" in result["message"], result
    report = json.loads((project.folder / "report.json").read_text())
    assert report["criteria"]["no-restarts"] == "fail", report["criteria"]
    assert {"key": {"family": "service", "field": "restarts", "member": "worker"}, "value": 2.0} in result["metrics"]
