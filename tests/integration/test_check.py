"""``validator check`` end to end on a real engine: every check kind, reports, modes, faults."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest
import yaml

from tests.integration.conftest import free_port
from tests.metrics import report_evidence, report_metrics

pytestmark = pytest.mark.docker


def write_project(project, port: int, extra_probes: dict | None = None) -> None:
    folder = project.folder
    (folder / "conf").mkdir(exist_ok=True)
    (folder / "conf" / "app.conf").write_text("spark.eventLog.enabled false\nspark.sql.warehouse.dir /opt/w\n")
    (folder / "tests").mkdir(exist_ok=True)
    (folder / "tests" / "test_web.py").write_text(
        textwrap.dedent(f"""
        import urllib.request
        import pytest

        def test_page():
            assert urllib.request.urlopen("http://127.0.0.1:{port}/").status == 200

        @pytest.mark.slow
        def test_marked():
            pass

        def test_skipped():
            pytest.skip("not here")
    """)
    )
    spec = project.spec({"web": project.http_service(port, mem_limit="64m", cpus=0.5, volumes=["./conf:/etc/app:ro"])})
    spec.update(
        {
            "host": {
                "memory": "64m",
                "ports": [port],
                "tools": {"python": {"command": [sys.executable, "--version"], "version": ">=3.11"}},
            },
            "config_keys": {
                "app": {
                    "path": "conf/app.conf",
                    "keys": {"spark.eventLog.enabled": "false", "spark.sql.warehouse.dir": "/opt/w"},
                }
            },
            "python": {"packages": {"requests": ">=2"}},
            "probes": {
                "page": {"kind": "http", "service": "web", "url": f"http://127.0.0.1:{port}/", "body_regex": "ok"},
                "port": {"kind": "tcp", "service": "web", "port": port},
                "inside": {
                    "kind": "command",
                    "service": "web",
                    "command": ["cat", "/etc/app/app.conf"],
                    "output_regex": "eventLog",
                },
                "limits": {"kind": "container", "service": "web"},
                **(extra_probes or {}),
            },
            "suites": {
                "main": {
                    "command": "python -m pytest tests -q -p no:cacheprovider",
                    "groups": {"web": {"paths": ["tests/test_web.py"]}, "marked": {"markers": ["slow"]}},
                }
            },
            "criteria": {
                "SC1": {"title": "no failures", "condition": "suite.main.failed == 0 and suite.main.errors == 0"},
                "SC2": {"title": "few skipped", "condition": "suite.main.skipped < 2"},
                "SC3": {"title": "web tests", "condition": "group.web.passed == 2 and group.marked.total == 1"},
                "SC7": {"title": "start", "condition": "service.*.startup < 60s"},
                "SC8": {"title": "health", "condition": "service.*.healthy < 30s"},
                "MEM": {"title": "limit", "condition": "service.web.memory_limit == 64MiB"},
            },
            "settings": {
                "reports": [
                    "json=reports/result.json",
                    "junit=reports/junit.xml",
                    "markdown=reports/RESULTS.md",
                    "html=reports/report.html",
                    "openmetrics=reports/metrics.prom",
                ]
            },
        }
    )
    (folder / "infra.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))


def check(project, *args, timeout=300):
    return project.cli("check", "--no-progress", *args, timeout=timeout)


def test_full_check_passes_and_writes_every_report(project):
    port = free_port()
    write_project(project, port)
    result = check(project)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    data = json.loads((project.folder / "reports" / "result.json").read_text())
    verdicts = {(r["kind"], r["name"]): r["verdict"] for r in data["run"]["results"]}
    assert all(v in ("pass", "xfail") for v in verdicts.values()), verdicts
    kinds = {k for k, _ in verdicts}
    assert kinds == {"host", "config", "python", "service", "probe", "suite", "group", "criterion", "usage"}
    assert data["criteria"] == {c: "pass" for c in ("SC1", "SC2", "SC3", "SC7", "SC8", "MEM")}
    assert 0 < report_evidence(data)["service.web.memory_peak_ratio"]["low"] < 1  # sampled over the run
    metrics = report_metrics(data)
    assert 0 < metrics["service.web.startup"] < 10 and 0 < metrics["service.web.healthy"] < 10
    assert metrics["group.web.passed"] == 2 and metrics["suite.main.skipped"] == 1
    junit = ET.parse(project.folder / "reports" / "junit.xml").getroot()
    assert len(junit.findall(".//testcase")) == len(verdicts) + 3
    markdown = (project.folder / "reports" / "RESULTS.md").read_text()
    assert "| SC8 | health |" in markdown and "| main/web | 3 | 2 | 0 | 1 | 0 |" in markdown
    assert "<svg" in (project.folder / "reports" / "report.html").read_text()
    again = check(project, "--report", "console")
    assert again.returncode == 0
    history = subprocess.run(
        [sys.executable, "-m", "validator", "report", "--history", "2"],
        cwd=project.folder,
        capture_output=True,
        text=True,
    )
    assert history.returncode == 0 and "SC8" in history.stdout and "PP" in history.stdout


def test_no_up_and_plan_change_nothing(project):
    port = free_port()
    write_project(project, port)
    nothing = check(project, "--no-up", "--no-suites", "--report", "json=r.json")
    data = json.loads((project.folder / "r.json").read_text())
    verdicts = {(r["kind"], r["name"]): (r["verdict"], r["message"]) for r in data["run"]["results"]}
    assert nothing.returncode == 1
    assert verdicts[("service", "web")][0] == "fail"
    assert verdicts[("probe", "page")] == ("skip", "service web is not running")
    assert project.containers() == {}
    drift = check(project, "--plan", "--no-suites", "--report", "json=r.json")
    data = json.loads((project.folder / "r.json").read_text())
    assert drift.returncode == 1
    assert any(r["kind"] == "drift" and r["actual"] == "create" for r in data["run"]["results"])
    assert project.containers() == {}


def test_a_failing_probe_and_a_foreign_port_holder(project):
    port, busy = free_port(), free_port()
    import socket

    holder = socket.socket()
    holder.bind(("127.0.0.1", busy))
    holder.listen()
    try:
        write_project(project, port, {"wrong": {"kind": "http", "url": f"http://127.0.0.1:{port}/", "status": 418}})
        spec = yaml.safe_load((project.folder / "infra.yaml").read_text())
        spec["host"]["ports"].append(busy)
        (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
        result = check(project, "--no-suites", "--report", "json=r.json")
    finally:
        holder.close()
    assert result.returncode == 1
    data = json.loads((project.folder / "r.json").read_text())
    failing = {r["name"]: r for r in data["run"]["results"] if r["verdict"] in ("fail", "error")}
    assert failing["wrong"]["actual"] == "status 200"
    assert "(pid " in failing[f"port {busy} free"]["actual"]
    assert {r["name"] for r in data["run"]["results"] if r["kind"] == "criterion" and r["verdict"] == "error"} == {
        "SC1: no failures",
        "SC2: few skipped",
        "SC3: web tests",
    }


def test_unreachable_engine_exits_3_and_still_writes_its_reports(project):
    """A check whose engine never answers ends as one whose engine was lost: exit 3, one line saying
    why, and the reports the spec asks for, each saying so (never a missing file a gate reads as
    nothing to say)."""
    write_project(project, free_port())
    result = check(project, "--host", "unix:///tmp/validator-nothing-here.sock")
    assert result.returncode == 3
    assert "cannot reach the Docker engine at unix:///tmp/validator-nothing-here.sock" in result.stderr
    assert "Traceback" not in result.stderr
    run = json.loads((project.folder / "reports" / "result.json").read_text())["run"]
    assert run["engine_lost"] and "cannot reach the Docker engine" in run["engine_lost"]
    verdicts = {r["name"]: r["verdict"] for r in run["results"]}
    assert verdicts["engine reachable"] == "error"
    assert "pass" not in {v for name, v in verdicts.items() if name.startswith("SC")}, verdicts
    junit = ET.parse(project.folder / "reports" / "junit.xml").getroot()
    assert len(junit.findall(".//testcase/error")) >= len([v for v in verdicts.values() if v == "error"]) > 1


def test_a_project_held_by_another_run_fails_the_check_with_its_reports(project):
    from validator.engine.lock import ProjectLock

    write_project(project, free_port())
    with ProjectLock(project.name, project.engine, what="test"):
        result = check(project, "--lock-timeout", "1")
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    run = json.loads((project.folder / "reports" / "result.json").read_text())["run"]
    stopped = [r for r in run["results"] if r["name"] == "run finished"]
    assert stopped and stopped[0]["verdict"] == "error" and "is busy" in stopped[0]["message"], stopped
    assert all(r["verdict"] != "pass" for r in run["results"] if r["kind"] in ("service", "probe", "criterion"))
    assert not project.containers()


@pytest.mark.slow
def test_html_report_renders_its_chart_in_a_headless_browser(project, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.fail("chromium is needed for this test (apt-get install chromium; .ci/run installs it)")
    write_project(project, free_port())
    check(project, "--no-suites")  # suite criteria are errors without suites; the timeline is what matters here
    assert (project.folder / "reports" / "report.html").is_file()
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,1400",
            f"--screenshot={shot}",
            f"file://{project.folder / 'reports' / 'report.html'}",
        ],
        capture_output=True,
        timeout=120,
    )
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20)}
    assert (9, 105, 218) in colours, "the create->running bar (#0969da) is not on the screenshot"
    assert (26, 127, 55) in colours, "the running->healthy bar (#1a7f37) is not on the screenshot"
    bars = sum(
        count for count, colour in image.getcolors(maxcolors=1 << 20) if colour in ((9, 105, 218), (26, 127, 55))
    )
    assert bars > 500, "the timeline bars cover too few pixels to be a chart"


def test_log_probe_and_github_step_summary(project, tmp_path):
    talker = {
        "image": project.image,
        "command": ["sh", "-c", "echo booted-and-ready; sleep 3600"],
        "init": True,
        "stop_grace_period": "1s",
    }
    spec = project.spec({"talker": talker})
    spec["probes"] = {
        "booted": {"kind": "log", "service": "talker", "pattern": "booted-and-ready", "within": "10s"},
        "never": {"kind": "log", "service": "talker", "pattern": "no-such-line", "within": "1s"},
    }
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    summary = tmp_path / "summary.md"
    import os

    result = subprocess.run(
        [sys.executable, "-m", "validator", "check", "--no-progress", "--report", "json=r.json"],
        cwd=project.folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.returncode == 1
    data = json.loads((project.folder / "r.json").read_text())
    verdicts = {r["name"]: (r["verdict"], r["actual"]) for r in data["run"]["results"] if r["kind"] == "probe"}
    assert verdicts["booted"] == ("pass", "booted-and-ready")
    assert verdicts["never"] == ("fail", "none within 1s")
    assert summary.read_text().startswith(f"# Test infrastructure results — {project.name}")


def test_no_up_fails_on_drift_naming_the_fields(project):
    """`check --no-up` (the checklist's verify-test-infra) judges what runs against the spec: a container
    whose command or environment no longer matches is a FAIL naming the field, as `plan` exits 1 on it."""
    spec = project.spec({"web": project.http_service(environment={"MODE": "one"})})
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    assert check(project, "--no-suites").returncode == 0
    spec["services"]["web"]["environment"] = {"MODE": "two"}
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    before = {name: c["Id"] for name, c in project.containers().items()}
    drifted = check(project, "--no-up", "--no-suites", "--report", "json=r.json")
    data = json.loads((project.folder / "r.json").read_text())
    assert drifted.returncode == 1, drifted.stdout[-2000:]
    drift = [r for r in data["run"]["results"] if r["kind"] == "drift"]
    assert [(r["verdict"], r["actual"]) for r in drift] == [("fail", "recreate")], drift
    assert "environment: MODE changed" in drift[0]["message"]
    assert {name: c["Id"] for name, c in project.containers().items()} == before  # nothing touched


def test_a_target_that_never_answers_is_its_own_error_and_the_check_exits_3(project):
    """Two targets, one a socket nobody serves: the live one is judged, the dead one is an ERROR of its
    own run (never dropped from the report), and the check exits 3 as it does for one target."""
    write_project(project, free_port())
    live, dead = "unix:///var/run/docker.sock", "unix:///tmp/validator-nothing-here.sock"
    result = check(project, "--no-up", "--no-suites", "--host", live, "--host", dead, "--report", "json=two.json")
    assert result.returncode == 3, result.stdout[-2000:] + result.stderr[-2000:]
    run = json.loads((project.folder / "two.json").read_text())["run"]
    reached = {(r["target"], r["kind"], r["name"]): r["verdict"] for r in run["results"]}
    assert reached[(dead, "engine", "engine reachable")] == "error"
    assert reached[(live, "service", "web")] == "fail"  # --no-up on a project never brought up
    assert dead in run["engine_lost"] and live not in run["engine_lost"]


def test_a_signal_while_a_silent_target_is_asked_who_it_is_ends_the_check(project):
    """SIGTERM while the check waits on a target that accepts connections and never answers (a remote
    engine behind a hung tunnel): exit 143 at once, not a check that goes on and judges (the signal
    was a FatalError, swallowed by the wait's ``except FatalError``: adversary stop8 case 09)."""
    import signal
    import socket
    import subprocess
    import sys
    import time

    write_project(project, free_port())
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    targets = ("--host", "unix:///var/run/docker.sock", "--host", f"tcp://127.0.0.1:{silent.getsockname()[1]}")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "validator", "check", "--no-progress", "--no-suites", *targets],
            cwd=project.folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)  # past the start-up: asking the hung target who it is (its bound is 10 s)
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        silent.close()
    assert proc.returncode == 143, out[-2000:] + err[-2000:]
    assert "Traceback" not in err
    # ended within the children's grace and the targets' bound, not after a whole run went on
    assert time.monotonic() - signalled < 60
