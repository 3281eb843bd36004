"""The checklist's stack end to end, on the local images (issues 6, 7 and 23): up to healthy, the full
check with its 28 tests (the 7 Delta ones on Spark's Delta), SC1-SC8 and CDC1, then down. Takes over
the project ``cdc-platform``: run it under ``flock /tmp/stack.lock`` (the stack's ports are fixed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.metrics import report_evidence, report_metrics

ROOT = Path(__file__).resolve().parents[2]
SPEC = ["-f", "infra.yaml", "-f", "infra.offline.yaml"]
IMAGES = [
    "cdc-local/spark:local",
    "cdc-local/alertmanager:local",
    "cdc-local/prometheus:local",
    "cdc-local/mysql:local",
]

pytestmark = [pytest.mark.docker, pytest.mark.stack, pytest.mark.slow]


def validator(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "validator", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def stack(engine):
    missing = [image for image in IMAGES if engine.image_id(image) is None]
    if missing:
        message = f"local images missing: {missing} (scripts/build-images builds them)"
        if os.environ.get("VALIDATOR_REQUIRE_DOCKER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    validator("down", *SPEC, "--volumes", "-q")
    yield
    validator("down", *SPEC, "--volumes", "-q")


def test_images_rebuild_from_cache():
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-images")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "0 built, 5 up to date" in result.stdout + result.stderr


def test_offline_stack_comes_up_healthy_then_plan_is_empty(stack):
    up = validator("up", *SPEC)
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-2000:]
    for service in ("spark", "spark-worker", "alertmanager", "prometheus", "mysql"):
        row = next(line for line in up.stdout.splitlines() if line.startswith(service + " "))
        assert " ready " in row and " create " in row, row
    plan = validator("plan", *SPEC)
    assert plan.returncode == 0 and "nothing to do" in plan.stdout, plan.stdout


def test_the_whole_checklist(stack):
    check = validator("check", *SPEC, "--no-progress", timeout=900)
    assert check.returncode == 0, check.stdout[-5000:] + check.stderr[-2000:]
    report = json.loads((ROOT / "reports" / "result.json").read_text())
    assert report["criteria"] == {**{f"SC{i}": "pass" for i in range(1, 9)}, "T326": "pass", "CDC1": "pass"}
    metrics = report_metrics(report)
    assert (metrics["group.delta.passed"], metrics["group.alertmanager.passed"], metrics["group.mysql.passed"]) == (
        7,
        12,
        9,
    )
    assert metrics["suite.main.failed"] == 0 and metrics["suite.main.total"] == 28
    results = {(r["kind"], r["name"]): r for r in report["run"]["results"]}
    # Spark's own Delta on the cluster, its JARs from the Maven local repository: no expected failure left
    assert results[("probe", "spark-delta")]["verdict"] == "pass"
    assert results[("probe", "cdc-binlog-to-delta")]["verdict"] == "pass"
    assert metrics["probe.cdc-binlog-to-delta.binlog_to_delta_seconds"] > 0
    assert [r for r in report["run"]["results"] if r["verdict"] != "pass"] == []
    kinds = {r["kind"] for r in report["run"]["results"]}
    assert kinds == {"host", "config", "python", "service", "probe", "suite", "group", "criterion", "usage"}
    # T332 and the Spark memory risk: every service's memory peak against its limit, for `report --limits`
    evidence = report_evidence(report)
    for service in ("spark", "spark-worker", "alertmanager", "prometheus", "mysql"):
        assert 0 < evidence[f"service.{service}.memory_peak_ratio"]["low"] < 1, service
        assert metrics[f"service.{service}.oom_kills"] == 0
    for name in ("result.json", "junit.xml", "RESULTS.md", "report.html", "metrics.prom"):
        assert (ROOT / "reports" / name).stat().st_size > 0


def test_down_removes_the_stack(stack, engine):
    from validator.engine import labels as L

    down = validator("down", *SPEC)
    assert down.returncode == 0
    assert engine.containers(L.project_filter("cdc-platform")) == []
    assert engine.networks(L.project_filter("cdc-platform")) == []
