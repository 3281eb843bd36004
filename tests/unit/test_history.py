"""The SQLite history: whole runs in, trends and regressions out, concurrent writers safe."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import time

from tests.metrics import exact_keys, key
from validator import history
from validator.core.result import Result
from validator.core.run import RunResult
from validator.reporters.json_report import render
from validator.reporters.registry import ReportContext
from validator.run.fingerprint import recorded


def make_run(index: int, startup: float, verdict: str = "pass", project: str = "demo") -> RunResult:
    run = RunResult(
        project=project,
        spec_files=["infra.yaml"],
        spec_hash=f"hash{index}",
        started_at=1000.0 + index,
        finished_at=1001.0 + index,
    )
    run.evidence = exact_keys(
        {key("service.spark.startup"): startup, key("suite.main.failed"): 0.0 if verdict == "pass" else 2.0}
    )
    run.dimensions = {key("service.spark.startup"): "time", key("suite.main.failed"): ""}
    run.results = [
        Result(
            kind="criterion",
            name="SC1: no failures",
            id="SC1",
            verdict=verdict,
            expected="suite.main.failed == 0",
            actual=f"suite.main.failed={run.metrics[key('suite.main.failed')]:g}",
            reads=(key("suite.main.failed"),),
        ),
        Result(
            kind="criterion",
            name="SC7: startup",
            id="SC7",
            verdict="pass",
            expected="service.*.startup < 60s",
            actual=f"service.spark.startup={startup:.2f}s",
            reads=(key("service.spark.startup"),),
        ),
    ]
    return run


def test_record_and_read_back(tmp_path):
    db = tmp_path / "h.db"
    for i in range(5):
        history.record(db, make_run(i, 1.0 + i * 0.01))
    runs = history.last_runs(db, "demo", 3)
    assert [r.spec_hash for r in runs] == ["hash4", "hash3", "hash2"]
    assert runs[0].results[0].name == "SC1: no failures" and runs[0].metrics[key("service.spark.startup")] == 1.04
    assert history.last_runs(db, "other-project", 3) == []
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT count(*) FROM results").fetchone() == (10,)
        assert raw.execute("SELECT count(*) FROM evidence").fetchone() == (10,)
        assert raw.execute(
            "SELECT family, member, field, low, high FROM evidence WHERE field = 'startup' ORDER BY low DESC LIMIT 1"
        ).fetchone() == ("service", "spark", "startup", 1.04, 1.04)


def test_trends_flag_regressions(tmp_path):
    runs = [make_run(0, 1.0), make_run(1, 1.1), make_run(2, 1.0), make_run(3, 2.5, verdict="fail")]
    trends = {t.criterion: t for t in history.trends(list(reversed(runs)), threshold=0.2)}
    assert trends["SC1"].verdicts == ["pass", "pass", "pass", "fail"]
    assert trends["SC1"].regressions == ["SC1 passed 1 run(s) ago and fails now"]
    assert trends["SC7"].metrics[key("service.spark.startup")] == [1.0, 1.1, 1.0, 2.5]
    assert trends["SC7"].regressions == ["service.spark.startup grew 150% (1.00s -> 2.50s, median of the earlier runs)"]
    steady = {t.criterion: t for t in history.trends([make_run(1, 1.05), make_run(0, 1.0)])}
    assert steady["SC7"].regressions == [] and steady["SC1"].regressions == []


def _writer(args: tuple[str, int]) -> int:
    path, worker = args
    from pathlib import Path

    for i in range(10):
        history.record(Path(path), make_run(worker * 100 + i, 1.0, project="concurrent"))
    return worker


def test_concurrent_writers_stay_consistent(tmp_path):
    db = tmp_path / "h.db"
    history.record(db, make_run(0, 1.0, project="seed"))
    began = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert sorted(pool.map(_writer, [(str(db), w) for w in range(4)])) == [0, 1, 2, 3]
    assert time.monotonic() - began < 60
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT count(*) FROM runs WHERE project = 'concurrent'").fetchone() == (40,)
        assert raw.execute(
            "SELECT count(*) FROM results r JOIN runs u ON r.run_id = u.id WHERE u.project = 'concurrent'"
        ).fetchone() == (80,)
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def fake_images(ref: str) -> str | None:
    """The image each reference names on a stand-in engine (``report._image_lookup`` patched to it)."""
    return f"sha256:{ref}"


def _target_run(loaded, engine: str, invocation: str, verdict: str, started: float) -> RunResult:
    run = RunResult(
        project=loaded.spec.project,
        spec_files=["infra.yaml"],
        # as check records it (run/fingerprint.py): with the images a spec with services names
        spec_hash=recorded(loaded, fake_images if loaded.spec.services else None),
        started_at=started,
        finished_at=started + 1,
        engine=engine,
        invocation=invocation,
    )
    run.results = [Result(kind="service", name="web", verdict=verdict)]
    return run


def test_report_shows_the_whole_last_check_of_every_target(tmp_path, capsys):
    """After `check --host A --host B`, `report` re-renders both targets with the combined verdict and
    its date: never one target's row as the last check's verdict."""
    from tests.harness.specs import load_dict
    from validator.main import main

    loaded = load_dict(tmp_path, {"version": 1, "project": "multi"})
    db = tmp_path / ".validator" / "history.db"
    history.record(db, _target_run(loaded, "tcp://a:2375", "older", "pass", 1000.0))
    history.record(db, _target_run(loaded, "tcp://a:2375", "newest", "pass", 2000.0))
    history.record(db, _target_run(loaded, "tcp://b:2375", "newest", "fail", 2000.5))
    code = main(["report", "-f", str(tmp_path / "infra.yaml"), "--report", "json=-"])
    out = capsys.readouterr()
    assert code == 1
    assert "2 targets (tcp://a:2375, tcp://b:2375): FAILED (exit 1)" in out.err
    data = json.loads(out.out)
    assert data["run"]["targets"] == ["tcp://a:2375", "tcp://b:2375"]
    assert [(r["target"], r["verdict"]) for r in data["run"]["results"]] == [
        ("tcp://a:2375", "pass"),
        ("tcp://b:2375", "fail"),
    ]


def test_report_keeps_every_target_of_a_check_whose_targets_share_an_address(tmp_path, capsys):
    """Two runs of one check stored with the same engine address (an empty ``--host`` meant the default
    engine; issue 21, second review, case 08): both are shown, the failing one never dropped."""
    from tests.harness.specs import load_dict
    from validator.main import main

    loaded = load_dict(tmp_path, {"version": 1, "project": "same-address"})
    db = tmp_path / ".validator" / "history.db"
    for verdict, started in (("fail", 2000.0), ("pass", 2000.5)):  # whichever comes last
        history.record(db, _target_run(loaded, "unix:///var/run/docker.sock", "newest", verdict, started))
    code = main(["report", "-f", str(tmp_path / "infra.yaml"), "--report", "json=-"])
    out = capsys.readouterr()
    assert code == 1, out.err
    assert "2 targets" in out.err and "FAILED (exit 1)" in out.err
    data = json.loads(out.out)
    assert sorted(r["verdict"] for r in data["run"]["results"]) == ["fail", "pass"]
    assert len(set(data["run"]["targets"])) == 2


def test_report_after_a_check_that_was_not_recorded_is_no_verdict(tmp_path, capsys):
    """The newest check was not stored (--no-history; equally a history write that failed: issue 21,
    second review, case 15): `report` says so and exits 1, never showing the older stored run as the last
    check's verdict."""
    from tests.harness.specs import write_spec
    from validator.main import main

    spec = str(write_spec(tmp_path, {"version": 1, "project": "unrecorded"}))
    assert main(["check", "-f", spec, "--no-progress", "-q"]) == 0
    assert main(["report", "-f", spec]) == 0
    capsys.readouterr()
    assert main(["check", "-f", spec, "--no-progress", "-q", "--no-history"]) == 0
    capsys.readouterr()
    assert main(["report", "-f", spec]) == 1
    assert "was not recorded (--no-history, or its history write failed)" in capsys.readouterr().err
    assert main(["check", "-f", spec, "--no-progress", "-q"]) == 0  # recorded again: a verdict again
    assert main(["report", "-f", spec]) == 0


def test_report_of_a_run_on_an_older_spec_is_no_verdict(tmp_path, capsys):
    from tests.harness.specs import load_dict, write_spec
    from validator.main import main

    loaded = load_dict(tmp_path, {"version": 1, "project": "moved"})
    db = tmp_path / ".validator" / "history.db"
    history.record(db, _target_run(loaded, "local", "one", "pass", 1000.0))
    assert main(["report", "-f", str(tmp_path / "infra.yaml")]) == 0
    write_spec(tmp_path, {"version": 1, "project": "moved", "criteria": {}})  # the spec changed since
    capsys.readouterr()
    assert main(["report", "-f", str(tmp_path / "infra.yaml")]) == 1
    err = capsys.readouterr().err
    assert "last check: 1970-01-01 00:16:40 UTC: PASSED (exit 0)" in err
    assert "has changed since this run: it is not a verdict on the current spec" in err


def test_a_database_from_before_the_interrupted_column_is_migrated_and_keeps_its_runs(tmp_path):
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as old:  # the schema as validator wrote it before migrations existed
        old.executescript(history.SCHEMA)
        old.execute(
            "INSERT INTO runs (project, started_at, finished_at, spec_hash, git_commit, mode, ok, report) "
            "VALUES ('demo', 1.0, 2.0, 'h', NULL, 'up', 1, ?)",
            (render(make_run(0, 1.0), ReportContext()),),
        )
    interrupted = make_run(1, 1.0)
    interrupted.interrupted = "SIGTERM"
    history.record(db, interrupted)
    with sqlite3.connect(db) as migrated:
        assert migrated.execute("PRAGMA user_version").fetchone() == (len(history.MIGRATIONS),)
        rows = migrated.execute("SELECT ok, interrupted, engine_lost FROM runs ORDER BY id").fetchall()
    assert rows == [(1, None, None), (0, "SIGTERM", None)]
    # the older row's report is of the schema before metric keys were records: kept, not read
    (newest,) = history.last_runs(db, "demo", 2)
    assert newest.interrupted == "SIGTERM" and not newest.ok and newest.exit_code == 143
    assert history.older_schema_runs(db, "demo") == 1


def test_migrating_twice_at_once_is_safe(tmp_path):
    db = tmp_path / "h.db"
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.starmap(history.record, [(db, make_run(i, 1.0)) for i in range(4)])
    with sqlite3.connect(db) as done:
        assert done.execute("SELECT count(*) FROM runs").fetchone() == (4,)
