"""``check --no-up`` on a real engine: one look in the second a crash-looping container is up is not
evidence that it is up (checks/settle.py). The container runs 8 s and exits 1 under ``restart:
always``; ``check --no-up`` looks while its first start is still up, so a single look sees it running
and, before the rule, passed it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _up_then_look(project: Any, services: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``up``, then at once ``check --no-up``: its exit status and its service result."""
    spec = project.spec(services, settings={"reports": ["json=reports/result.json"]})
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    project.cli("up", "--timeout", "60", timeout=120)
    try:
        result = project.cli("check", "--no-progress", "--no-history", "--no-suites", "--no-up", timeout=120)
    finally:
        project.cli("down", timeout=120)
    report = json.loads((project.folder / "reports" / "result.json").read_text())
    return result.returncode, next(r for r in report["run"]["results"] if r["kind"] == "service")


def test_a_crash_loop_seen_in_its_up_seconds_is_not_up(project):
    looping = {**project.sleeper(command=["sh", "-c", "sleep 8; exit 1"]), "restart": "always"}
    code, service = _up_then_look(project, {"loop": looping})
    assert code == 1 and service["verdict"] == "fail", service
    assert "within 10s of its start" in service["actual"], service


def test_a_stable_container_is_up_after_the_settle_wait(project):
    code, service = _up_then_look(project, {"calm": project.sleeper()})
    assert code == 0 and service["verdict"] == "pass", service
