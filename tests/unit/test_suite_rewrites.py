"""The recorder's witness against outcomes rewritten after the fact and tests left out before collection
(adversary stop8, cases 01, 01b, 05): each test's outcome is derived from what its phases raised, under
pytest's own skip and xfail rules, and compared with what was reported; paths a conftest or plugin leaves
out before collection, and test functions a plugin makes nothing of, make ``deselected`` a lower bound.
Each case is a real pytest process with the recorder loaded, read back as ``validator check`` reads it;
beside them, legitimate skips, xfails and xpasses (strict or not), unittest's, subtests' and xdist's,
and ordinary housekeeping, leave no false alarm."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from validator.suites.records import Recorded, read_records
from validator.suites.sealed import KEY_ENV, new_key

KEY = new_key()  # the records' key, as a suite run has one (suites/sealed.py)


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def record(folder: Path, files: dict[str, str], *args: str) -> tuple[int, Recorded]:
    """Run pytest on ``tests`` under ``folder`` with the recorder, as a suite runs, and read its records."""
    write(folder, files)
    results = folder / f"records-{len(list(folder.glob('records-*.jsonl')))}.jsonl"  # a fresh file for each run
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    env["VALIDATOR_RESULTS"] = str(results)
    env[KEY_ENV] = KEY.hex()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "validator.suites.recorder"]
    proc = subprocess.run([*command, *args, "tests"], cwd=folder, env=env, capture_output=True, text=True, timeout=180)
    recorded = read_records(results, "main", KEY)
    assert recorded.exitstatus is not None, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.returncode, recorded


def outcomes(recorded: Recorded) -> dict[str, str]:
    return {t.nodeid.rpartition("::")[2]: t.outcome for t in recorded.tests}


QUARANTINE = """
    import pytest

    # a "quarantine" plugin: a failure reported as a skip, or invented as an expected failure
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(item, call):
        report = yield
        name = item.name
        if name == "test_to_skip" and report.failed:
            report.outcome, report.longrepr = "skipped", ("x", 0, "quarantined")
        elif name == "test_to_xfail" and report.failed:
            report.outcome, report.wasxfail = "skipped", "quarantined"
        elif name == "test_setup_error_to_skip" and report.when == "setup" and report.failed:
            report.outcome, report.longrepr = "skipped", ("x", 0, "quarantined")
        elif name == "test_skip_to_pass" and report.skipped:
            report.outcome, report.longrepr = "passed", None
        elif name == "test_to_xpass" and report.failed:
            report.outcome, report.wasxfail = "passed", "quarantined"
        return report

    @pytest.fixture
    def broken():
        raise RuntimeError("no backend")
"""

REWRITTEN = {
    "tests/conftest.py": QUARANTINE,
    "tests/test_r.py": """
        import pytest
        def test_ok(): pass
        def test_to_skip(): assert False, "broken"
        def test_to_xfail(): assert False, "broken"
        def test_setup_error_to_skip(broken): pass
        def test_skip_to_pass(): pytest.skip("never ran")
        def test_to_xpass(): assert False, "broken"
    """,
}


def test_a_failure_rewritten_as_a_skip_an_xfail_or_a_pass_is_seen(tmp_path):
    code, recorded = record(tmp_path, REWRITTEN)
    assert code == 0  # pytest itself was told all is well
    seen = {r.nodeid.rpartition("::")[2]: (r.raised, r.reported) for r in recorded.rewritten}
    assert seen == {
        "test_to_skip": ("failed", "skipped"),
        "test_to_xfail": ("failed", "xfailed"),
        "test_setup_error_to_skip": ("error", "skipped"),
        "test_skip_to_pass": ("skipped", "passed"),
        "test_to_xpass": ("failed", "xpassed"),
    }


def test_a_rewrite_by_an_outer_wrapper_and_at_logreport_is_seen(tmp_path):
    """A conftest's ``tryfirst`` wrapper registered after the witness wraps it (and erases the call's
    exception before the witness looks); a ``logreport`` hook rewrites after both; a conftest's own
    protocol logs a report it made up: the reported outcome is the recorder's (heard last), the raw one
    the witness's."""
    files = {
        # a conftest below the initial ones: registered while collecting, after the witness
        "tests/sub/conftest.py": """
            import pytest
            @pytest.hookimpl(wrapper=True, tryfirst=True)
            def pytest_runtest_makereport(item, call):
                call.excinfo = None if item.name == "test_erased" else call.excinfo
                report = yield
                if item.name == "test_outer" and report.failed:
                    report.outcome, report.longrepr = "skipped", ("x", 0, "quarantined")
                return report

            def pytest_runtest_logreport(report):
                if report.nodeid.endswith("test_logged") and report.failed:
                    report.outcome, report.longrepr = "skipped", ("x", 0, "quarantined")

            @pytest.hookimpl(tryfirst=True)
            def pytest_runtest_protocol(item, nextitem):
                if item.name != "test_fabricated":
                    return None
                # a report made up without running the test: no phase of it reached pytest's reports
                report = pytest.TestReport(item.nodeid, item.location, {}, "passed", None, "call")
                item.ihook.pytest_runtest_logreport(report=report)
                return True
        """,
        "tests/sub/test_o.py": """
            def test_ok(): pass
            def test_outer(): assert False
            def test_erased(): assert False
            def test_logged(): assert False
            def test_fabricated(): assert False
        """,
    }
    _, recorded = record(tmp_path, files)
    seen = {r.nodeid.rpartition("::")[2]: (r.raised, r.reported) for r in recorded.rewritten}
    assert seen == {
        "test_outer": ("failed", "skipped"),
        "test_erased": ("failed", "passed"),
        "test_logged": ("failed", "skipped"),
        "test_fabricated": ("", "passed"),
    }


def test_an_exception_swallowed_before_the_report_is_seen(tmp_path):
    """Adversary stop8b, case 01: a conftest wrapper of ``pytest_runtest_call`` (or an outer wrapper of
    ``pytest_pyfunc_call``) swallows what the test raised, so ``call.excinfo`` never holds it; the
    witness's innermost ``pytest_pyfunc_call`` wrapper saw the test function raise."""
    files = {
        "tests/conftest.py": """
            import pytest
            @pytest.hookimpl(wrapper=True)
            def pytest_runtest_call(item):
                try:
                    return (yield)
                except AssertionError:
                    if item.name != "test_swallowed_by_call":
                        raise
                    return None

            @pytest.hookimpl(wrapper=True, tryfirst=True)
            def pytest_pyfunc_call(pyfuncitem):
                try:
                    return (yield)
                except AssertionError:
                    if pyfuncitem.name != "test_swallowed_by_pyfunc":
                        raise
                    return True
        """,
        "tests/test_s.py": """
            import pytest
            def test_ok(): pass
            def test_swallowed_by_call(): assert 1 == 2
            def test_swallowed_by_pyfunc(): assert 1 == 2
            def test_fail(): assert 1 == 2
            @pytest.mark.xfail(reason="known")
            def test_xfail(): assert 1 == 2
        """,
    }
    code, recorded = record(tmp_path, files)
    assert code == 1  # test_fail: pytest itself passed the two swallowed ones
    seen = {r.nodeid.rpartition("::")[2]: (r.raised, r.reported) for r in recorded.rewritten}
    assert seen == {"test_swallowed_by_call": ("failed", "passed"), "test_swallowed_by_pyfunc": ("failed", "passed")}
    assert outcomes(recorded)["test_xfail"] == "xfailed"


def test_a_plugin_registered_after_collection_that_erases_the_exception_is_seen(tmp_path):
    """Adversary stop8b, case 11: a plugin registered from a session fixture (outside the witness's
    makereport wrapper, which re-registered at the end of collection) clears ``call.excinfo``; the
    witness's ``pytest_pyfunc_call`` view saw the test function raise."""
    files = {
        "tests/conftest.py": """
            import pytest
            class Quarantine:
                @pytest.hookimpl(wrapper=True, tryfirst=True)
                def pytest_runtest_makereport(self, item, call):
                    if call.excinfo is not None and call.excinfo.errisinstance(AssertionError):
                        call.excinfo = None
                    return (yield)
            @pytest.fixture(scope="session", autouse=True)
            def _quarantine(request):
                request.config.pluginmanager.register(Quarantine(), "quarantine")
                yield
        """,
        "tests/test_s.py": """
            def test_ok(): pass
            def test_broken(): assert 1 == 2
        """,
    }
    code, recorded = record(tmp_path, files)
    seen = {r.nodeid.rpartition("::")[2]: (r.raised, r.reported) for r in recorded.rewritten}
    assert seen == {"test_broken": ("failed", "passed")}, (code, seen)


def test_an_xfail_mark_a_plugin_adds_to_a_failing_test_is_a_rewrite(tmp_path):
    """Adversary stop8b, case 02: a "known failures" conftest marks a failing test xfail in
    ``pytest_collection_modifyitems``: the test's source expected no failure, so the failure it raised is
    not excused. A test whose source declares an xfail, or that marks itself at run time
    (``request.applymarker``), or that passes under an added mark, counts as pytest counts it."""
    files = {
        "tests/conftest.py": """
            import pytest
            def pytest_collection_modifyitems(items):
                for item in items:
                    if item.name.startswith("test_known"):
                        item.add_marker(pytest.mark.xfail(reason="quarantined"))
        """,
        "tests/test_k.py": """
            import pytest
            def test_ok(): pass
            def test_known_broken(): assert 1 == 2
            def test_known_passing(): pass
            @pytest.mark.xfail(reason="declared")
            def test_known_declared(): assert 1 == 2
            def test_dynamic(request):
                request.applymarker(pytest.mark.xfail(reason="found out"))
                assert 1 == 2
        """,
    }
    code, recorded = record(tmp_path, files)
    assert code == 0  # pytest itself counts test_known_broken xfailed
    seen = {r.nodeid.rpartition("::")[2]: (r.raised, r.reported) for r in recorded.rewritten}
    assert seen == {"test_known_broken": ("failed", "xfailed")}
    assert outcomes(recorded) == {
        "test_ok": "passed",
        "test_known_broken": "xfailed",
        "test_known_passing": "xpassed",
        "test_known_declared": "xfailed",
        "test_dynamic": "xfailed",
    }


@pytest.mark.slow  # two xdist workers
def test_a_rewrite_under_xdist_is_seen(tmp_path):
    """The raw outcomes come from the workers, through their output, to the controller that records."""
    _, recorded = record(tmp_path, REWRITTEN, "-n", "2")
    assert {r.nodeid.rpartition("::")[2] for r in recorded.rewritten} == {
        "test_to_skip",
        "test_to_xfail",
        "test_setup_error_to_skip",
        "test_skip_to_pass",
        "test_to_xpass",
    }


LEGITIMATE = {
    "pytest.ini": "[pytest]\nmarkers =\n    later: l\n",
    "tests/conftest.py": """
        import pytest
        @pytest.fixture
        def skipping():
            pytest.skip("backend down")
        @pytest.fixture
        def xfailing():
            pytest.xfail("known in setup")
        @pytest.fixture
        def broken():
            raise RuntimeError("no backend")
    """,
    "tests/test_l.py": """
        import unittest, pytest
        def test_pass(): pass
        def test_skip_call(): pytest.skip("later")
        @pytest.mark.skip(reason="later")
        def test_skip_mark(): pass
        @pytest.mark.skipif(True, reason="never here")
        def test_skipif(): pass
        def test_skip_fixture(skipping): pass
        def test_importorskip(): pytest.importorskip("no_such_module_xyz")
        def test_unittest_skiptest(): raise unittest.SkipTest("plain SkipTest")
        @pytest.mark.xfail(reason="known")
        def test_xfail(): assert False
        @pytest.mark.xfail(reason="known")
        def test_xpass(): pass
        @pytest.mark.xfail(reason="known", strict=True)
        def test_xpass_strict(): pass
        @pytest.mark.xfail(raises=KeyError, reason="known")
        def test_xfail_raises(): raise KeyError("k")
        @pytest.mark.xfail(raises=KeyError, reason="known")
        def test_xfail_raises_other(): raise ValueError("v")
        @pytest.mark.xfail(run=False, reason="hangs")
        def test_xfail_not_run(): pass
        @pytest.mark.xfail(reason="setup broken")
        def test_xfail_setup_error(broken): pass
        def test_xfail_call(): pytest.xfail("known now")
        def test_xfail_fixture(xfailing): pass
        def test_xfail_dynamic(request):
            request.applymarker(pytest.mark.xfail(reason="found out"))
            assert False
        def test_fail(): assert False
        def test_error(broken): pass
        def test_subtests(subtests):
            for i in range(3):
                with subtests.test(i=i):
                    if i == 1:
                        pytest.skip("part")
        class T(unittest.TestCase):
            def test_u_pass(self): pass
            @unittest.skip("later")
            def test_u_skip(self): pass
            def test_u_skip_inside(self): self.skipTest("inside")
            @unittest.expectedFailure
            def test_u_expected(self): self.assertTrue(False)
            @unittest.expectedFailure
            def test_u_unexpected_success(self): pass
            def test_u_fail(self): self.assertTrue(False)
            def test_u_subtests(self):
                for i in range(2):
                    with self.subTest(i=i):
                        self.assertLess(i, 2)
    """,
}

EXPECTED = {
    "test_pass": "passed",
    "test_skip_call": "skipped",
    "test_skip_mark": "skipped",
    "test_skipif": "skipped",
    "test_skip_fixture": "skipped",
    "test_importorskip": "skipped",
    "test_unittest_skiptest": "skipped",
    "test_xfail": "xfailed",
    "test_xpass": "xpassed",
    "test_xpass_strict": "failed",
    "test_xfail_raises": "xfailed",
    "test_xfail_raises_other": "failed",
    "test_xfail_not_run": "xfailed",
    "test_xfail_setup_error": "xfailed",
    "test_xfail_call": "xfailed",
    "test_xfail_fixture": "xfailed",
    "test_xfail_dynamic": "xfailed",
    "test_fail": "failed",
    "test_error": "error",
    "test_subtests": "passed",
    "test_u_pass": "passed",
    "test_u_skip": "skipped",
    "test_u_skip_inside": "skipped",
    "test_u_expected": "xfailed",
    "test_u_unexpected_success": "failed",
    "test_u_fail": "failed",
    "test_u_subtests": "passed",
}


def test_legitimate_skips_xfails_and_xpasses_count_as_pytest_counts_them(tmp_path):
    code, recorded = record(tmp_path, LEGITIMATE)
    assert code == 1 and recorded.problem == ""
    assert outcomes(recorded) == EXPECTED
    assert recorded.rewritten == []
    assert recorded.deselected_unknown == ""


@pytest.mark.slow  # two xdist workers
def test_legitimate_outcomes_under_runxfail_and_xdist(tmp_path):
    """``--runxfail`` runs xfail-marked tests as plain ones; under xdist the raw outcomes come from the
    workers."""
    _, recorded = record(tmp_path, LEGITIMATE, "--runxfail")
    runxfail = {
        **EXPECTED,
        "test_xfail": "failed",
        "test_xpass": "passed",
        "test_xpass_strict": "passed",
        "test_xfail_raises": "failed",
        "test_xfail_raises_other": "failed",
        "test_xfail_not_run": "passed",
        "test_xfail_setup_error": "error",
        "test_xfail_call": "passed",  # pytest.xfail() does nothing under --runxfail
        "test_xfail_fixture": "passed",
        "test_xfail_dynamic": "failed",
        "test_u_expected": "failed",  # unittest's expected failure raises pytest's xfail itself: a failure
    }
    assert outcomes(recorded) == runxfail and recorded.rewritten == []
    _, recorded = record(tmp_path, {}, "-n", "2")
    assert outcomes(recorded) == EXPECTED and recorded.rewritten == []


def test_paths_left_out_before_collection_make_deselected_a_lower_bound(tmp_path):
    """Case 05: ``collect_ignore_glob`` set when an environment variable is missing; also
    ``collect_ignore``, a ``pytest_ignore_collect`` hook, ``norecursedirs`` in the ini file and a
    ``pytest_pycollect_makeitem`` that makes nothing of a test function."""
    files = {
        "pytest.ini": "[pytest]\nnorecursedirs = slow_suite\n",
        "tests/conftest.py": """
            import os, pytest
            collect_ignore_glob = [] if os.environ.get("STACK_URL") else ["integration/*"]
            collect_ignore = ["test_legacy.py"]
            def pytest_ignore_collect(collection_path, config):
                return True if collection_path.name == "test_hooked.py" else None
            @pytest.hookimpl(tryfirst=True)
            def pytest_pycollect_makeitem(collector, name, obj):
                return [] if name == "test_hidden" else None
        """,
        "tests/test_unit.py": "def test_unit(): pass\ndef test_hidden(): assert False\n",
        "tests/integration/test_stack.py": "def test_stack(): assert False\n",
        "tests/test_legacy.py": "def test_legacy(): assert False\n",
        "tests/test_hooked.py": "def test_hooked(): assert False\n",
        "tests/slow_suite/test_slow.py": "def test_slow(): assert False\n",
    }
    code, recorded = record(tmp_path, files)
    assert code == 0 and outcomes(recorded) == {"test_unit": "passed"}
    assert sorted(recorded.left_out) == [
        "tests/integration/test_stack.py",
        "tests/slow_suite",
        "tests/test_hooked.py",
        "tests/test_legacy.py",
        "tests/test_unit.py::test_hidden",
    ]
    said = recorded.deselected_unknown
    assert said.startswith("an ini file, a conftest or a plugin left 5 path(s) or test(s) out before collection ("), (
        said
    )
    assert said.endswith(" ...), their tests uncounted")


def test_housekeeping_left_out_before_collection_is_no_alarm(tmp_path):
    """What pytest would not collect anyway is not a test left out: ``collect_ignore = ["setup.py"]``, a
    docs or data folder without test files, a folder pytest's own ``norecursedirs`` skips, a virtualenv,
    an ``--ignore`` (said apart, by its option)."""
    files = {
        "tests/conftest.py": 'collect_ignore = ["setup.py", "docs", "data", "helpers.py"]\n',
        "tests/setup.py": "raise SystemExit('not a test')\n",
        "tests/helpers.py": "def test_like_name(): pass\n",
        "tests/docs/conf.py": "x = 1\n",
        "tests/data/rows.csv": "a,b\n",
        "tests/build/test_copy.py": "def test_copy(): assert False\n",
        "tests/venv/pyvenv.cfg": "home = /usr\n",
        "tests/venv/lib/test_site.py": "def test_site(): assert False\n",
        "tests/test_unit.py": "def test_unit(): pass\n",
    }
    code, recorded = record(tmp_path, files)
    assert code == 0 and outcomes(recorded) == {"test_unit": "passed"}
    assert recorded.deselected_unknown == "" and recorded.left_out == []
    code, recorded = record(tmp_path, {"tests/other/test_o.py": "def test_o(): assert False\n"}, "--ignore=tests/other")
    assert "--ignore 'tests/other'" in recorded.deselected_unknown
    assert "conftest or plugin" not in recorded.deselected_unknown and recorded.left_out == []


def test_an_error_in_teardown_after_a_skip_makes_the_test_an_error(tmp_path):
    """Adversary stop8's near-miss: the test's outcome was its call's skip, the teardown's error unseen
    but for the exit status."""
    files = {
        "tests/test_t.py": """
            import pytest
            @pytest.fixture
            def leaky():
                yield
                raise RuntimeError("teardown broke")
            def test_ok(): pass
            def test_skip_then_teardown_error(leaky): pytest.skip("later")
            @pytest.mark.xfail(reason="known")
            def test_xfail_then_teardown_error(leaky): assert False
        """
    }
    code, recorded = record(tmp_path, files)
    assert code == 1 and recorded.rewritten == []
    assert outcomes(recorded) == {
        "test_ok": "passed",
        "test_skip_then_teardown_error": "error",
        "test_xfail_then_teardown_error": "xfailed",  # under an xfail mark pytest expects the teardown's error too
    }


def test_a_second_session_in_the_same_process_is_said(tmp_path):
    """Adversary stop8's near-miss: a script calling ``pytest.main`` twice ran two sessions; only the first
    is recorded, and the reader must know there was another (a session inside the first, as pytester's
    in-process runs, is the test's own: ``test_suite_evidence``)."""
    write(
        tmp_path,
        {
            "tests/a/test_a.py": "def test_a(): pass\n",
            "tests/b/test_b.py": "def test_b(): assert False\n",
            "run.py": """
                import sys, pytest
                first = pytest.main(["-q", "-p", "no:cacheprovider", "tests/a"])
                pytest.main(["-q", "-p", "no:cacheprovider", "tests/b"])
                sys.exit(first)
            """,
        },
    )
    results = tmp_path / "records.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    env["VALIDATOR_RESULTS"] = str(results)
    env[KEY_ENV] = KEY.hex()
    env["PYTEST_PLUGINS"] = "validator.suites.recorder"  # in every session, as a suite's environment has it
    proc = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, env=env, capture_output=True, timeout=180)
    assert proc.returncode == 0
    assert read_records(results, "main", KEY).problem.startswith("ran 2 pytest sessions")
