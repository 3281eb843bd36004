"""Coverage as a criterion, for real: a pytest suite with pytest-cov writes coverage.py's JSON report;
the suite's and its groups' line coverage are read from it (and agree with coverage.py's own totals);
a report this run did not write, a suite that did not finish or a file that is not the report give
no value, with why; ``check`` judges a criterion over it."""

from __future__ import annotations

import json
import os
import shlex
import sys
import textwrap
import threading
import time

import pytest
import yaml

from tests.harness.specs import load_dict
from tests.metrics import key, report_evidence
from validator.suites.coverage import FileLines, Unreadable, percent, read_report
from validator.suites.runner import run_suite

LIBRARY = textwrap.dedent("""
    def used(x):
        return x + 1


    def unused(x):
        y = x * 2
        return y
""")
TEST_A = "from lib import used\n\ndef test_used():\n    assert used(1) == 2\n"
TEST_B = "import pytest\n\ndef test_later():\n    pytest.skip('not yet')\n    assert False\n"
COMMAND = "python -m pytest tests -q -p no:cacheprovider --cov=. --cov-report=json:out/coverage.json"
GROUPS = {"a": {"paths": ["tests/a/"]}, "b": {"paths": ["tests/b/"]}, "lib": {"paths": ["lib.py"]}}


def project(tmp_path):
    for folder, text in (("a", TEST_A), ("b", TEST_B)):
        (tmp_path / "tests" / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / "tests" / folder / f"test_{folder}.py").write_text(text)
    (tmp_path / "lib.py").write_text(LIBRARY)
    (tmp_path / "pytest.ini").write_text("[pytest]\npythonpath = .\n")


def run(tmp_path, suite):
    loaded = load_dict(tmp_path, {"version": 1, "project": "cov", "suites": {"main": suite}})
    results, _ = run_suite(loaded, "main", lambda who, line: None, threading.Event())
    return {r.name: r for r in results}


def test_the_suite_and_its_groups_get_the_line_coverage_of_their_files(tmp_path):
    project(tmp_path)
    results = run(tmp_path, {"command": COMMAND, "coverage": "out/coverage.json", "groups": GROUPS})
    main = results["main"]
    assert main.verdict == "pass", main.message
    report = json.loads((tmp_path / "out" / "coverage.json").read_text())
    totals = report["totals"]
    measured = main.metrics[key("suite.main.coverage")]
    assert measured == 100.0 * totals["covered_lines"] / totals["num_statements"] < 100.0
    assert main.actual.endswith(f"; {measured:.1f}% of lines covered")

    def of(file):
        summary = report["files"][file]["summary"]
        return 100.0 * summary["covered_lines"] / summary["num_statements"]

    assert results["main/a"].metrics[key("group.a.coverage")] == of("tests/a/test_a.py") == 100.0
    assert results["main/b"].metrics[key("group.b.coverage")] == of("tests/b/test_b.py") < 100.0  # after skip
    # a group whose paths select files but no test: no counts, and still the coverage of its files
    lib = results["main/lib"]
    assert lib.metrics == {key("group.lib.coverage"): of("lib.py")} and 0 < of("lib.py") < 100
    assert key("group.lib.total") in lib.unavailable


def test_a_report_this_run_did_not_write_is_no_evidence(tmp_path):
    project(tmp_path)
    stale = tmp_path / "out" / "coverage.json"
    stale.parent.mkdir()
    stale.write_text(json.dumps({"files": {"lib.py": {"summary": {"num_statements": 4, "covered_lines": 4}}}}))
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    groups = {"a": {"paths": ["tests/a/"]}, "named": {"pattern": "test_used"}}
    results = run(
        tmp_path,
        {"command": "python -m pytest tests -q -p no:cacheprovider", "coverage": "out/coverage.json", "groups": groups},
    )
    main = results["main"]
    assert main.verdict == "pass" and key("suite.main.coverage") not in main.metrics
    assert main.unavailable[key("suite.main.coverage")] == (
        "suite main wrote no coverage report during this run: coverage.json is from an earlier run"
    )
    assert results["main/a"].unavailable[key("group.a.coverage")] == main.unavailable[key("suite.main.coverage")]
    # a group without paths selects no file: it measures no coverage (and is not said to lack one)
    assert not any(
        k.field == "coverage" for k in {**results["main/named"].metrics, **results["main/named"].unavailable}
    )

    stale.unlink()
    gone = run(tmp_path, {"command": "python -m pytest tests -q -p no:cacheprovider", "coverage": "out/coverage.json"})
    assert gone["main"].unavailable[key("suite.main.coverage")] == (
        "suite main wrote no coverage report at coverage.json during this run"
    )


def test_a_suite_that_did_not_finish_gives_no_coverage_and_neither_does_a_file_that_is_not_the_report(tmp_path):
    project(tmp_path)
    (tmp_path / "tests" / "a" / "test_a.py").write_text("import time\n\ndef test_slow():\n    time.sleep(30)\n")
    stopped = run(tmp_path, {"command": COMMAND, "coverage": "out/coverage.json", "timeout": "3s", "groups": GROUPS})
    assert stopped["main"].verdict == "error"
    why = stopped["main"].unavailable[key("suite.main.coverage")]
    assert why.startswith("suite main timed out after 3s and was stopped after 0")
    assert why.endswith(": its coverage report is not evidence")
    assert (
        stopped["main/a"].unavailable[key("group.a.coverage")]
        == stopped["main"].unavailable[key("suite.main.coverage")]
    )

    python = shlex.quote(sys.executable)
    junk = f"mkdir -p out && echo '<xml/>' > out/coverage.json && {python} -m pytest tests/b -q -p no:cacheprovider"
    results = run(tmp_path, {"command": ["sh", "-c", junk], "runner": "pytest", "coverage": "out/coverage.json"})
    assert results["main"].unavailable[key("suite.main.coverage")] == (
        "suite main wrote a coverage report that is not JSON: coverage.json"
    )


def test_reading_the_report(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(
        json.dumps(
            {
                "files": {
                    str(tmp_path / "src" / "m.py"): {"summary": {"num_statements": 10, "covered_lines": 7}},
                    "/elsewhere/x.py": {"summary": {"num_statements": 0, "covered_lines": 0}},
                }
            }
        )
    )
    files = read_report(path, tmp_path)
    assert files == {
        "src/m.py": FileLines(statements=10, covered=7),
        "/elsewhere/x.py": FileLines(statements=0, covered=0),
    }
    assert percent(files) == 70.0 and percent({"x": FileLines(statements=0, covered=0)}) is None
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    try:
        read_report(fifo, tmp_path)
    except Unreadable as exc:
        assert str(exc) == "is not a regular file"
    else:
        raise AssertionError("a FIFO was read")
    for text, why in (
        ("[1, 2]", "no files"),
        ('{"files": {"a.py": {"summary": {"num_statements": 1, "covered_lines": 2}}}}', "without its line counts"),
        ("{not json", "is not JSON"),
    ):
        path.write_text(text)
        try:
            read_report(path, tmp_path)
        except Unreadable as exc:
            assert why in str(exc) and "not json" not in str(exc).replace("not JSON", "")
        else:
            raise AssertionError(text)


@pytest.mark.slow  # two whole `check` processes
def test_check_judges_a_criterion_over_coverage(tmp_path, run_cli):
    project(tmp_path)
    spec = {
        "version": 1,
        "project": "cov-check",
        "suites": {"main": {"command": COMMAND, "coverage": "out/coverage.json", "groups": GROUPS}},
        "criteria": {
            "COV": {"title": "most lines run", "condition": "suite.main.coverage >= 60"},
            "LIB": {"title": "the library fully run", "condition": "group.lib.coverage == 100"},
        },
        "settings": {"reports": ["json=result.json"], "history": "history.db"},
    }
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    done = run_cli("check", "--no-progress", cwd=tmp_path)
    report = json.loads((tmp_path / "result.json").read_text())
    assert report["criteria"] == {"COV": "pass", "LIB": "fail"}, done.stdout
    assert done.returncode == 1
    evidence = report_evidence(report)
    assert evidence["suite.main.coverage"]["dimension"] == "" and evidence["suite.main.coverage"]["low"] >= 60
    # the report left by that run is stale for the next one, whose command writes none
    spec["suites"]["main"]["command"] = "python -m pytest tests -q -p no:cacheprovider"
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    again = run_cli("check", "--no-progress", cwd=tmp_path)
    report = json.loads((tmp_path / "result.json").read_text())
    assert report["criteria"]["COV"] == "error" and again.returncode == 1
    assert "coverage.json is from an earlier run" in report_evidence(report)["suite.main.coverage"]["reason"]
