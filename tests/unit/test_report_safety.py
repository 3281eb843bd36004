"""Reports and the history whatever the content and the state of the disk: a corrupt history is one
line and an exit code (the reports are still written), report files honour the umask, and results
with markup do not crash the console."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from tests.harness.specs import write_spec
from tests.metrics import exact_keys, key
from validator import history
from validator.core.result import Result
from validator.core.run import RunResult


def make_run(index: int, startup: float) -> RunResult:
    run = RunResult(
        project="demo",
        spec_files=["infra.yaml"],
        spec_hash=f"hash{index}",
        started_at=1000.0 + index,
        finished_at=1001.0 + index,
    )
    run.evidence = exact_keys({key("service.web.startup"): startup})
    run.results = [
        Result(
            kind="criterion",
            name="SC1: fast",
            verdict="pass",
            expected="service.*.startup < 60s",
            actual=f"{startup:.2f}s",
        )
    ]
    return run


@pytest.fixture
def corrupt_db(tmp_path):
    path = tmp_path / ".validator" / "history.db"
    path.parent.mkdir()
    path.write_bytes(b"this is not a database, it is " + os.urandom(4096))
    return path


def test_a_corrupt_history_is_one_error_naming_the_file_and_the_way_out(corrupt_db):
    for call in (lambda: history.record(corrupt_db, make_run(1, 1.0)), lambda: history.last_runs(corrupt_db, "d", 2)):
        with pytest.raises(history.HistoryError) as caught:
            call()
        message = str(caught.value)
        assert str(corrupt_db) in message and f"mv {corrupt_db} {corrupt_db}.broken" in message
        assert "\n" not in message and caught.value.exit_code == 3


def _spec(folder):
    (folder / "app.env").write_text("MODE=test\n")
    write_spec(
        folder,
        {
            "version": 1,
            "project": "hist",
            "config_keys": {
                "env": {"path": "app.env", "keys": {"MODE": {"equals": "other", "message": "[/x] [link=https://x]y"}}}
            },
        },
    )


def test_check_and_report_with_a_corrupt_history(tmp_path, corrupt_db, run_cli):
    _spec(tmp_path)
    done = run_cli("check", "--no-progress", "--report", "json=r.json", "--report", "console", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert (tmp_path / "r.json").is_file()  # the reports are written all the same
    assert "Traceback" not in done.stderr and f"mv {corrupt_db}" in done.stderr
    assert "[/x] [link=https://x]y" in done.stdout  # markup in a result is shown as text, not obeyed
    shown = run_cli("report", cwd=tmp_path)
    assert shown.returncode == 3 and "Traceback" not in shown.stderr
    assert len(shown.stderr.strip().splitlines()) == 1 and str(corrupt_db) in shown.stderr


def test_report_files_honour_the_umask(tmp_path, run_cli):
    _spec(tmp_path)
    done = run_cli("check", "--no-progress", "--no-history", "--report", "json=r.json", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    mode = stat.S_IMODE((tmp_path / "r.json").stat().st_mode)
    mask = os.umask(0o022)
    os.umask(mask)
    assert mode == 0o666 & ~mask


def test_history_rows_are_masked(tmp_path):
    from validator import redact

    redact.register(["planted-history-secret"])
    run = make_run(1, 1.0)
    run.results[0] = Result(kind="probe", name="echo", verdict="fail", message="saw planted-history-secret")
    db = tmp_path / "h.db"
    history.record(db, run)
    with sqlite3.connect(db) as conn:
        dump = "\n".join(conn.iterdump())
    assert "planted-history-secret" not in dump and redact.MASK in dump


def test_a_secret_that_is_a_word_of_the_formats_syntax_does_not_corrupt_them(tmp_path):
    """Reports are masked field by field: a secret equal to 'testsuite', 'name' or 'class' must not
    turn the JUnit, JSON or HTML markup into something no parser reads."""
    import json
    import xml.etree.ElementTree as ET

    from validator import redact
    from validator.reporters.registry import ReportContext, write_reports

    redact.register(["testsuite", "name", "class", "results"])
    run = make_run(1, 1.0)
    run.results.append(Result(kind="probe", name="echo", verdict="fail", message="token=testsuite name=class"))
    wanted = [(f, f"out.{f}") for f in ("json", "junit", "html", "markdown", "openmetrics")]
    write_reports(run, wanted, ReportContext(), tmp_path)
    report = json.loads((tmp_path / "out.json").read_text())
    echo = next(r for r in report["run"]["results"] if r["kind"] == "probe")
    assert echo["message"] == f"token={redact.MASK} {redact.MASK}={redact.MASK}"
    ET.fromstring((tmp_path / "out.junit").read_text())
    assert "<table" in (tmp_path / "out.html").read_text()
