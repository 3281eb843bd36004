"""The adversarial corpus for suites: each class of broken run teams meet, as a real run (a real pytest
process, or a shell runner writing JUnit XML), through ``validator check`` for real (no services: no
engine needed). For each: ``check`` exits non-zero, and no criterion reading the broken suite — its
failures, skips and duration, of the suite, its group and every wildcard over them — passes. Beside
them, runs that are whole (xdist, xpass, a JUnit runner that finished) pass with exact counts: no
false alarms.

Marked slow: some thirty ``check`` runs, each starting a real suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.metrics import report_evidence, report_metrics

pytestmark = pytest.mark.slow

PYTEST = "python -m pytest tests -q -p no:cacheprovider"
# What a team asks of its suite (the issue's SC1, SC2, SC6), of its group and over every member.
CRITERIA = {
    "SC1": {"title": "no failures", "condition": "suite.main.failed == 0 and suite.main.errors == 0"},
    "SC2": {"title": "few skipped", "condition": "suite.main.skipped < 20"},
    "SC6": {"title": "fast", "condition": "suite.main.duration < 5m"},
    "EVERY": {"title": "every suite", "condition": "suite.*.failed == 0"},
    "G1": {"title": "group clean", "condition": "group.all.failed == 0 and group.all.errors == 0"},
    "G2": {"title": "group fast", "condition": "max(group.*.duration) < 1m"},
    "G3": {"title": "group skips", "condition": "group.*.skipped < 20"},
}
GROUPS = {"all": {"paths": ["tests/"]}}


@dataclass(frozen=True, kw_only=True)
class Broken:
    """One class of broken run: the suite's files, its command, its environment, and what the suite's
    result must say."""

    files: dict[str, str]
    command: str | list[str] = PYTEST
    environment: dict[str, str] = field(default_factory=dict)
    junit: str | None = None
    runner: str | None = None
    says: str  # in the suite's message
    # the criteria that must not pass: all of them, but for a run that is whole and failed (its skips
    # and duration are then known exactly, and may well pass), those reading its failures
    must_not_pass: tuple[str, ...] = tuple(CRITERIA)
    suite_fails: bool = True  # a run that failed nothing (tests skipped) passes; its criteria may not


FAILURES = ("SC1", "EVERY", "G1")


STOP_HALF_WAY = {
    "tests/test_stop.py": """
        import pytest
        def test_a(): pass
        def test_b(): pass
        def test_c(): pytest.exit("enough for today", returncode=0)
        def test_d(): assert False, "never ran"
    """
}
FAILING = {"tests/test_f.py": "def test_ok(): pass\ndef test_bad(): assert False\n"}


def shell_junit(xml: str, exit_code: int, then: str = "") -> list[str]:
    """A real shell runner that writes ``xml`` to out.xml and exits ``exit_code`` (or runs ``then``)."""
    return ["sh", "-c", f"printf '%s' '{xml}' > out.xml; {then or f'exit {exit_code}'}"]


PASSING_CASES = "".join(f'<testcase classname="tests.test_j" name="test_{i}" time="0.1"/>' for i in range(12))
WHOLE = f'<testsuite tests="12" failures="0" errors="0">{PASSING_CASES}</testsuite>'

CORPUS = {
    # the recorder disabled, or the fallback it used to have: a run stopped half-way through pytest.exit(0)
    "autoload disabled, pytest.exit(0) half-way": Broken(
        files=STOP_HALF_WAY,
        environment={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        says="suite main recorded outcomes for 2 of 4 collected tests: Exit: enough for today",
    ),
    "-p no:validator, pytest.exit(0) half-way": Broken(
        files=STOP_HALF_WAY,
        command=PYTEST + " -p no:validator",
        says="suite main recorded outcomes for 2 of 4 collected tests",
    ),
    "addopts and PYTEST_ADDOPTS disable the plugin, pytest.exit(0) half-way": Broken(
        files={**STOP_HALF_WAY, "pytest.ini": "[pytest]\naddopts = -p no:validator\n"},
        environment={"PYTEST_ADDOPTS": "-p no:validator"},
        says="suite main recorded outcomes for 2 of 4 collected tests",
    ),
    "the recorder itself disabled": Broken(
        files=FAILING,
        environment={"PYTEST_ADDOPTS": "-p no:validator_recorder"},
        says="with no results from the validator recorder",
    ),
    "a command that replaces PYTHONPATH": Broken(
        files=FAILING,
        command=["sh", "-c", f"PYTHONPATH=. exec {sys.executable} -m pytest tests -q -p no:cacheprovider"],
        runner="pytest",
        says="ended with pytest exit 4 (usage error); the validator recorder did not run",
    ),
    "a command that runs pytest twice": Broken(
        files={"tests/a/test_a.py": "def test_a(): pass\n", "tests/b/test_b.py": "def test_b(): pass\n"},
        command=[
            "sh",
            "-c",
            f"{sys.executable} -m pytest -q -p no:cacheprovider tests/a && exec {sys.executable} "
            "-m pytest -q -p no:cacheprovider tests/b",
        ],
        runner="pytest",
        says="suite main ran 2 pytest sessions (a command that runs pytest more than once?)",
    ),
    # pytest run by a command whose first words are not pytest (issue 21, second review, case 04): the
    # recorder is in every suite's environment, and a session that ran is judged by its records
    "coverage run -m pytest, pytest.exit(0) half-way": Broken(
        files=STOP_HALF_WAY,
        command=[
            "python",
            "-m",
            "coverage",
            "run",
            "-m",
            "pytest",
            "tests",
            "-q",
            "-p",
            "no:cacheprovider",
            "--junitxml=out.xml",
        ],
        junit="out.xml",
        says="suite main recorded outcomes for 2 of 4 collected tests: Exit: enough for today",
    ),
    "sh -c running pytest, runner junit, pytest.exit(0) half-way": Broken(
        files=STOP_HALF_WAY,
        command=[
            "sh",
            "-c",
            f"cd . && exec {sys.executable} -m pytest tests -q -p no:cacheprovider --junitxml=out.xml",
        ],
        junit="out.xml",
        runner="junit",
        says="suite main recorded outcomes for 2 of 4 collected tests",
    ),
    # adversary stop8, case 08: an integration runner writes the declared JUnit file with a failure (its
    # exit swallowed by `;`), then a passing pytest session runs: the records alone would pass
    "runner junit: another runner's fresh JUnit beside a passing pytest session": Broken(
        files={"tests/test_unit.py": "def test_unit(): pass\n"},
        command=[
            "sh",
            "-c",
            'printf \'%s\' \'<testsuite name="integration" tests="2" failures="1"><testcase name="a"/>'
            '<testcase name="b"><failure message="500"/></testcase></testsuite>\' > out.xml; '
            f"exec {sys.executable} -m pytest -q -p no:cacheprovider tests",
        ],
        junit="out.xml",
        runner="junit",
        says="wrote JUnit XML at out.xml during this run that pytest did not write (or not all of it), beside",
    ),
    # adversary stop8b, case 04: the declared file merges pytest's --junitxml with the integration runner's
    # (a failure): one pytest-signed <testsuite> does not make the whole file pytest's
    "runner junit: pytest's JUnit merged with another runner's, beside a passing pytest session": Broken(
        files={
            "tests/test_unit.py": "def test_unit(): pass\n",
            "merge.py": """
                import sys
                import xml.etree.ElementTree as ET
                merged = ET.Element("testsuites")
                merged.extend(ET.parse(sys.argv[1]).getroot().iter("testsuite"))
                merged.append(ET.fromstring(
                    '<testsuite name="integration" tests="1" failures="1">'
                    '<testcase name="b"><failure message="500"/></testcase></testsuite>'
                ))
                ET.ElementTree(merged).write(sys.argv[2])
            """,
        },
        command=[
            "sh",
            "-c",
            f"{sys.executable} -m pytest -q -p no:cacheprovider --junitxml=unit.xml tests; "
            f"exec {sys.executable} merge.py unit.xml out.xml",
        ],
        junit="out.xml",
        runner="junit",
        says="wrote JUnit XML at out.xml during this run that pytest did not write (or not all of it)",
    ),
    "pytest's own JUnit XML from a session the recorder did not reach": Broken(
        files=STOP_HALF_WAY,
        command=[
            "sh",
            "-c",
            f"PYTHONPATH= PYTEST_PLUGINS= exec {sys.executable} -m pytest tests -q -p no:cacheprovider "
            "--junitxml=out.xml",
        ],
        junit="out.xml",
        says="yet the validator recorder did not run in that pytest session",
    ),
    # every test skipped (case 07): the suite proved nothing; its counts are exact, so only those reading
    # its skips fail
    "every test skipped by a session fixture": Broken(
        files={
            "tests/conftest.py": """
                import pytest
                @pytest.fixture(autouse=True, scope="session")
                def backend():
                    pytest.skip("backend not reachable")
            """,
            "tests/test_a.py": "def test_a(): assert False\ndef test_b(): assert False\n",
        },
        says="no test passed: all 2 tests were skipped",
        must_not_pass=(),
    ),
    # the process ends early, with a status that says all is well
    "os._exit(0) while importing a conftest": Broken(
        files={**FAILING, "tests/conftest.py": "import os\nos._exit(0)\n"},
        says="with no results from the validator recorder",
    ),
    "os._exit(0) after the last test": Broken(
        files={
            "tests/test_a.py": "def test_a(): pass\n",
            "tests/conftest.py": """
                import os, pytest
                @pytest.fixture(autouse=True, scope="session")
                def leave():
                    yield
                    os._exit(0)
            """,
        },
        says="suite main ended (exit 0) without pytest's finish record after 1 of 1 tests",
    ),
    "pytest.exit(0) from a conftest hook after collection": Broken(
        files={
            **FAILING,
            "tests/conftest.py": """
                import pytest
                def pytest_runtestloop(session):
                    pytest.exit("no tests today", returncode=0)
            """,
        },
        says="suite main recorded outcomes for 0 of 2 collected tests: Exit: no tests today",
    ),
    # outcomes overwritten
    "a plugin rewrites a failure as a pass when the report is made": Broken(
        files={
            **FAILING,
            "tests/conftest.py": """
                import pytest
                @pytest.hookimpl(wrapper=True)
                def pytest_runtest_makereport(item, call):
                    report = yield
                    if report.failed:
                        report.outcome, report.longrepr = "passed", None
                    return report
            """,
        },
        says="suite main reported 1 test(s) with an outcome other than what they raised (tests/test_f.py::test_bad: "
        "raised failed, reported passed): a plugin rewrote the outcome",
    ),
    # adversary stop8, case 01: a quarantine plugin reports a failure as skipped
    "a plugin rewrites a failure as a skip": Broken(
        files={
            **FAILING,
            "tests/conftest.py": """
                import pytest
                @pytest.hookimpl(hookwrapper=True)
                def pytest_runtest_makereport(item, call):
                    outcome = yield
                    rep = outcome.get_result()
                    if rep.when == "call" and rep.failed:
                        rep.outcome = "skipped"
                        rep.longrepr = ("x", 0, "quarantined")
            """,
        },
        says="(tests/test_f.py::test_bad: raised failed, reported skipped): a plugin rewrote the outcome",
    ),
    # case 01b: the same, as an expected failure no xfail mark asked for
    "a plugin rewrites a failure as an xfail": Broken(
        files={
            **FAILING,
            "tests/conftest.py": """
                import pytest
                @pytest.hookimpl(hookwrapper=True)
                def pytest_runtest_makereport(item, call):
                    outcome = yield
                    rep = outcome.get_result()
                    if rep.when == "call" and rep.failed:
                        rep.outcome = "skipped"
                        rep.wasxfail = "quarantined"
            """,
        },
        says="(tests/test_f.py::test_bad: raised failed, reported xfailed): a plugin rewrote the outcome",
    ),
    "a plugin rewrites a failure as a pass when the report is logged": Broken(
        files={
            **FAILING,
            "tests/conftest.py": """
                def pytest_runtest_logreport(report):
                    if report.failed:
                        report.outcome = "passed"
            """,
        },
        says="suite main exited 1 (tests failed) though no failed test was recorded",
    ),
    "a plugin rewrites failures under xdist": Broken(
        files={
            **FAILING,
            "tests/conftest.py": """
                import pytest
                @pytest.hookimpl(wrapper=True)
                def pytest_runtest_makereport(item, call):
                    report = yield
                    if report.failed:
                        report.outcome, report.longrepr = "passed", None
                    return report
            """,
        },
        command=PYTEST + " -n 2",
        says="a plugin rewrote the outcome",
    ),
    "a plugin sets the exit status to 0": Broken(
        files={
            **FAILING,
            "tests/conftest.py": """
                import pytest
                @pytest.hookimpl(trylast=True)
                def pytest_sessionfinish(session):
                    session.exitstatus = 0
            """,
        },
        says="suite main exited 0 though pytest's session ended with status 1",
    ),
    # options under which no test runs
    "--collect-only": Broken(files=FAILING, command=PYTEST + " --co", says="suite main ran no test: --collect-only"),
    "--setup-only": Broken(files=FAILING, command=PYTEST + " --setup-only", says="ran no test: --setup-only"),
    "--setup-plan": Broken(files=FAILING, command=PYTEST + " --setup-plan", says="--setup-plan only collects"),
    "pytest.exit(0) under xdist": Broken(
        files={
            "tests/test_p.py": """
                import pytest
                @pytest.mark.parametrize("i", range(6))
                def test_p(i):
                    if i == 2:
                        pytest.exit("enough", returncode=0)
            """
        },
        command=PYTEST + " -n 2",
        says="suite main ended with pytest exit 3 (internal error)",
    ),
    "-x stops at the first failure": Broken(
        files={"tests/test_x.py": "def test_a(): assert False\ndef test_b(): pass\ndef test_c(): pass\n"},
        command=PYTEST + " -x",
        says="suite main recorded outcomes for 1 of 3 collected tests: stopping after 1 failures",
    ),
    # a failing part
    "a failing unittest subTest": Broken(
        files={
            "tests/test_u.py": """
                import unittest
                class T(unittest.TestCase):
                    def test_parts(self):
                        for i in range(3):
                            with self.subTest(i=i):
                                self.assertNotEqual(i, 1)
            """
        },
        says="failing: tests/test_u.py::T::test_parts",
        must_not_pass=FAILURES,
    ),
    "a failing subtest of the subtests fixture": Broken(
        files={
            "tests/test_s.py": """
                def test_parts(subtests):
                    for i in range(3):
                        with subtests.test(i=i):
                            assert i != 2
            """
        },
        says="failing: tests/test_s.py::test_parts",
        must_not_pass=FAILURES,
    ),
    # counts that are only lower bounds
    "a module that cannot be imported, --continue-on-collection-errors": Broken(
        files={
            "tests/test_ok.py": "def test_a(): pass\ndef test_b(): pass\n",
            "tests/test_broken.py": "import no_such_module_xyz\ndef test_c(): pass\n",
        },
        command=PYTEST + " --continue-on-collection-errors",
        says="suite main: 1 module failed to import (tests/test_broken.py): its counts are lower bounds",
    ),
    # issue 21 review, case 05: pytest says "1 passed, 1 skipped", the module's 25 tests never counted
    "a module skipped whole at collection (importorskip)": Broken(
        files={
            "tests/test_ok.py": "def test_a(): pass\n",
            "tests/test_cdc.py": "import pytest\npytest.importorskip('no_such_module_xyz')\n"
            + "".join(f"def test_{i}(): pass\n" for i in range(25)),
        },
        says="1 module was skipped whole at collection (tests/test_cdc.py; its tests are not counted)",
        must_not_pass=("SC2", "G3"),
        suite_fails=False,
    ),
    # non-pytest runners
    "a runner that writes a partial file and exits 2": Broken(
        files={},
        command=shell_junit(f'<testsuite name="unit" tests="20" failures="0">{PASSING_CASES}</testsuite>', 2),
        junit="out.xml",
        says="suite main wrote JUnit XML whose totals disagree with its cases: <testsuite> number 1 (unit) says "
        "tests=20 but holds 12",
    ),
    "a runner that exits 2 after writing passing cases whose totals agree": Broken(
        files={},
        command=shell_junit(f'<testsuite tests="12">{PASSING_CASES}</testsuite>', 2),
        junit="out.xml",
        says="suite main exited 2 though every test in its JUnit XML passed (did it stop part-way?)",
    ),
    "a runner that stops after a failure, its file agreeing with itself, and exits 1": Broken(
        files={},
        command=shell_junit(
            '<testsuite tests="2" failures="1"><testcase classname="tests.test_j" name="a"/>'
            '<testcase classname="tests.test_j" name="b"><failure message="boom"/></testcase></testsuite>',
            1,
        ),
        junit="out.xml",
        says="suite main: its runner exited 1, as it does for failing tests and for a run stopped part-way: its "
        "counts are lower bounds",
    ),
    "a runner whose file gives no totals": Broken(
        files={},
        command=shell_junit(f"<testsuite>{PASSING_CASES}</testsuite>", 0),
        junit="out.xml",
        says="gives no tests= total to check its 12 test cases against",
    ),
    "a runner whose cases lie outside any testsuite": Broken(
        files={},
        command=shell_junit(f"<testsuites>{PASSING_CASES}</testsuites>", 0),
        junit="out.xml",
        says="12 test case(s) lie outside any <testsuite> that gives a tests= total",
    ),
    "a runner whose <testsuites> totals disagree": Broken(
        files={},
        command=shell_junit(f'<testsuites tests="40">{WHOLE}</testsuites>', 0),
        junit="out.xml",
        says="<testsuites> says tests=40 but holds 12",
    ),
    "a runner that exits 0 with failures in its file": Broken(
        files={},
        command=shell_junit(
            '<testsuite tests="2" failures="1"><testcase name="a"/>'
            '<testcase name="b"><failure message="boom"/></testcase></testsuite>',
            0,
        ),
        junit="out.xml",
        says="suite main exited 0 though its JUnit XML holds 1 failed or errored tests",
    ),
    "a runner killed by a signal after writing its file": Broken(
        files={},
        # $$$$: the spec's interpolation turns $$ into $, as Compose does
        command=shell_junit(f'<testsuite tests="12">{PASSING_CASES}</testsuite>', 0, then="kill -9 $$$$"),
        junit="out.xml",
        says="suite main was killed by SIGKILL",
    ),
    "a runner whose file is cut off": Broken(
        files={},
        command=shell_junit(f'<testsuite tests="12">{PASSING_CASES[:300]}', 0),
        junit="out.xml",
        says="suite main wrote JUnit XML that cannot be read: out.xml is not well-formed XML (line 1, column",
    ),
}


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def check(folder: Path, suite: dict[str, Any], criteria: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    spec = {"version": 1, "project": "corpus", "suites": {"main": suite}, "criteria": criteria}
    (folder / "infra.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    env = {k: v for k, v in os.environ.items() if k not in ("VALIDATOR_RESULTS", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    # Why: Hypothesis's pytest plugin (installed for the project's own fuzz tests, not the suites')
    # imports all of hypothesis at the end of every session, ~0.55 s of CPU of a 0.8 s suite run here
    # (measured, issue ci29); no suite here uses it. A case's own PYTEST_ADDOPTS (in its suite's
    # environment, which ``check`` lays over this one) replaces it, so those cases run as before.
    env["PYTEST_ADDOPTS"] = "-p no:hypothesispytest"
    proc = subprocess.run(
        [sys.executable, "-m", "validator", "check", "--no-progress", "-q", "--report", "json=r.json"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.returncode, json.loads((folder / "r.json").read_text())


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in report["run"]["results"]}


def reads_main(result: dict[str, Any]) -> bool:
    return any((k["family"], k["member"]) in (("suite", "main"), ("group", "all")) for k in result["reads"])


@pytest.mark.parametrize("case", CORPUS.values(), ids=list(CORPUS))
def test_no_criterion_reading_a_broken_suite_passes(tmp_path, case):
    write(tmp_path, case.files)
    suite: dict[str, Any] = {"command": case.command, "environment": case.environment, "groups": GROUPS}
    if case.junit:
        suite["junit"] = case.junit
    if case.runner:
        suite["runner"] = case.runner
    code, report = check(tmp_path, suite, CRITERIA)
    results = by_id(report)
    assert code == 1, results["main"]
    assert case.says in results["main"]["message"], results["main"]["message"]
    assert results["main"]["verdict"] in (("fail", "error") if case.suite_fails else ("pass",))
    criteria = [r for r in report["run"]["results"] if r["kind"] == "criterion"]
    assert {r["id"] for r in criteria} == set(CRITERIA)
    for result in criteria:
        assert reads_main(result), result
        if result["id"] in case.must_not_pass:
            assert result["verdict"] != "pass", (result["id"], result["message"])


def test_a_run_of_some_of_its_tests_says_so(tmp_path):
    """Tests deselected by the suite's own options: counted, said on the suite's result, and
    ``suite.main.deselected == 0`` fails (``-k``, ``-m``) or cannot pass (``--lf``: it leaves tests out
    uncounted); ``--sw`` deselects what passed before the last failure."""
    write(
        tmp_path,
        {
            "pytest.ini": "[pytest]\nmarkers =\n    slow: s\n",
            "tests/test_a.py": """
                import os, pytest
                def test_1(): pass
                def test_2(): assert os.environ.get("BREAK") != "1"
                def test_3(): pass
                @pytest.mark.slow
                def test_4(): pass
            """,
            "tests/test_b.py": "def test_5(): pass\ndef test_6(): pass\ndef test_7(): pass\n",
        },
    )
    criteria = {
        "ALL": {"title": "every test ran", "condition": "suite.main.deselected == 0"},
        "SC1": {"title": "no failures", "condition": "suite.main.failed == 0"},
    }
    with_cache = "python -m pytest tests -q -o cache_dir=.cache"
    code, report = check(tmp_path, {"command": with_cache + " -k test_1"}, criteria)
    main, metrics = by_id(report)["main"], report_metrics(report)
    assert code == 1 and by_id(report)["ALL"]["verdict"] == "fail"
    assert "ran 1 of 7 tests: 6 deselected by the suite's own options (-k 'test_1')" in main["message"]
    assert (metrics["suite.main.total"], metrics["suite.main.deselected"]) == (1, 6)
    code, report = check(tmp_path, {"command": with_cache + " -m 'not slow'"}, criteria)
    assert code == 1 and report_metrics(report)["suite.main.deselected"] == 1
    said = by_id(report)["main"]["message"]
    assert "ran 6 of 7 tests: 1 deselected by the suite's own options (-m 'not slow')" in said
    # a failing run leaves test_2 in the cache: --lf then runs it alone, and says how little it knows
    code, report = check(tmp_path, {"command": with_cache, "environment": {"BREAK": "1"}}, criteria)
    assert code == 1 and by_id(report)["SC1"]["verdict"] == "fail"
    code, report = check(tmp_path, {"command": with_cache + " --lf"}, criteria)
    results = by_id(report)
    assert code == 1 and results["SC1"]["verdict"] == "pass" and results["ALL"]["verdict"] == "error"
    assert "--lf ran only the tests that failed last time" in results["ALL"]["message"]
    assert "ran 1 test; at least 0 more left out by the suite's own options (--lf)" in results["main"]["message"]
    evidence = report_evidence(report)["suite.main.deselected"]
    assert (evidence["low"], evidence["high"]) == (0, None)
    # --sw stops at the first failure (an error: not every test ran), then deselects what passed before it
    code, report = check(tmp_path, {"command": with_cache + " --sw", "environment": {"BREAK": "1"}}, criteria)
    assert code == 1 and by_id(report)["main"]["verdict"] == "error"
    code, report = check(tmp_path, {"command": with_cache + " --sw"}, criteria)
    assert code == 1 and by_id(report)["ALL"]["verdict"] == "fail"
    assert "1 deselected by the suite's own options (--sw)" in by_id(report)["main"]["message"]


def test_tests_ignored_before_collection_are_said_and_deselected_cannot_pass(tmp_path):
    """``--ignore`` inherited through ``PYTEST_ADDOPTS`` (a CI job's setting, issue 21's second review, case
    16) leaves tests out before they exist: the suite's result names the option and where it came from, and
    ``suite.main.deselected == 0`` is an error (a lower bound of 0), never a pass."""
    write(
        tmp_path,
        {
            "tests/unit/test_u.py": "def test_u(): pass\n",
            "tests/integration/test_i.py": "def test_i(): assert False\ndef test_j(): assert False\n",
        },
    )
    criteria = {"ALL": {"title": "every test ran", "condition": "suite.main.deselected == 0"}}
    ignoring = {"PYTEST_ADDOPTS": "--ignore=tests/integration"}
    code, report = check(tmp_path, {"command": PYTEST, "environment": ignoring}, criteria)
    results = by_id(report)
    assert code == 1 and results["ALL"]["verdict"] == "error", results["ALL"]
    said = "--ignore 'tests/integration' (some from PYTEST_ADDOPTS) left paths out before collection"
    assert said in results["main"]["message"] and said in results["ALL"]["message"]
    evidence = report_evidence(report)["suite.main.deselected"]
    assert (evidence["low"], evidence["high"]) == (0, None)
    # `-o python_files=...` narrows collection the same way
    narrowing = {"PYTEST_ADDOPTS": "-o python_files=test_u*.py"}
    code, report = check(tmp_path, {"command": PYTEST, "environment": narrowing}, criteria)
    assert code == 1 and by_id(report)["ALL"]["verdict"] == "error", by_id(report)["ALL"]
    assert "-o 'python_files=test_u*.py' (some from PYTEST_ADDOPTS)" in by_id(report)["main"]["message"]
    # an --ignore of a path that does not exist drops nothing: no false alarm
    code, report = check(tmp_path, {"command": PYTEST + " --ignore=tests/gone -k test_u"}, criteria)
    assert by_id(report)["ALL"]["verdict"] == "fail" and "--ignore" not in by_id(report)["main"]["message"]


def test_tests_a_conftest_leaves_out_before_collection_are_said_and_deselected_cannot_pass(tmp_path):
    """Adversary stop8, case 05: a conftest's ``collect_ignore_glob``, set when an environment variable is
    missing, keeps the failing integration tests from ever existing: the suite's result names what was
    left out and ``suite.main.deselected == 0`` is an error (a lower bound of 0), never a pass; with the
    variable set the tests run and fail."""
    write(
        tmp_path,
        {
            "tests/conftest.py": """
                import os
                collect_ignore_glob = [] if os.environ.get("STACK_URL") else ["integration/*"]
            """,
            "tests/test_unit.py": "def test_unit(): pass\n",
            "tests/integration/test_stack.py": "def test_stack_answers(): assert False\n",
        },
    )
    criteria = {
        "SC1": {
            "title": "every test passes",
            "condition": "suite.main.failed == 0 and suite.main.errors == 0 and suite.main.deselected == 0",
        }
    }
    code, report = check(tmp_path, {"command": PYTEST}, criteria)
    results = by_id(report)
    assert code == 1 and results["SC1"]["verdict"] == "error", results["SC1"]
    said = (
        "an ini file, a conftest or a plugin left 1 path(s) or test(s) out before collection "
        "('tests/integration/test_stack.py')"
    )
    assert said in results["main"]["message"] and said in results["SC1"]["message"]
    evidence = report_evidence(report)["suite.main.deselected"]
    assert (evidence["low"], evidence["high"]) == (0, None)
    code, report = check(tmp_path, {"command": PYTEST, "environment": {"STACK_URL": "x"}}, criteria)
    assert code == 1 and by_id(report)["SC1"]["verdict"] == "fail"


def test_a_plugin_that_drops_tests_silently_has_them_counted(tmp_path):
    """Tests a plugin removes from the run without saying so (no ``pytest_deselected``) are deselected
    all the same."""
    write(
        tmp_path,
        {
            "tests/conftest.py": "def pytest_collection_modifyitems(items):\n    items[:] = items[:1]\n",
            "tests/test_a.py": "def test_1(): pass\ndef test_2(): assert False\ndef test_3(): assert False\n",
        },
    )
    criteria = {"ALL": {"title": "every test ran", "condition": "suite.main.deselected == 0"}}
    code, report = check(tmp_path, {"command": PYTEST}, criteria)
    assert code == 1 and by_id(report)["ALL"]["verdict"] == "fail"
    assert "ran 1 of 3 tests: 2 deselected by a plugin" in by_id(report)["main"]["message"]


def test_whole_runs_pass_with_exact_counts(tmp_path):
    """No false alarms: an xdist run (its groups by marker included), an xpass, skips, a
    deselection-free run, a subtest that passes, and a JUnit runner that finished, each pass with
    exact counts."""
    write(
        tmp_path,
        {
            "tests/test_w.py": """
                import unittest, pytest
                @pytest.mark.parametrize("i", range(6))
                def test_p(i): pass
                @pytest.mark.xfail(reason="known")
                def test_xpass(): pass
                @pytest.mark.xfail(reason="known")
                def test_xfail(): assert False
                def test_skip(): pytest.skip("later")
                class T(unittest.TestCase):
                    def test_parts(self):
                        for i in range(2):
                            with self.subTest(i=i):
                                self.assertLess(i, 2)
            """
        },
    )
    criteria = {**CRITERIA, "ALL": {"title": "every test ran", "condition": "suite.main.deselected == 0"}}
    groups = {**GROUPS, "xf": {"markers": ["xfail"]}}  # markers come from the xdist workers
    code, report = check(tmp_path, {"command": PYTEST + " -n 2", "groups": groups}, criteria)
    assert code == 0, {r["id"]: r["message"] for r in report["run"]["results"] if r["verdict"] != "pass"}
    metrics = report_metrics(report)
    fields = ("total", "passed", "xpassed", "xfailed", "skipped", "failed", "deselected")
    assert [metrics[f"suite.main.{f}"] for f in fields] == [10, 7, 1, 1, 1, 0, 0]
    assert [metrics[f"group.all.{f}"] for f in fields] == [10, 7, 1, 1, 1, 0, 0]
    assert [metrics[f"group.xf.{f}"] for f in fields] == [2, 0, 1, 1, 0, 0, 0]
    xml = f'<testsuites tests="12" failures="0">{WHOLE}</testsuites>'
    code, report = check(tmp_path, {"command": shell_junit(xml, 0), "junit": "out.xml", "groups": GROUPS}, CRITERIA)
    assert code == 0, {r["id"]: r["message"] for r in report["run"]["results"] if r["verdict"] != "pass"}
    assert report_metrics(report)["suite.main.passed"] == 12
    assert "suite.main.deselected" not in report_evidence(report)  # JUnit cannot say: not a metric of this suite
