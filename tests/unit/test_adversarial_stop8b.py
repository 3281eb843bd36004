"""Adversary stop8 cases 02, 03, 04 and 07 (``check``'s targets, the history, ``report``), each through the
seam its broken path goes through; every test fails on the code the reviewer attacked. The cases as the
reviewer ran them, on the real engine, are in ``tests/integration/test_adversarial_stop8b.py``.

02: two targets spelled the same were merged before the "same engine twice" refusal saw them: a 2-target
    check ran as a 1-target pass.
03: the runs of one check were stored one transaction each; the second failing to write (exit 4) left the
    first's PASSED row read by ``report`` as the whole check.
04: ``report --history N`` exited on regressions alone: 0 on a FAILED, unfinished or stale last check.
07: a ``config_keys`` file, a suite's test or a probe's file edited after a passing check was outside the
    fingerprint: ``report`` said PASSED on inputs that were gone.
09: a signal while the targets were told apart was swallowed (``except FatalError``): the check ran on.
10, 14: a check narrowed by ``--no-suites`` or ``--host`` (a subset of ``settings.targets``) was shown by
    ``report`` as the verdict on the spec.
"""

from __future__ import annotations

import json
import sqlite3
import sys

import pytest

from tests.harness.specs import load_dict, write_spec
from tests.unit.test_history import _target_run
from validator import history
from validator.core.result import Result
from validator.engine import content_hash
from validator.main import main
from validator.run import fingerprint

DEAD = "tcp://127.0.0.1:9"  # the discard port: nothing listens, a connection is refused at once
QUIET = ("--no-progress", "-q")


def _check(spec, *args: str) -> int:
    return main(["check", "-f", str(spec), *QUIET, *args])


def _report(spec, *args: str) -> int:
    return main(["report", "-f", str(spec), *args])


# --- 02: a target named twice ----------------------------------------------------------------------


def test_case02_a_host_given_twice_is_refused_not_merged(tmp_path, capsys):
    spec = write_spec(tmp_path, {"version": 1, "project": "twice"})
    assert _check(spec, "--host", DEAD, "--host", DEAD) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert f"--host: target '{DEAD}' is named twice" in err and "a machine of its own" in err
    assert not (tmp_path / ".validator" / "history.db").exists()  # refused before anything ran


def test_case02_settings_targets_naming_one_engine_twice_is_refused_with_its_place(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SECOND_ENGINE", raising=False)
    spec = write_spec(
        tmp_path,
        {"version": 1, "project": "twice", "settings": {"targets": [DEAD, "${SECOND_ENGINE:-" + DEAD + "}"]}},
    )
    assert _check(spec, "--no-history") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"validator: {spec}:") and "settings.targets: target" in err and "named twice" in err
    # two different targets are two runs (both dead here: each its own ERROR, exit 3), never refused
    monkeypatch.setenv("SECOND_ENGINE", "tcp://127.0.0.2:9")
    assert _check(spec, "--no-history") == 3
    assert "2 targets" in capsys.readouterr().out


# --- 03: one check, stored whole or shown as incomplete ----------------------------------------------


def test_case03_a_target_address_with_a_byte_that_is_not_utf8_is_refused(tmp_path, capsys):
    """The reviewer's trigger: a non-UTF-8 byte in an address (decoded as a lone surrogate) made the second
    row's write raise UnicodeEncodeError after the first was committed: exit 4, and `report` read the one
    row as the check. No engine has such an address: refused before anything runs."""
    spec = write_spec(tmp_path, {"version": 1, "project": "partial"})
    assert _check(spec, "--host", DEAD, "--host", DEAD + "/\udcff") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is not an address (a byte that is not UTF-8)" in err
    assert "\\udcff" in err  # escaped, never the raw byte
    assert not (tmp_path / ".validator" / "history.db").exists()


def test_case03_text_sqlite_cannot_take_is_stored_escaped_never_an_error(tmp_path):
    loaded = load_dict(tmp_path, {"version": 1, "project": "partial"})
    runs = [_target_run(loaded, address, "one-check", "error", 2000.0) for address in (DEAD, DEAD + "/\udcff")]
    runs[1].results = [Result(kind="engine", name="engine reachable", verdict="error", message=DEAD + "/\udcff")]
    runs[1].engine_lost = "lost at tcp://127.0.0.1:9/\udcff"
    history.record_check(tmp_path / "h.db", runs)
    check = history.last_check(tmp_path / "h.db", "partial")
    assert check is not None and check.whole and len(check.runs) == 2


def _two_passing_targets(tmp_path):
    loaded = load_dict(tmp_path, {"version": 1, "project": "partial"})
    return [_target_run(loaded, f"tcp://{name}:2375", "one-check", "pass", 2000.0) for name in ("a", "b")]


def test_case03_every_target_of_a_check_is_stored_in_one_transaction(tmp_path, monkeypatch):
    db = tmp_path / ".validator" / "history.db"
    real = history._insert
    calls = []

    def second_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise sqlite3.OperationalError("database or disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(history, "_insert", second_fails)
    with pytest.raises(history.HistoryError, match="disk is full"):
        history.record_check(db, _two_passing_targets(tmp_path))
    assert history.last_check(db, "partial") is None  # target a's row went with b's: nothing half stored


def test_case03_report_of_a_check_with_fewer_runs_than_targets_is_no_verdict(tmp_path, capsys):
    db = tmp_path / ".validator" / "history.db"
    history.record_check(db, _two_passing_targets(tmp_path))
    spec = tmp_path / "infra.yaml"
    assert _report(spec) == 0
    with sqlite3.connect(db) as raw:  # a row lost (as the one-transaction-per-target history could)
        raw.execute("DELETE FROM runs WHERE id = (SELECT max(id) FROM runs)")
    capsys.readouterr()
    assert _report(spec) == 1
    err = capsys.readouterr().err
    assert "this check had 2 target(s) but 1 run(s) of it were recorded: it is not the whole check's verdict" in err
    with sqlite3.connect(db) as raw:  # a row written before the history said how many targets its check had
        raw.execute("UPDATE runs SET targets = NULL")
    assert _report(spec) == 1
    assert "recorded by an earlier validator, without its number of targets" in capsys.readouterr().err


def test_case03_a_history_write_that_fails_is_an_error_in_the_reports_never_exit_4(tmp_path, capsys, monkeypatch):
    spec = write_spec(tmp_path, {"version": 1, "project": "unwritten"})

    def fails(path, runs):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(history, "record_check", fails)
    assert _check(spec, "--report", "json=r.json") == 1
    assert "run not recorded: cannot write the history database" in capsys.readouterr().err
    data = json.loads((tmp_path / "r.json").read_text())
    errors = [r for r in data["run"]["results"] if r["verdict"] == "error"]
    assert [r["name"] for r in errors] == ["record the run in the history"]
    assert "RuntimeError: the disk went away" in errors[0]["message"]


# --- 04: report's exit code is the last check's verdict, whatever else it shows -----------------------


def _failing_check(tmp_path):
    (tmp_path / "app.env").write_text("MODE=prod\n")
    spec = write_spec(
        tmp_path,
        {
            "version": 1,
            "project": "trend",
            "config_keys": {"env": {"path": "app.env", "keys": {"MODE": "test"}}},
        },
    )
    assert _check(spec) == 1
    return spec


def test_case04_report_history_exits_1_on_a_failed_last_check(tmp_path, capsys):
    spec = _failing_check(tmp_path)
    assert _check(spec) == 1  # failing in every run: no regression
    capsys.readouterr()
    assert _report(spec, "--history", "3", "--report", "junit=out.xml") == 1
    out = capsys.readouterr()
    assert "no regressions" in out.out and "FAILED (exit 1)" in out.err
    assert "<failure" in (tmp_path / "out.xml").read_text()  # the last check's reports, written all the same


def test_case04_report_history_exits_1_on_a_stale_or_unfinished_last_check(tmp_path, capsys):
    (tmp_path / "app.env").write_text("MODE=test\n")
    data = {"version": 1, "project": "trend", "config_keys": {"env": {"path": "app.env", "keys": {"MODE": "test"}}}}
    spec = write_spec(tmp_path, data)
    assert _check(spec) == 0 and _report(spec, "--history", "3") == 0
    (tmp_path / "app.env").write_text("MODE=prod\n")  # the check would fail now
    capsys.readouterr()
    assert _report(spec, "--history", "3") == 1
    assert "has changed since this run" in capsys.readouterr().err
    (tmp_path / "app.env").write_text("MODE=test\n")
    loaded = load_dict(tmp_path, data)
    stopped = _target_run(loaded, "", "stopped", "pass", 9e9)
    stopped.results, stopped.interrupted = [], "SIGTERM"
    history.record(tmp_path / ".validator" / "history.db", stopped)
    assert _report(spec, "--history", "3") == 1
    assert "INTERRUPTED (SIGTERM)" in capsys.readouterr().err


# --- 07: every file a stage read is in the fingerprint -------------------------------------------------


def test_case07_a_config_keys_file_edited_after_a_passing_check(tmp_path, capsys):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "app.properties").write_text("db.url=jdbc:mysql://db:3306/app\nfeature.cdc=true\n")
    keys = {"db.url": {"regex": "^jdbc:mysql://"}, "feature.cdc": "true"}
    spec = write_spec(
        tmp_path,
        {"version": 1, "project": "cfgkeys", "config_keys": {"app": {"path": "conf/app.properties", "keys": keys}}},
    )
    assert _check(spec) == 0 and _report(spec) == 0
    (tmp_path / "conf" / "app.properties").write_text("db.url=\nfeature.cdc=false\n")
    capsys.readouterr()
    assert _report(spec) == 1
    assert "has changed since this run: it is not a verdict on the current spec" in capsys.readouterr().err
    assert _check(spec, "--no-history") == 1  # as check says now


def test_case07_a_suite_test_edited_after_a_passing_check(tmp_path, capsys):
    """The suite's tree is in the fingerprint; what validator writes into it (the reports of check and of
    report, the history) is not, so it stays a verdict until a file the suite reads changes."""
    (tmp_path / "tests").mkdir()
    test = tmp_path / "tests" / "test_a.py"
    test.write_text("def test_a():\n    assert True\n")
    suite = {"command": [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"]}
    spec = write_spec(
        tmp_path,
        {
            "version": 1,
            "project": "suite-tree",
            "suites": {"main": suite},
            "criteria": {"SC1": {"title": "no failure", "condition": "suite.main.failed == 0"}},
            "settings": {"reports": ["json=reports/run.json"]},
        },
    )
    assert _check(spec) == 0 and (tmp_path / "reports" / "run.json").is_file()  # settings.reports
    assert _check(spec, "--report", "junit=junit-out.xml", "--report", "console") == 0
    assert (tmp_path / "junit-out.xml").is_file()
    assert _report(spec, "--report", "html=page.html") == 0
    assert _report(spec) == 0, capsys.readouterr().err  # its own page.html is left out too
    test.write_text("def test_a():\n    assert False\n")
    capsys.readouterr()
    assert _report(spec) == 1
    assert "has changed since this run" in capsys.readouterr().err


def test_case07_probe_and_python_files_are_in_the_fingerprint(tmp_path):
    (tmp_path / "spark-defaults.conf").write_text("spark.executor.memory 1g\n")
    (tmp_path / "delta.jar").write_bytes(b"jar")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    data = {
        "version": 1,
        "project": "files",
        "python": {"packages": {"pytest": None}},
        "probes": {
            "sp": {
                "kind": "spark",
                "master": "spark://127.0.0.1:7077",
                "config_file": "spark-defaults.conf",
                "delta_jars": ["delta.jar"],
            }
        },
    }
    seen = {fingerprint.verdict_inputs(load_dict(tmp_path, data))}
    for name, content in (
        ("spark-defaults.conf", b"spark.executor.memory 4g\n"),
        ("delta.jar", b"another jar"),
        ("pyproject.toml", b"[project]\nname = 'y'\n"),
    ):
        (tmp_path / name).write_bytes(content)
        now = fingerprint.verdict_inputs(load_dict(tmp_path, data))
        assert now is not None and now not in seen, f"{name} changed, the fingerprint did not"
        seen.add(now)


def test_case07_a_suite_tree_too_large_to_fingerprint_is_said_never_vouched_for(tmp_path, capsys, monkeypatch):
    (tmp_path / "tests").mkdir()
    for index in range(6):
        (tmp_path / "tests" / f"data{index}.txt").write_text(str(index))
    suite = {"command": ["true"], "runner": "junit", "junit": "out.xml"}
    data = {"version": 1, "project": "big", "suites": {"main": suite}}
    loaded = load_dict(tmp_path, data)
    assert fingerprint.inputs(loaded).unvouched == ()
    monkeypatch.setattr(content_hash, "MAX_FILES", 2)  # past it: every entry's metadata (still vouched for)
    assert fingerprint.inputs(loaded).unvouched == ()
    monkeypatch.setattr(content_hash, "MAX_ENTRIES", 3)  # past it: the tree named by path alone
    unvouched = fingerprint.inputs(loaded).unvouched
    assert len(unvouched) == 1 and "suite main ." in unvouched[0] and "more than 3 files" in unvouched[0]
    history.record(tmp_path / ".validator" / "history.db", _target_run(loaded, "", "one", "pass", 1000.0))
    capsys.readouterr()
    assert _report(tmp_path / "infra.yaml") == 1
    assert "too large to fingerprint (suite main .: more than 3 files)" in capsys.readouterr().err


# --- 09: a signal while the targets are told apart ends the check ---------------------------------------


def test_case09_a_signal_while_the_targets_are_identified_ends_the_check(tmp_path, monkeypatch):
    from validator.errors import Interrupted

    class Signalled:
        @staticmethod
        def connect(address, timeout):
            raise Interrupted(15)  # SIGTERM landing while the engine is asked who it is

    monkeypatch.setattr("validator.commands.check.Engine", Signalled)
    spec = write_spec(tmp_path, {"version": 1, "project": "signalled"})
    assert _check(spec, "--host", DEAD, "--host", "tcp://127.0.0.2:9") == 143
    assert not (tmp_path / ".validator" / "history.db").exists()  # nothing ran after the signal


# --- 10, 14: a check narrower than the spec is no verdict on it ----------------------------------------


def test_case10_report_after_check_no_suites_is_no_verdict(tmp_path, capsys):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_a():\n    assert False\n")
    suite = {"command": [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"]}
    spec = write_spec(tmp_path, {"version": 1, "project": "nosuites", "suites": {"main": suite}})
    assert _check(spec, "--no-suites") == 0  # the check itself: judged what it was asked to
    capsys.readouterr()
    assert _report(spec) == 1
    assert "suite main did not run in this check (--no-suites)" in capsys.readouterr().err
    assert _check(spec) == 1 and _report(spec) == 1  # run, it fails


def test_case14_report_after_a_check_narrowed_by_host_is_no_verdict(tmp_path, capsys):
    loaded = load_dict(tmp_path, {"version": 1, "project": "narrow", "settings": {"targets": [DEAD, "tcp://b:2375"]}})
    db = tmp_path / ".validator" / "history.db"
    history.record(db, _target_run(loaded, DEAD, "narrowed", "pass", 1000.0))  # check --host DEAD
    capsys.readouterr()
    assert _report(tmp_path / "infra.yaml") == 1
    err = capsys.readouterr().err
    assert "this check did not run on 'tcp://b:2375' of settings.targets (--host narrowed it)" in err
    both = [_target_run(loaded, address, "both", "pass", 2000.0) for address in (DEAD, "tcp://b:2375")]
    history.record_check(db, both)
    assert _report(tmp_path / "infra.yaml") == 0


def test_case09_a_signal_during_the_history_write_ends_the_check(tmp_path, monkeypatch):
    """Not swallowed as a failed write (``Interrupted`` is an ``Exception`` too): exit 143, nothing stored."""
    from validator.errors import Interrupted

    def signalled(path, runs):
        raise Interrupted(15)

    monkeypatch.setattr(history, "record_check", signalled)
    spec = write_spec(tmp_path, {"version": 1, "project": "signalled"})
    assert _check(spec) == 143
