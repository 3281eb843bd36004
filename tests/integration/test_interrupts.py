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
