"""Services watched for the whole run, on a real engine (issue 21): a container that crash-loops
after up, one that exits while the suite runs, one that turns unhealthy later by a health check its
image declares (the spec declares none) — each fails its service check naming what and when,
``service.*.restarts == 0`` does not pass, and ``check`` exits non-zero. And every target of
``check --host A --host B`` is contacted and identified, an unreachable one an error."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from tests.integration.conftest import free_port
from tests.metrics import report_metrics

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_services_that_fail_after_up_fail_their_check(project, engine):
    image = f"{project.name}-sickly:1"
    (project.folder / "img").mkdir()
    (project.folder / "img" / "Dockerfile").write_text(
        f"FROM {project.image}\nHEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD test ! -f /tmp/bad\n"
    )
    (project.folder / "tests").mkdir()
    # the suite runs past every fault below (bounded: 15 s)
    (project.folder / "tests" / "test_wait.py").write_text("import time\n\ndef test_waits():\n    time.sleep(15)\n")
    services = {
        "steady": project.sleeper(),
        "crashloop": {**project.sleeper(command=["sh", "-c", "sleep 3; exit 1"]), "restart": "always"},
        "exiter": project.sleeper(command=["sh", "-c", "sleep 5; exit 3"]),
        "sickly": {
            **project.sleeper(command=["sh", "-c", "sleep 6; touch /tmp/bad; sleep 3600"]),
            "build": {"context": "./img"},
            "image": image,
        },
    }
    spec = project.spec(
        services,
        suites={"main": {"command": "python -m pytest tests -q -p no:cacheprovider"}},
        criteria={"SC7": {"title": "no restarts", "condition": "service.*.restarts == 0"}},
        settings={"reports": ["json=reports/result.json"]},
    )
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    try:
        result = project.cli("check", "--no-progress", timeout=300)
    finally:
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    report = json.loads((project.folder / "reports" / "result.json").read_text())
    by_name = {r["name"]: r for r in report["run"]["results"] if r["kind"] == "service"}
    assert by_name["steady"]["verdict"] == "pass"
    assert report_metrics(report)["service.steady.restarts"] == 0
    crash = by_name["crashloop"]
    assert crash["verdict"] == "fail" and "died at" in crash["message"] and "(exit 1)" in crash["message"]
    assert "was restarted" in crash["message"]
    assert report_metrics(report)["service.crashloop.restarts"] >= 1
    exiter = by_name["exiter"]
    assert exiter["verdict"] == "fail" and "died at" in exiter["message"] and "(exit 3)" in exiter["message"]
    sickly = by_name["sickly"]
    assert sickly["verdict"] == "fail" and "turned unhealthy at" in sickly["message"]
    sc7 = next(r for r in report["run"]["results"] if r["kind"] == "criterion")
    assert sc7["verdict"] in ("fail", "error"), sc7


def test_every_target_is_contacted_and_identified_whatever_the_spec_contains(project, engine):
    closed = free_port()  # nothing listens there: a real unreachable address on loopback
    spec = {"version": 1, "project": project.name, "settings": {"reports": ["json=reports/result.json"]}}
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    result = project.cli(
        "check", "--no-progress", "--host", engine.address, "--host", f"tcp://127.0.0.1:{closed}", timeout=120
    )
    assert result.returncode != 0, result.stdout + result.stderr
    report = json.loads((project.folder / "reports" / "result.json").read_text())
    by_target = {r["target"]: r for r in report["run"]["results"] if r["kind"] == "engine"}
    reached = by_target[engine.address]
    engine_id = engine.info()["ID"]
    assert reached["verdict"] == "pass" and engine_id in reached["actual"]
    unreachable = by_target[f"tcp://127.0.0.1:{closed}"]
    assert unreachable["verdict"] == "error" and "cannot reach" in unreachable["message"]
    # the target that never answered is a run with its engine lost, as one target alone is (exit 3)
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"{engine.address}: PASSED" in result.stdout
    assert f"tcp://127.0.0.1:{closed}: ENGINE LOST" in result.stdout
