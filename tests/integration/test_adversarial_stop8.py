"""The stop review's cases (adversary stop8) about checks the spec declares that never ran, on a real
engine: a probe skipped because its service was a job that had completed, and suites left out by
``--no-suites``. Each was a PASSED run with a declared check never made and nothing saying so."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import yaml

pytestmark = pytest.mark.docker


def _results(project) -> dict[tuple[str, str], dict]:
    run = json.loads((project.folder / "reports" / "result.json").read_text())["run"]
    return {(r["kind"], r["name"]): r for r in run["results"]}


def test_a_probe_of_a_job_that_completed_is_an_error_not_a_skip(project):
    """Case 12: the job exits 0 having migrated nothing; the log probe declared to check its output
    could not run (the job is not running any more). The service passed, so the skip would have left
    the declared check unmade under a PASSED run."""
    services = {
        "migrate": {
            "image": project.image,
            "command": ["sh", "-c", "echo 'migration: no connection, 0 rows'; exit 0"],
            "restart": "no",
        },
        "web": project.sleeper(depends_on={"migrate": {"condition": "service_completed_successfully"}}),
    }
    probes = {"migrated-rows": {"kind": "log", "service": "migrate", "pattern": "migrated [1-9][0-9]* rows"}}
    spec = project.spec(services, probes=probes, settings={"reports": ["json=reports/result.json"]})
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    result = project.cli("check", "--no-progress", "--no-history")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    found = _results(project)
    assert found[("service", "migrate")]["verdict"] == "pass"
    probe = found[("probe", "migrated-rows")]
    assert probe["verdict"] == "error" and "never made" in probe["message"], probe


def test_a_probe_of_a_service_that_failed_stays_a_skip(project):
    """The rule's other side: the service's own FAIL carries the run, and its probe is skipped."""
    services = {"web": project.sleeper()}
    probes = {"web-logs": {"kind": "log", "service": "web", "pattern": "anything"}}
    spec = project.spec(services, probes=probes, settings={"reports": ["json=reports/result.json"]})
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    result = project.cli("check", "--no-progress", "--no-history", "--no-up")  # never brought up: web fails
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    found = _results(project)
    assert found[("service", "web")]["verdict"] == "fail"
    assert found[("probe", "web-logs")]["verdict"] == "skip", found[("probe", "web-logs")]


def test_suites_left_out_by_no_suites_are_results_in_every_report(project):
    """Case 10: ``--no-suites`` on a spec whose only check is a suite: the run may pass on what it did
    check, but every report lists the suite as not run (JSON, JUnit's skipped case, the console)."""
    (project.folder / "tests").mkdir()
    (project.folder / "tests" / "test_a.py").write_text("def test_fails():\n    assert False\n")
    spec = project.spec(
        {"web": project.sleeper()},
        suites={"main": {"command": "python -m pytest tests -q -p no:cacheprovider"}},
        settings={"reports": ["json=reports/result.json", "junit=reports/junit.xml"]},
    )
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    result = project.cli("check", "--no-progress", "--no-history", "--no-suites")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    suite = _results(project)[("suite", "main")]
    assert suite["verdict"] == "skip" and "--no-suites" in suite["message"], suite
    junit = ET.parse(project.folder / "reports" / "junit.xml").getroot()
    cases = [c for c in junit.iter("testcase") if c.get("name") == "main"]
    assert cases and cases[0].find("skipped") is not None
    assert "did not run (--no-suites)" in result.stdout
