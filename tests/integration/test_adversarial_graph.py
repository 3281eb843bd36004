"""The outside review of the graph executor (adversary graph4): ways ``up`` said "ready" and ``check``
passed while the project was not what the spec says, each on a real engine and failing on the code
reviewed. ``up`` is ok only when every step of its graph is done (class C)."""

from __future__ import annotations

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _write(project, services) -> None:
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services)))


def test_case06_a_scale_down_past_the_time_limit_is_not_ready(project):
    """06: the surplus replica's stop outlives ``--timeout 2`` (PID 1 ignores SIGTERM, grace 12 s): the
    stop failed and the remove never ran, no service owns them, and up and check said all ready."""
    # The walk reports a step failed once it runs past the 2 s deadline plus the executor's 5 s grace
    # (engine/apply.py), 7 s after up started at the latest; the engine holds the stop for the whole
    # 12 s grace (PID 1 ignores SIGTERM), and load only makes it later. Each up, down and check here
    # waits out that grace, so it is no longer than that margin needs.
    web = {"image": project.image, "command": ["sleep", "3600"], "stop_grace_period": "12s"}
    _write(project, {"web": {**web, "scale": 2}})
    assert project.cli("up", "-q", timeout=120).returncode == 0
    _write(project, {"web": {**web, "scale": 1}})
    up = project.cli("up", "-q", "--timeout", "2", timeout=120)
    assert up.returncode == 1, up.stdout + up.stderr
    assert f"not done: stop {project.name}-web-2: failed, the overall time limit ran out" in up.stderr
    # the same through check, from two running replicas again
    assert project.cli("down", "-q", timeout=120).returncode == 0
    _write(project, {"web": {**web, "scale": 2}})
    assert project.cli("up", "-q", timeout=120).returncode == 0
    _write(project, {"web": {**web, "scale": 1}})
    check = project.cli("check", "--no-progress", "--no-suites", "--no-history", "--timeout", "2", timeout=180)
    assert check.returncode == 1, check.stdout[-2000:]
    assert "up left steps undone" in check.stdout


def test_case09_a_failed_pre_stop_hook_of_a_recreate_is_not_ready(project):
    """09: the old container's pre_stop hook exits 4 on a recreate; up printed FAILED and exited 0, check
    passed, while down fails on the very same hook. Stopped all the same, but up is not ok."""
    db = {
        "image": project.image,
        "command": ["sleep", "3600"],
        "init": True,
        "stop_grace_period": "1s",
        "pre_stop": [{"command": ["sh", "-c", "echo flushing; exit 4"]}],
    }
    _write(project, {"db": {**db, "environment": {"ROUND": "1"}}})
    assert project.cli("up", "-q", timeout=120).returncode == 0
    _write(project, {"db": {**db, "environment": {"ROUND": "2"}}})
    up = project.cli("up", "-q", timeout=120)
    assert up.returncode == 1, up.stdout + up.stderr
    assert "not done: pre_stop of" in up.stderr and "exited with status 4" in up.stderr
    assert project.containers()["db"]["State"] == "running"  # the recreate went on: the new db runs
