"""Issue 21's outside review: each way it found to make ``check`` (or ``report``) pass on broken
infrastructure, reproduced through the seam the broken path goes through (the cases needing a real
engine are in ``tests/integration/test_adversarial_verdicts.py``). Each test names its case
(``test_caseNN_...``) and fails on the code the reviewer attacked."""

from __future__ import annotations

from tests.unit.test_history import make_run
from tests.unit.test_metric_declarations import findings
from validator import history


def test_case16_report_last_check_is_the_last_recorded_not_the_latest_clock(tmp_path):
    """16: run 1 was stamped while the clock was an hour fast; after NTP stepped it back, run 2
    (FAILED) is the last check, whatever their wall-clock stamps say."""
    db = tmp_path / "h.db"
    fast = make_run(1, 1.0)
    fast.started_at, fast.finished_at = fast.started_at + 3600, fast.finished_at + 3600
    history.record(db, fast)
    history.record(db, make_run(2, 1.0, verdict="fail"))
    assert [r.spec_hash for r in history.last_check(db, "demo").runs] == ["hash2"]
    assert [r.spec_hash for r in history.last_runs(db, "demo", 2)] == ["hash2", "hash1"]


def test_case04_a_condition_over_count_alone_reads_no_evidence(tmp_path):
    """04: ``count(probe.*.passed) >= 1`` is the number of declared probes, true with every probe
    failing: lint refuses it as it refuses ``true``; over the values it is a condition."""
    assert any("reads no measured value" in m for m in findings(tmp_path, "count(probe.*.passed) >= 1"))
    assert any("reads no measured value" in m for m in findings(tmp_path, "not count(service.*.startup) < 1"))
    assert findings(tmp_path, "sum(probe.*.passed) >= 1") == []
    assert findings(tmp_path, "count(probe.*.passed) == sum(probe.*.passed)") == []


def test_case08_an_expected_failure_must_be_observed(tmp_path):
    """08: ``expect: fail`` for a known 404; the API is down (connection refused). Observing nothing
    of the target is not the known failure: FAIL, not XFAIL."""
    from tests.unit.checks.test_probes import probe

    spec = {"kind": "http", "url": f"http://127.0.0.1:{closed_port()}/v2/status", "expect": "fail"}
    result = probe(tmp_path, "api-v2", {**spec, "reason": "404 until 2.1", "timeout": "2s"})
    assert result.verdict == "fail" and "observed nothing of its target" in result.message
    tcp = {"kind": "tcp", "port": closed_port(), "expect": "fail", "reason": "known", "timeout": "2s"}
    result = probe(tmp_path, "api-port", tcp)
    assert result.verdict == "fail" and "observed nothing of its target" in result.message


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_case09_report_after_the_spec_s_variables_changed_is_no_verdict(tmp_path, capsys, monkeypatch):
    """09: the last check passed with MAX_SKIPPED=5 from ``.env``; the team set it to 0. The files'
    text is the same, their meaning is not: ``report`` says so and exits 1. Same for a profile enabled
    since (its services were no members of that run)."""
    from tests.harness.specs import load_dict
    from tests.unit.test_history import _target_run, fake_images
    from validator.main import main

    monkeypatch.setattr("validator.commands.report._image_lookup", lambda address: fake_images)
    monkeypatch.delenv("COMPOSE_PROFILES", raising=False)
    spec = {
        "version": 1,
        "project": "envchanged",
        "services": {"web": {"image": "x"}, "debug": {"image": "x", "profiles": ["full"]}},
        "criteria": {"SC2": {"title": "few skipped", "condition": "service.web.restarts <= ${MAX_SKIPPED}"}},
    }
    (tmp_path / ".env").write_text("MAX_SKIPPED=5\n")
    loaded = load_dict(tmp_path, spec)
    history.record(tmp_path / ".validator" / "history.db", _target_run(loaded, "local", "one", "pass", 1000.0))
    report = ["report", "-f", str(tmp_path / "infra.yaml")]
    assert main(report) == 0
    monkeypatch.setenv("COMPOSE_PROFILES", "full")
    assert main(report) == 1
    monkeypatch.delenv("COMPOSE_PROFILES")
    assert main(report) == 0
    (tmp_path / ".env").write_text("MAX_SKIPPED=0\n")
    capsys.readouterr()
    assert main(report) == 1
    assert "has changed since this run" in capsys.readouterr().err


def test_case13_coverage_data_of_an_earlier_run_is_not_added_to_this_run_s(tmp_path):
    """13: yesterday's full run left ``.coverage`` in the folder; today's run (one test, half of the
    library) with ``--cov-append`` writes a fresh report holding yesterday's lines too. The data the
    report is computed from must be this run's: today's figure, not 100%."""
    import subprocess
    import sys

    from tests.metrics import key
    from tests.unit.test_coverage import COMMAND, project, run

    project(tmp_path)
    (tmp_path / "tests" / "b" / "test_b.py").write_text("from lib import unused\n\ndef test_unused():\n    unused(1)\n")
    yesterday = [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", "--cov=."]
    subprocess.run(yesterday, cwd=tmp_path, check=True, capture_output=True, timeout=120)
    assert (tmp_path / ".coverage").exists()
    (tmp_path / "tests" / "b" / "test_b.py").unlink()  # today only test_a can run
    today = run(tmp_path, {"command": COMMAND + " --cov-append", "coverage": "out/coverage.json"})["main"]
    assert today.verdict == "pass", today.message
    figure = today.metrics[key("suite.main.coverage")]
    assert figure < 100.0, "an earlier run's coverage data was counted as this run's"


RESTARTING = {"Running": True, "Restarting": True, "Paused": False, "Status": "restarting", "ExitCode": 3, "Pid": 0}


def test_case01_a_container_in_its_restart_back_off_is_not_running():
    """01: during the engine's restart back-off ``State.Running`` is true (``Restarting`` too, no
    process): the last observation, ``--no-up``'s readiness and the waiter read it as not up."""
    from validator.checks.services import _ready
    from validator.checks.watched import judge
    from validator.engine.watch import ContainerWatch

    looping = ContainerWatch(id="c1", name="demo-worker-1", service="worker", last=RESTARTING, last_at=1.0)
    judged = judge([looping], since=0.0, run_started=0.0)
    assert not judged.ok and "is restarting at the last observation" in judged.problems[0]
    assert not _ready({"State": RESTARTING}, want_healthy=False)
    assert _ready({"State": {**RESTARTING, "Restarting": False, "Pid": 7}}, want_healthy=False)


def test_case17_an_engine_clock_behind_validator_s_hides_no_death(monkeypatch):
    """17: the engine's event times are 2 minutes behind this machine's. What happened after the
    service was ready (this machine's clock) is decided by when the event arrived, not by comparing
    the engine's stamp with validator's clock."""
    import time

    from validator.checks.watched import judge
    from validator.engine.watch import RunWatcher

    watcher = RunWatcher(engine=None, project="skewed")  # type: ignore[arg-type]  # _record reads no engine
    ready = time.time()
    behind = int((time.time() - 120) * 1e9)
    attributes = {
        "com.docker.compose.project": "skewed",
        "com.docker.compose.service": "worker",
        "com.docker.compose.oneoff": "False",  # a service container, as Compose labels every one
        "name": "w-1",
    }
    for offset, action, extra in ((0, "die", {"exitCode": "1"}), (1, "start", {})):
        event = {"Action": action, "Actor": {"ID": "c1", "Attributes": {**attributes, **extra}}}
        watcher._record({**event, "timeNano": behind + offset * 10**8})
    judged = judge(watcher.of_service("worker"), since=ready, run_started=ready)
    assert not judged.ok and "died at" in judged.problems[0], judged


def test_case03_a_time_measured_on_an_earlier_start_is_not_this_start_s(tmp_path):
    """03: ``up`` measured the db healthy in 1.5 s; it crashed and its restart policy started it again
    (40 s to healthy this time). The saved figure belongs to the earlier start: it is not reported
    for the current one (the engine's record decides, and its health log no longer reaches back)."""
    from validator.engine import timings as T
    from validator.engine.waiter import Timing

    first = "2026-01-01T00:00:01.5Z"
    measured = Timing(requested_at=1.0, startup=0.5, healthy=1.5)
    T.stamp_starts({"id-db": measured}, lambda cid: {"State": {"StartedAt": first}})
    T.save(tmp_path, "demo", {"db": {"id-db": measured}})
    saved = T.load(tmp_path, "demo")
    health_log = [{"ExitCode": 1, "End": "2026-01-01T00:01:00Z"}] * 5  # the engine keeps the last five
    restarted = {
        "Created": "2026-01-01T00:00:01Z",
        "RestartCount": 1,
        "State": {"StartedAt": "2026-01-01T00:01:10Z", "Health": {"Status": "healthy", "Log": health_log}},
    }
    same = {**restarted, "State": {**restarted["State"], "StartedAt": first}}
    assert T.of_service(saved, "db", ["id-db"], lambda cid: same).healthy == 1.5
    assert T.of_service(saved, "db", ["id-db"], lambda cid: restarted).healthy is None


def test_case18_a_probe_naming_its_service_must_reach_a_port_of_the_project(tmp_path):
    """18: ``api`` publishes container port 18933 on a random host port; an old API process still
    serves 127.0.0.1:18933. The probe names ``api``: its answer would come from another process."""
    import http.server
    import threading

    from tests.harness.specs import load_dict
    from tests.unit.test_probe_schedule import _Engine, _Ok
    from validator.run.probe_schedule import ProbeSchedule

    old_api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=old_api.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{old_api.server_address[1]}/health"
    spec = {
        "version": 1,
        "project": "foreign",
        "services": {"api": {"image": "x", "ports": ["18933"]}},
        "probes": {"api-health": {"kind": "http", "service": "api", "url": url}},
    }
    judged = {}
    try:
        for published in ("32772", str(old_api.server_address[1])):
            schedule = ProbeSchedule(load_dict(tmp_path, spec), _Engine({"c-api"}, published), 1, threading.Event())
            try:
                judged[published] = schedule.finish({"api": "c-api"})[0]
            finally:
                schedule.close()
    finally:
        old_api.shutdown()
        old_api.server_close()
    foreign = judged["32772"]
    assert foreign.verdict == "fail" and "published by no running container of project foreign" in foreign.message
    assert judged[str(old_api.server_address[1])].verdict == "pass"  # the port api publishes: its answer


def test_a_loopback_probe_of_a_service_on_a_remote_engine_is_not_evidence(tmp_path):
    """With ``--host`` on another machine, 127.0.0.1 here is this machine: even a port the service
    publishes there answers here from some other process, so the probe fails saying so."""
    import http.server
    import threading

    from tests.harness.specs import load_dict
    from tests.unit.test_probe_schedule import _Engine, _Ok
    from validator.run.probe_schedule import ProbeSchedule

    here = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=here.serve_forever, daemon=True).start()
    port = str(here.server_address[1])
    spec = {
        "version": 1,
        "project": "remote",
        "services": {"api": {"image": "x", "ports": [f"{port}:80"]}},
        "probes": {"api-health": {"kind": "http", "service": "api", "url": f"http://127.0.0.1:{port}/health"}},
    }
    engine = _Engine({"c-api"}, port)
    engine.address = "tcp://10.9.8.7:2375"  # type: ignore[attr-defined]
    schedule = ProbeSchedule(load_dict(tmp_path, spec), engine, 1, threading.Event())
    try:
        judged = schedule.finish({"api": "c-api"})[0]
    finally:
        schedule.close()
        here.shutdown()
        here.server_close()
    assert judged.verdict == "fail" and "runs on another machine" in judged.message, judged
