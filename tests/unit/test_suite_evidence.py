"""A suite's counts are evidence only when its run is complete: real pytest processes killed by a real
signal, ending through ``os._exit``, failing to collect, nested sessions, a stale JUnit file, a hidden
failure status. Each case runs ``validator check`` for real (no services: no engine needed) and reads
its JSON report and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import yaml

from tests.harness.specs import load_dict
from tests.metrics import key, report_evidence, report_metrics
from validator.suites.runner import run_suite
from validator.suites.sealed import KEY_ENV, new_key, unseal

CRITERIA = {
    "SC1": {"title": "no failures", "condition": "suite.main.failed == 0 and suite.main.errors == 0"},
    "SC2": {"title": "few skipped", "condition": "suite.main.skipped < 20"},
    "SC6": {"title": "fast", "condition": "suite.main.duration < 5m"},
}


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def check(
    folder: Path, suite: dict[str, Any], criteria: dict[str, Any] | None = None, *args: str
) -> tuple[int, dict[str, Any]]:
    spec = {"version": 1, "project": "evidence", "suites": {"main": suite}, "criteria": criteria or CRITERIA}
    (folder / "infra.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    env = {k: v for k, v in os.environ.items() if k != "VALIDATOR_RESULTS"}
    # Why: Hypothesis's pytest plugin (installed for the project's own fuzz tests, not the suites')
    # imports all of hypothesis at the end of every session, most of a small suite run's CPU (as in
    # test_suite_corpus.py); a case's own PYTEST_ADDOPTS (its suite's environment) replaces this one
    env.setdefault("PYTEST_ADDOPTS", "-p no:hypothesispytest")
    proc = subprocess.run(
        [sys.executable, "-m", "validator", "check", "--no-progress", "-q", "--report", "json=r.json", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.returncode, json.loads((folder / "r.json").read_text())


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in report["run"]["results"]}


def assert_criteria_error(report: dict[str, Any], reason: str, ids: tuple[str, ...] = ("SC1", "SC2", "SC6")) -> None:
    results = by_name(report)
    for cid in ids:
        assert results[cid]["verdict"] == "error", results[cid]
        assert reason in results[cid]["message"], results[cid]["message"]
    assert not any(name.startswith("suite.main.") for name in report_metrics(report))


PYTEST = "python -m pytest tests -q -p no:cacheprovider"


def test_a_suite_killed_by_sigkill_is_an_error_and_its_counts_unavailable(tmp_path):
    write(
        tmp_path,
        {
            "tests/test_k.py": """
                import os, signal
                def test_a(): pass
                def test_b(): pass
                def test_c(): os.kill(os.getpid(), signal.SIGKILL)
                def test_d(): assert False, "never ran"
            """
        },
    )
    code, report = check(tmp_path, {"command": PYTEST})
    assert code == 1
    reason = "suite main was killed by SIGKILL after 2 of 4 tests"
    assert reason in by_name(report)["main"]["message"]
    assert by_name(report)["main"]["verdict"] == "error"
    assert_criteria_error(report, reason)
    evidence = report_evidence(report)["suite.main.failed"]
    assert (evidence["producer"], evidence["low"], evidence["high"], evidence["reason"]) == (
        "suite main",
        None,
        None,
        reason,
    )


def test_a_suite_ending_through_os_exit_has_no_finish_record(tmp_path):
    write(
        tmp_path,
        {
            "tests/test_x.py": """
                import os
                def test_a(): pass
                def test_b(): os._exit(0)
                def test_c(): assert False
            """
        },
    )
    code, report = check(tmp_path, {"command": PYTEST})
    assert code == 1
    assert_criteria_error(report, "suite main ended (exit 0) without pytest's finish record after 1 of 3 tests")


def test_a_suite_that_cannot_start_reports_no_zeros(tmp_path):
    code, report = check(tmp_path, {"command": "python -m pytest no/such/tests -q -p no:cacheprovider"})
    assert code == 1
    assert_criteria_error(report, "suite main ended with pytest exit 4 (usage error)")
    code, report = check(tmp_path, {"command": "no-such-runner-xyz", "junit": "out.xml"})
    assert code == 1
    assert_criteria_error(report, "suite main did not start: cannot run 'no-such-runner-xyz'")


def test_collection_errors_count_under_continue_on_collection_errors(tmp_path):
    write(
        tmp_path,
        {
            "tests/test_ok.py": "def test_a(): pass\ndef test_b(): pass\n",
            "tests/test_broken.py": "import no_such_module_xyz\ndef test_c(): pass\n",
        },
    )
    code, report = check(tmp_path, {"command": PYTEST + " --continue-on-collection-errors"})
    assert code == 1
    main = by_name(report)["main"]
    assert main["verdict"] == "fail" and "tests/test_broken.py" in main["message"]
    # the broken module's tests never ran: every count is at least what was seen, unknown above
    evidence = report_evidence(report)
    assert {
        f: (evidence[f"suite.main.{f}"]["low"], evidence[f"suite.main.{f}"]["high"])
        for f in ("passed", "errors", "total")
    } == {
        "passed": (2, None),
        "errors": (1, None),
        "total": (3, None),
    }
    reason = "suite main: 1 module failed to import (tests/test_broken.py), so skipped is at least 0 and unknown above"
    assert evidence["suite.main.skipped"]["reason"] == reason
    assert not any(name.startswith("suite.main.") for name in report_metrics(report))
    results = by_name(report)
    assert results["SC1"]["verdict"] == "fail"  # errors is at least 1: fails whatever the rest
    for cid in ("SC2", "SC6"):  # skipped and duration are unknown above: neither passes
        assert results[cid]["verdict"] == "error" and "failed to import" in results[cid]["message"], results[cid]


def test_nested_sessions_and_child_pytest_cannot_touch_the_outer_results(tmp_path):
    write(
        tmp_path,
        {
            "tests/conftest.py": 'pytest_plugins = ["pytester"]\n',
            "tests/test_nested.py": """
                import os, subprocess, sys

                INNER = "def test_inner_1(): pass\\ndef test_inner_2(): pass\\ndef test_inner_3(): pass\\n"

                def test_in_process_session(pytester):
                    pytester.makepyfile(INNER)
                    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)

                def test_child_process_session(tmp_path):
                    (tmp_path / "test_child.py").write_text(INNER)
                    child = subprocess.run(
                        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                        capture_output=True, text=True,
                    )
                    assert child.returncode == 0, child.stdout

                def test_the_variable_is_gone():
                    assert "VALIDATOR_RESULTS" not in os.environ

                def test_outer_failure():
                    assert False, "the outer run's failure"
            """,
        },
    )
    code, report = check(tmp_path, {"command": PYTEST})
    assert code == 1
    metrics = report_metrics(report)
    assert (metrics["suite.main.total"], metrics["suite.main.passed"], metrics["suite.main.failed"]) == (
        4,
        3,
        1,
    )
    assert by_name(report)["SC1"]["verdict"] == "fail"
    nodeids = {t["nodeid"] for t in report["run"]["tests"]}
    assert not any("inner" in n for n in nodeids), nodeids


def test_a_stale_junit_file_is_not_evidence(tmp_path):
    stale = '<testsuite tests="1"><testcase classname="t" name="test_old" time="0.1"/></testsuite>'
    (tmp_path / "out.xml").write_text(stale)
    os.utime(tmp_path / "out.xml", (1_000_000_000, 1_000_000_000))
    code, report = check(tmp_path, {"command": [sys.executable, "-c", "pass"], "junit": "out.xml"})
    assert code == 1
    assert_criteria_error(report, "suite main wrote no JUnit XML during this run: out.xml is from an earlier run")
    # the same command writing the file during the run is read
    write(tmp_path, {"w.py": f"open('out.xml', 'w').write({stale!r})\n"})
    code, report = check(tmp_path, {"command": [sys.executable, "w.py"], "junit": "out.xml"})
    assert code == 0 and report_metrics(report)["suite.main.passed"] == 1


def test_an_exit_status_that_hides_failures_is_an_error(tmp_path):
    write(
        tmp_path,
        {
            "tests/conftest.py": """
                import pytest
                @pytest.hookimpl(trylast=True)
                def pytest_sessionfinish(session):
                    session.exitstatus = 0   # a plugin that swallows failures
            """,
            "tests/test_f.py": "def test_a(): pass\ndef test_b(): assert False\n",
        },
    )
    code, report = check(tmp_path, {"command": PYTEST})
    assert code == 1
    assert_criteria_error(report, "suite main exited 0 though pytest's session ended with status 1")


def test_a_group_with_no_test_is_an_error_for_its_criteria(tmp_path):
    write(tmp_path, {"tests/test_a.py": "def test_a(): pass\n"})
    code, report = check(
        tmp_path,
        {"command": PYTEST, "groups": {"empty": {"paths": ["tests/nothing/"]}, "all": {"paths": ["tests/"]}}},
        {
            "G": {"title": "empty group", "condition": "group.empty.failed == 0"},
            "W": {"title": "every group", "condition": "group.*.failed == 0"},
            "A": {"title": "all", "condition": "group.all.passed == 1"},
        },
    )
    assert code == 1
    results = by_name(report)
    for cid in ("G", "W"):
        assert results[cid]["verdict"] == "error"
        assert "group empty matched no test of suite main" in results[cid]["message"]
    assert results["A"]["verdict"] == "pass"


def test_a_declared_group_that_measured_nothing_fails_the_run_without_a_criterion(tmp_path):
    """Adversary stop8b case 06: a conftest's environment-switched collect_ignore_glob leaves the
    group's tests out before collection; the group is an ERROR of its own, not a quiet SKIP."""
    write(
        tmp_path,
        {
            "tests/test_unit.py": "def test_unit(): pass\n",
            "tests/integration/test_stack.py": "def test_stack(): assert False\n",
            "tests/conftest.py": """
                import os
                collect_ignore_glob = [] if os.environ.get("STACK_URL") else ["integration/*"]
            """,
        },
    )
    suite = {"command": PYTEST, "groups": {"integration": {"paths": ["tests/integration/"]}}}
    code, report = check(tmp_path, suite, {"S": {"title": "suite", "condition": "suite.main.failed == 0"}})
    assert code == 1
    group = next(r for r in report["run"]["results"] if r["kind"] == "group")
    assert group["verdict"] == "error" and "matched no test" in group["message"], group


def test_nan_from_junit_never_satisfies_a_condition(tmp_path):
    junit = '<testsuite tests="1"><testcase classname="pkg.mod" name="test_a" time="nan"/></testsuite>'
    write(tmp_path, {"w.py": f"open('out.xml', 'w').write({junit!r})\n"})
    code, report = check(
        tmp_path,
        {"command": [sys.executable, "w.py"], "junit": "out.xml", "groups": {"x": {"paths": ["pkg/"]}}},
        {
            "NE": {"title": "not equal", "condition": "group.x.duration != 1s"},
            "NOT": {"title": "negated", "condition": "not (group.x.duration > 1h)"},
        },
    )
    assert code == 1
    for cid in ("NE", "NOT"):
        assert by_name(report)[cid]["verdict"] == "error"
        assert "group.x.duration" in by_name(report)[cid]["message"]


def test_stopping_early_with_x_leaves_counts_unavailable(tmp_path):
    write(tmp_path, {"tests/test_x.py": "def test_a(): assert False\ndef test_b(): pass\ndef test_c(): pass\n"})
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "suites": {"main": {"command": PYTEST + " -x"}}})
    results, _ = run_suite(loaded, "main", lambda who, line: None, threading.Event())
    main = results[0]
    assert main.verdict == "error" and main.metrics == {}
    assert "suite main recorded outcomes for 1 of 3 collected tests" in main.message
    assert "stopping after 1 failures" in main.unavailable[key("suite.main.passed")]


def test_the_recorder_never_overwrites_an_existing_file(tmp_path):
    write(tmp_path, {"tests/test_a.py": "def test_a(): pass\n"})
    existing = tmp_path / "records.jsonl"
    existing.write_text("someone else's\n")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "validator.suites.recorder",
        "tests",
    ]
    records_key = new_key()
    env = {**os.environ, "VALIDATOR_RESULTS": str(existing), KEY_ENV: records_key.hex()}
    proc = subprocess.run(command, cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0 and existing.read_text() == "someone else's\n"
    fresh = tmp_path / "fresh.jsonl"
    proc = subprocess.run(command, cwd=tmp_path, env={**env, "VALIDATOR_RESULTS": str(fresh)}, timeout=120)
    kinds = [json.loads(unseal(records_key, line))["type"] for line in fresh.read_text().splitlines()]
    assert proc.returncode == 0 and kinds == ["collected", "test", "deselected", "witness", "finish"]
    assert oct(fresh.stat().st_mode & 0o777) == "0o600"


def test_the_recorder_runs_whatever_disables_the_fixtures_plugin(tmp_path):
    """``-p no:validator``, an ``addopts`` saying so and PYTEST_DISABLE_PLUGIN_AUTOLOAD turn off the
    fixtures plugin, never the recorder: the outcomes and markers are known. Disabling the recorder
    itself leaves no results, and the suite is an error: there is no fallback to JUnit."""
    write(
        tmp_path,
        {
            "pytest.ini": "[pytest]\naddopts = -p no:validator\nmarkers =\n    slow: s\n",
            "tests/test_a.py": "import pytest\ndef test_a(): pass\n@pytest.mark.slow\ndef test_b(): assert False\n",
        },
    )
    suite = {
        "command": PYTEST + " -p no:validator",
        "environment": {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_ADDOPTS": "-p no:validator"},
        "groups": {"slow": {"markers": ["slow"]}},
    }
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "suites": {"main": suite}})
    results, tests = run_suite(loaded, "main", lambda who, line: None, threading.Event())
    main, slow = results
    assert main.verdict == "fail" and main.metrics[key("suite.main.failed")] == 1 and len(tests) == 2
    assert slow.metrics[key("group.slow.failed")] == 1 and slow.metrics[key("group.slow.total")] == 1
    suite["command"] = PYTEST + " -p no:validator_recorder"
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "suites": {"main": suite}})
    results, tests = run_suite(loaded, "main", lambda who, line: None, threading.Event())
    assert results[0].verdict == "error" and results[0].metrics == {} and tests == []
    assert "suite main ended (exit 1) with no results from the validator recorder" in results[0].message


def test_criteria_over_suites_left_out_by_no_suites_say_so(tmp_path):
    write(tmp_path, {"tests/test_a.py": "def test_a(): pass\n"})
    code, report = check(tmp_path, {"command": PYTEST, "groups": {"g": {"paths": ["tests/"]}}}, None, "--no-suites")
    assert code == 1
    assert_criteria_error(report, "suite main did not run (--no-suites)")


def test_junit_that_is_not_xml_is_an_error(tmp_path):
    write(tmp_path, {"w.py": "open('out.xml', 'w').write('<testsuite><testcase')\n"})
    code, report = check(tmp_path, {"command": [sys.executable, "w.py"], "junit": "out.xml"})
    assert code == 1
    assert_criteria_error(report, "suite main wrote JUnit XML that cannot be read")


def test_a_broken_results_record_makes_the_results_untrusted(tmp_path):
    from validator.suites.records import read_records

    good = [
        {"type": "collected", "count": 1},
        {"type": "test", "nodeid": "t.py::a", "when": "call", "outcome": "passed", "duration": 0.1},
        {"type": "deselected", "tests": []},
        {"type": "witness", "failing": [], "raw": []},
        {"type": "finish", "exitstatus": 0, "stopped": ""},
    ]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in good))
    recorded = read_records(path, "main")
    assert (recorded.collected, recorded.exitstatus, recorded.problem) == (1, 0, "")
    assert [(t.nodeid, t.outcome) for t in recorded.tests] == [("t.py::a", "passed")]
    for broken in ('{"type": "test", "nodeid": "t.py::b"', '{"type": "nonsense"}', "[1, 2]"):
        path.write_text(json.dumps(good[0]) + "\n" + broken + "\n" + "".join(json.dumps(r) + "\n" for r in good[2:]))
        assert read_records(path, "main").problem == "left a results record that cannot be read (line 2)"


def test_a_run_stopped_by_pytest_exit_0_is_an_error_with_autoload_disabled(tmp_path):
    """The issue's case: PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 and a run that stops half-way through
    ``pytest.exit(..., returncode=0)``: the recorder runs all the same, and the suite is an error."""
    write(
        tmp_path,
        {
            "tests/test_stop.py": """
                import pytest
                def test_a(): pass
                def test_b(): pytest.exit("enough", returncode=0)
                def test_c(): assert False
            """
        },
    )
    suite = {"command": PYTEST, "environment": {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}}
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "suites": {"main": suite}})
    results, _ = run_suite(loaded, "main", lambda who, line: None, threading.Event())
    assert results[0].verdict == "error" and results[0].metrics == {}
    assert "suite main recorded outcomes for 1 of 3 collected tests: Exit: enough" in results[0].message


def test_a_failing_subtest_fails_its_test(tmp_path):
    write(
        tmp_path,
        {
            "tests/test_u.py": """
                import unittest
                class T(unittest.TestCase):
                    def test_parts(self):
                        for i in range(3):
                            with self.subTest(i=i):
                                self.assertNotEqual(i, 1)
                    def test_whole(self):
                        pass
            """
        },
    )
    loaded = load_dict(tmp_path, {"version": 1, "project": "demo", "suites": {"main": {"command": PYTEST}}})
    results, tests = run_suite(loaded, "main", lambda who, line: None, threading.Event())
    assert results[0].verdict == "fail"
    assert {t.nodeid: t.outcome for t in tests} == {
        "tests/test_u.py::T::test_parts": "failed",
        "tests/test_u.py::T::test_whole": "passed",
    }
    assert (results[0].metrics[key("suite.main.failed")], results[0].metrics[key("suite.main.passed")]) == (1, 1)


def test_a_finish_record_without_the_records_written_before_it_is_incomplete(tmp_path):
    """The recorder writes the deselected tests' record and the witness's just before "finish": a
    finish without one of them lost lines (a deselected test would count as never existing; a failure
    a plugin rewrote would go unseen), so the results cannot be trusted."""
    from validator.suites.records import read_records

    head = [
        {"type": "collected", "count": 1},
        {"type": "test", "nodeid": "t.py::a", "when": "call", "outcome": "passed", "duration": 0.1},
    ]
    finish = {"type": "finish", "exitstatus": 0, "stopped": "", "selection": ["-k 'a'"]}
    raw = [{"nodeid": "t.py::a", "when": "call", "outcome": "passed"}]
    tail = {"deselected": {"type": "deselected", "tests": [{"nodeid": "t.py::b", "markers": []}]},
            "witness": {"type": "witness", "failing": [], "raw": raw}}  # fmt: skip
    path = tmp_path / "records.jsonl"
    for lost in tail:
        kept = [record for kind, record in tail.items() if kind != lost]
        path.write_text("".join(json.dumps(r) + "\n" for r in (*head, *kept, finish)))
        assert f"without its {lost} record" in read_records(path, "main").problem, lost
    path.write_text("".join(json.dumps(r) + "\n" for r in (*head, *tail.values(), finish)))
    assert read_records(path, "main").problem == ""
