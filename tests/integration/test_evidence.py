"""On a real engine: a service that never turns healthy makes every criterion over ``service.*.healthy``
an error naming it, while what it did measure (its startup) is still judged."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.integration.test_check import check
from tests.metrics import report_evidence, report_metrics

pytestmark = pytest.mark.docker


def test_a_service_that_never_turns_healthy_fails_the_wildcard_criterion(project):
    good = project.sleeper(healthcheck={"test": ["CMD", "true"], "interval": "1s", "timeout": "900ms"})
    bad = project.sleeper(
        healthcheck={"test": ["CMD", "false"], "interval": "1s", "timeout": "900ms", "retries": 1},
        health_timeout="20s",
    )
    spec = project.spec(
        {"good": good, "bad": bad},
        criteria={
            "SC7": {"title": "start", "condition": "service.*.startup < 60s"},
            "SC8": {"title": "health", "condition": "service.*.healthy < 30s"},
            "MAX": {"title": "slowest", "condition": "max(service.*.healthy) < 30s"},
            "GOOD": {"title": "good alone", "condition": "service.good.healthy < 30s"},
        },
    )
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    result = check(project, "--no-suites", "--report", "json=r.json", timeout=180)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    data = json.loads((project.folder / "r.json").read_text())
    results = {r["id"]: r for r in data["run"]["results"] if r["kind"] != "usage"}  # usage has the service's id too
    assert results["bad"]["verdict"] == "fail" and results["good"]["verdict"] == "pass"
    for cid in ("SC8", "MAX"):
        assert results[cid]["verdict"] == "error", results[cid]
        assert "service.bad.healthy is unavailable: service bad did not become healthy" in results[cid]["message"]
    # the bad service did not hold for the run (the watcher saw it unhealthy), but its start time is a
    # fact measured before (checks/watched.py FACTS_AT_START): still judged, as the good one's times are
    assert results["SC7"]["verdict"] == "pass", results["SC7"]
    assert results["GOOD"]["verdict"] == "pass", results["GOOD"]
    evidence = report_evidence(data)
    assert (evidence["service.bad.healthy"]["low"], evidence["service.bad.healthy"]["high"]) == (None, None)
    good = evidence["service.good.healthy"]
    assert good["producer"] == "service good" and good["low"] == good["high"] and good["reason"] == ""
    assert "service.bad.healthy" not in report_metrics(data)
