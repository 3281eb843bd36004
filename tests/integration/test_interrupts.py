"""SIGINT and SIGTERM at random points of ``up`` and ``check``, repeatedly (bounded): exit 130 or
143 (or the run's own code when it finished first), no unlabelled container or network, no
half-written report or history row, and the next run converges."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.slow]
ROUNDS = 6
SEED = 20261124


def write_spec(project, with_suite: bool) -> None:
    services = {
        # generous health timeouts: the services are now watched for the whole run, and on a loaded
        # machine an exec of `true` can take over a second (a timed-out check is a real "unhealthy")
        "web": project.http_service(healthcheck={"test": ["CMD", "true"], "interval": "2s", "timeout": "10s"}),
        "app": project.sleeper(
            depends_on={
                "web": {"condition": "service_healthy"},
                "job": {"condition": "service_completed_successfully"},
            },
            healthcheck={"test": ["CMD", "true"], "interval": "1s", "timeout": "10s"},
        ),
        "job": {"image": project.image, "command": ["sh", "-c", "sleep 1"]},
    }
    spec = project.spec(services)
    if with_suite:
        (project.folder / "tests").mkdir(exist_ok=True)
        (project.folder / "tests" / "test_slow.py").write_text(
            "import time\n" + "".join(f"def test_{i}():\n    time.sleep(0.4)\n" for i in range(8))
        )
        spec["suites"] = {"main": {"command": "python -m pytest tests -q -p no:cacheprovider"}}
        spec["criteria"] = {"SC1": {"title": "no failures", "condition": "suite.main.failed == 0"}}
        spec["settings"] = {"reports": ["json=reports/result.json", "junit=reports/junit.xml"]}
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))


@pytest.mark.parametrize("command", ["up", "check"])
def test_interrupts_at_random_points(project, command):
    rng = random.Random(SEED + len(command))
    write_spec(project, with_suite=command == "check")
    outcomes = []
    for round_ in range(ROUNDS):
        if round_ % 2:
            subprocess.run([sys.executable, "-m", "validator", "down", "-q"], cwd=project.folder, capture_output=True)
        signum = rng.choice([signal.SIGINT, signal.SIGTERM])
        delay = rng.uniform(0.3, 6.0)
        proc = subprocess.Popen(
            [sys.executable, "-m", "validator", command, "--no-progress"],
            cwd=project.folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=120)
        expected = 130 if signum == signal.SIGINT else 143
        assert proc.returncode in (expected, 0, 1), (round_, delay, proc.returncode, out[-500:], err[-1000:])
        assert "Traceback" not in err, err
        outcomes.append(proc.returncode)
        project.assert_owned_only()
        if command == "check" and proc.returncode in (130, 143):
            _says_it_stopped(project)
        for report in (project.folder / "reports").glob("*") if (project.folder / "reports").exists() else []:
            if report.suffix == ".json":
                json.loads(report.read_text())
            assert not report.name.endswith(".tmp"), report
        history = project.folder / ".validator" / "history.db"
        if history.exists():
            with sqlite3.connect(history) as db:
                runs = db.execute(
                    "SELECT id, (SELECT count(*) FROM results WHERE run_id = runs.id) FROM runs"
                ).fetchall()
                assert all(count > 0 for _, count in runs), runs
                assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert any(code in (130, 143) for code in outcomes), outcomes
    final = subprocess.run(
        [sys.executable, "-m", "validator", command, "--no-progress"],
        cwd=project.folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-2000:]
    plan = subprocess.run(
        [sys.executable, "-m", "validator", "plan"], cwd=project.folder, capture_output=True, text=True
    )
    assert plan.returncode == 0 and "nothing to do" in plan.stdout


def _says_it_stopped(project) -> None:
    """An interrupted check's reports each carry an ERROR saying the run stopped, whatever was judged
    before the signal: a JUnit of only the finished cases would read green (adversary stop8 case 06)."""
    run = json.loads((project.folder / "reports" / "result.json").read_text())["run"]
    stopped = [r for r in run["results"] if r["kind"] == "run" and r["name"] == "run finished"]
    assert len(stopped) == 1 and stopped[0]["verdict"] == "error", run["results"]
    assert run["interrupted"] in stopped[0]["message"], stopped
    junit = ET.parse(project.folder / "reports" / "junit.xml").getroot()
    assert any(case.get("name") == "run finished" and case.find("error") is not None for case in junit.iter("testcase"))


def test_a_check_cancelled_after_its_suite_says_so_in_every_report(project):
    """SIGTERM (CI cancelling the job) a moment after the suite's pytest ended, before the verdict:
    the suite and the services may all be judged PASS by then, and the JUnit report must still carry
    an error (adversary stop8 case 06; the signal lands wherever the run is at that moment)."""
    write_spec(project, with_suite=True)
    (project.folder / "tests" / "test_slow.py").write_text("def test_ok():\n    pass\n")
    # the suite's pytest is validator's child: once it has exited, a detached waiter signals validator
    (project.folder / "tests" / "conftest.py").write_text(
        "import os, subprocess\n"
        "def pytest_unconfigure(config):\n"
        "    me, check = os.getpid(), os.getppid()\n"
        "    script = f'for i in $(seq 500); do kill -0 {me} 2>/dev/null || break; sleep 0.01; done; '\n"
        "    script += f'sleep 0.1; kill -TERM {check}'\n"
        "    subprocess.Popen(['sh', '-c', script], start_new_session=True)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "validator", "check", "--no-progress"],
        cwd=project.folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 143, result.stdout[-2000:] + result.stderr[-2000:]
    _says_it_stopped(project)
