"""On a real engine: under ``check``, a service's probes start as soon as that service is ready,
while ``up`` still waits for a slower one; a probe of a service that never became ready is skipped
with the reason, never run against it."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.integration.conftest import free_port
from tests.integration.test_check import check
from tests.metrics import report_evidence

pytestmark = pytest.mark.docker


def test_probes_start_when_their_service_is_ready_and_skip_an_unready_one(project):
    port = free_port()
    slow = project.sleeper(
        command=["sh", "-c", "sleep 4; touch /tmp/ok; exec sleep 3600"],
        healthcheck={"test": ["CMD", "test", "-f", "/tmp/ok"], "interval": "1s", "timeout": "900ms", "retries": 30},
    )
    bad = project.sleeper(
        healthcheck={"test": ["CMD", "false"], "interval": "1s", "timeout": "900ms", "retries": 1},
        health_timeout="20s",
    )
    spec = project.spec(
        {"web": project.http_service(port), "slow": slow, "bad": bad},
        probes={
            "page": {"kind": "http", "service": "web", "url": f"http://127.0.0.1:{port}/"},
            "bad-inside": {"kind": "command", "service": "bad", "command": ["true"]},
            "slow-inside": {"kind": "command", "service": "slow", "command": ["test", "-f", "/tmp/ok"]},
        },
    )
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    result = check(project, "--no-suites", "--report", "json=r.json", timeout=180)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]  # bad never turns healthy
    lines = result.stdout.splitlines()
    started = next(i for i, line in enumerate(lines) if "probes: web ready: starting page" in line)
    slow_ready = next(i for i, line in enumerate(lines) if line.split("] ", 1)[-1].startswith("slow: created"))
    assert started < slow_ready, "\n".join(lines)
    data = json.loads((project.folder / "r.json").read_text())
    verdicts = {r["name"]: (r["verdict"], r["message"]) for r in data["run"]["results"] if r["kind"] == "probe"}
    assert verdicts["page"][0] == "pass" and verdicts["slow-inside"][0] == "pass"
    assert verdicts["bad-inside"][0] == "skip"
    assert verdicts["bad-inside"][1].startswith("service bad did not become ready: "), verdicts["bad-inside"]
    assert report_evidence(data)["probe.bad-inside.passed"]["low"] is None
