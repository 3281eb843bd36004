"""The SQLite history: whole runs in, trends and regressions out, concurrent writers safe."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time

from validator import history
from validator.core.result import Result
from validator.core.run import RunResult
from validator.reporters.json_report import render
from validator.reporters.registry import ReportContext


def make_run(index: int, startup: float, verdict: str = "pass", project: str = "demo") -> RunResult:
    run = RunResult(project, ["infra.yaml"], f"hash{index}", started_at=1000.0 + index, finished_at=1001.0 + index)
    run.metrics = {"service.spark.startup": startup, "suite.main.failed": 0.0 if verdict == "pass" else 2.0}
    run.dimensions = {"service.spark.startup": "time", "suite.main.failed": ""}
    run.results = [
        Result(
            kind="criterion",
            name="SC1: no failures",
            verdict=verdict,
            expected="suite.main.failed == 0",
            actual=f"suite.main.failed={run.metrics['suite.main.failed']:g}",
        ),
        Result(
            kind="criterion",
            name="SC7: startup",
            verdict="pass",
            expected="service.*.startup < 60s",
            actual=f"service.spark.startup={startup:.2f}s",
        ),
    ]
    return run


def test_record_and_read_back(tmp_path):
    db = tmp_path / "h.db"
    for i in range(5):
        history.record(db, make_run(i, 1.0 + i * 0.01))
    runs = history.last_runs(db, "demo", 3)
    assert [r.spec_hash for r in runs] == ["hash4", "hash3", "hash2"]
    assert runs[0].results[0].name == "SC1: no failures" and runs[0].metrics["service.spark.startup"] == 1.04
    assert history.last_runs(db, "other-project", 3) == []
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT count(*) FROM results").fetchone() == (10,)
        assert raw.execute("SELECT count(*) FROM metrics").fetchone() == (10,)


def test_trends_flag_regressions(tmp_path):
    runs = [make_run(0, 1.0), make_run(1, 1.1), make_run(2, 1.0), make_run(3, 2.5, verdict="fail")]
    trends = {t.criterion: t for t in history.trends(list(reversed(runs)), threshold=0.2)}
    assert trends["SC1"].verdicts == ["pass", "pass", "pass", "fail"]
    assert trends["SC1"].regressions == ["SC1 passed 1 run(s) ago and fails now"]
    assert trends["SC7"].metrics["service.spark.startup"] == [1.0, 1.1, 1.0, 2.5]
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
    newest, older = history.last_runs(db, "demo", 2)
    assert newest.interrupted == "SIGTERM" and not newest.ok and newest.exit_code == 143
    assert older.interrupted is None


def test_migrating_twice_at_once_is_safe(tmp_path):
    db = tmp_path / "h.db"
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.starmap(history.record, [(db, make_run(i, 1.0)) for i in range(4)])
    with sqlite3.connect(db) as done:
        assert done.execute("SELECT count(*) FROM runs").fetchone() == (4,)
