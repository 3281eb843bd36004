"""The validator recorder: the pytest plugin ``validator check`` loads into every pytest suite it runs.

It records, as JSON lines in the file ``VALIDATOR_RESULTS`` names (which must not exist yet), the
collected count, the modules that could not be collected, every test's node id, outcome, duration
and markers (a failing subtest included), the tests the suite's own options deselected (``-k``,
``-m``, ``--lf``, ``--sw``, ``--deselect``), what stopped the session early and its exit status.
``validator check`` judges suites and groups on this file alone.

Standalone on purpose: it imports only pytest and the standard library, because it runs in the
suite's interpreter, which need not have validator installed. The runner puts a copy of this file
in the run's private folder, that folder on ``PYTHONPATH`` and its module name in ``PYTEST_PLUGINS``
— which pytest loads even under ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1`` and whatever ``-p no:validator``
or an ``addopts`` says about the fixtures plugin. If it still does not run (``-p no:`` naming it,
a command that replaces ``PYTHONPATH``), there is no file and the suite is an error.

The file is private to one run: the first pytest session of a process to configure claims it
(created with O_EXCL, so nothing can truncate what another session wrote) and removes the variable
from os.environ, so neither a nested in-process session (pytester) nor a child process (a pytest
subprocess run by a test) can write to it. The records end with a ``finish`` record: without it the
session did not end normally.

The witness beside it sees each report first (``tryfirst``), and which tests raised an exception in
their call, and remembers every test it saw fail; a test it saw fail that the recorder, seeing the
report last, was told passed had its outcome rewritten by a plugin in between. Under xdist the
witness runs in each worker and hands what it saw (and the worker's deselected tests) to the
controller through the worker's output.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import pytest

from validator.redact import clip, quoted, tail

RESULTS_ENV = "VALIDATOR_RESULTS"
_FAILING = "validator_failing"  # keys of an xdist worker's output
_DESELECTED = "validator_deselected"
_UNKNOWN = "validator_deselected_unknown"
_MARKERS = "validator_markers"
ANOTHER = ".another-"  # a results file's sibling, left by a second session the command ran
_claimed = False  # one recorder per process, for its first session
# Taken out of the environment as soon as pytest loads this module, before any conftest is imported:
# so no conftest can keep it for a child process, and no test sees it.
_path = os.environ.pop(RESULTS_ENV, None)


def _markers(item: pytest.Item) -> list[str]:
    return sorted({m.name for m in item.iter_markers()})


class _Witness:
    """What each test's reports said first, before any other plugin saw them."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.failing: set[str] = set()
        self.deselected: list[dict[str, Any]] = []
        self.unknown = ""  # why more tests may have been left out than ``deselected`` holds

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        if call.excinfo is not None and report.passed and not hasattr(report, "wasxfail"):
            expected = (pytest.skip.Exception, pytest.xfail.Exception)
            if not call.excinfo.errisinstance(expected):  # raised, yet the report says passed
                self._failed(item.nodeid)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self._failed(report.nodeid)

    def _failed(self, nodeid: str) -> None:
        self.failing.add(nodeid)
        self._hand_over(_FAILING, sorted(self.failing))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> Any:
        """A plugin may drop tests from ``items`` without saying so (``pytest_deselected``): every test
        collected but not kept counts as deselected."""
        before = list(items)
        result = yield
        kept = {id(item) for item in items}
        said = {d["nodeid"] for d in self.deselected}
        dropped = [item for item in before if id(item) not in kept and item.nodeid not in said]
        if dropped:
            self.pytest_deselected(dropped)
        return result

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += [{"nodeid": item.nodeid, "markers": _markers(item)} for item in items]
        self._hand_over(_DESELECTED, self.deselected)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.unknown = _unknown_deselected(self.config)
        self._hand_over(_UNKNOWN, self.unknown)
        self._hand_over(_MARKERS, {item.nodeid: _markers(item) for item in session.items})

    def _hand_over(self, key: str, value: Any) -> None:
        output = getattr(self.config, "workeroutput", None)  # an xdist worker's, sent to the controller
        if output is not None:
            output[key] = value


class _Recorder:
    def __init__(self, fd: int, config: pytest.Config, witness: _Witness) -> None:
        self.config = config
        self.witness = witness
        self.markers: dict[str, list[str]] = {}
        self.handle = os.fdopen(fd, "w", encoding="utf-8")
        self.stopped = ""
        self.nodes_seen: set[str] = set()  # xdist workers whose output was read

    def _write(self, record: dict[str, Any]) -> None:
        self.handle.write(json.dumps(record) + "\n")
        self.handle.flush()

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:  # a module that cannot be imported, also under --continue-on-collection-errors
            message = tail(str(report.longrepr), 2000) if report.longrepr else ""
            self._write({"type": "collect_error", "nodeid": report.nodeid, "message": message})
        elif report.skipped:  # a module skipped as a whole at import (importorskip, allow_module_level)
            self._write({"type": "collect_skip", "nodeid": report.nodeid, "message": _skip_reason(report)})

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.markers[item.nodeid] = _markers(item)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._write({"type": "collected", "count": len(session.items)})

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Under xdist the controller collects nothing: each worker collects the same tests."""
        if not self.nodes_seen:
            self._write({"type": "collected", "count": len(ids)})
        self.nodes_seen.add(str(getattr(node, "gateway", node)))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", None) or {}
        self.witness.failing.update(output.get(_FAILING, ()))
        if not self.witness.deselected:  # every worker deselects the same tests
            self.witness.deselected = list(output.get(_DESELECTED, ()))
        self.witness.unknown = self.witness.unknown or str(output.get(_UNKNOWN, ""))
        for nodeid, markers in output.get(_MARKERS, {}).items():  # the controller collected none
            self.markers.setdefault(nodeid, markers)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = _outcome(report)
        if outcome is None:
            return
        record: dict[str, Any] = {
            "type": "test",
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": outcome,
            "duration": report.duration,
            "markers": self.markers.get(report.nodeid, []),
        }
        if type(report).__name__ == "SubtestReport":  # pytest's own (9.0+) and pytest-subtests'
            record["subtest"] = True
        if outcome in ("failed", "error"):
            record["message"] = tail(str(report.longrepr), 2000) if report.longrepr else ""
        self._write(record)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """``pytest.exit(...)`` (any return code) and Ctrl-C end the session here."""
        self.stopped = f"{excinfo.typename}: {clip(str(excinfo.value), 200)}"

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        stopped = session.shouldstop or session.shouldfail or self.stopped
        option = self.config.option
        deselected = self.witness.deselected
        self._write({"type": "deselected", "tests": deselected, "unknown": self.witness.unknown})
        self._write({"type": "witness", "failing": sorted(self.witness.failing)})
        if self.nodes_seen:  # under xdist the tests' records went out before the workers' markers came
            self._write({"type": "markers", "tests": self.markers})
        self._write(
            {
                "type": "finish",
                "exitstatus": int(exitstatus),
                "stopped": str(stopped) if stopped else "",
                "ran_none": [
                    flag
                    for flag, on in (
                        ("--collect-only", getattr(option, "collectonly", False)),
                        ("--setup-only", getattr(option, "setuponly", False)),
                        ("--setup-plan", getattr(option, "setupplan", False)),
                    )
                    if on
                ],
                "selection": _selection(self.config),
            }
        )
        self.handle.close()


def _selection(config: pytest.Config) -> list[str]:
    """The suite's own options that deselect tests, as it wrote them."""
    option = config.option
    out = []
    if getattr(option, "keyword", ""):
        out.append(f"-k {quoted(option.keyword)}")
    if getattr(option, "markexpr", ""):
        out.append(f"-m {quoted(option.markexpr)}")
    if getattr(option, "lf", False):
        out.append("--lf")
    if getattr(option, "stepwise", False) or getattr(option, "stepwise_skip", False):
        out.append("--sw")
    if getattr(option, "deselect", None):
        out.append("--deselect")
    return [*out, *_said(_narrowing(config))]


def _unknown_deselected(config: pytest.Config) -> str:
    """Why the deselected count is only a lower bound ("" when it is exact): ``--lf`` with earlier
    failures drops the other tests while collecting, unreported, and whole files without collecting
    them. (pytest keeps these counts in private attributes: when they are gone, the count is unknown.)"""
    return "; ".join(why for why in (_last_failed(config), _ignored(config)) if why)


def _last_failed(config: pytest.Config) -> str:
    if not getattr(config.option, "lf", False):
        return ""
    lf = config.pluginmanager.get_plugin("lfplugin")
    failed = getattr(lf, "_previously_failed_count", "unknown")
    if failed is None or failed == 0:  # no earlier failure among these tests: --lf ran them all
        return ""
    files = getattr(lf, "_skipped_files", None)
    skipped = f", and {files} file(s) uncollected" if isinstance(files, int) and files else ""
    return f"--lf ran only the tests that failed last time, leaving the others out uncounted{skipped}"


def _skip_reason(report: pytest.CollectReport) -> str:
    """A collection skip's reason (pytest keeps it as ``(path, line, "Skipped: why")``)."""
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
    return clip(str(reason).removeprefix("Skipped: "), 200)


def _ignored(config: pytest.Config) -> str:
    """``--ignore`` and ``--ignore-glob`` (on the command line, in ``addopts`` or in ``PYTEST_ADDOPTS``,
    which a CI environment may carry unseen), and ``-o`` of the options that say what is collected, leave
    tests out before they exist: nobody can count them, so the deselected count is then only a lower
    bound, and the options are said."""
    given = _narrowing(config)
    if not given:
        return ""
    addopts = os.environ.get("PYTEST_ADDOPTS", "")
    where = " (some from PYTEST_ADDOPTS)" if any(value in addopts for _, value in given) else ""
    return f"{', '.join(_said(given))}{where} left paths out before collection, their tests uncounted"


def _narrowing(config: pytest.Config) -> list[tuple[str, str]]:
    """The options that narrow collection, as (option, value)."""
    option = config.option
    root = config.invocation_params.dir
    ignored = [str(p) for p in (getattr(option, "ignore", None) or []) if (root / p).exists()]  # what it can drop
    # `-o python_files=...` and its kin narrow what is collected the same way, unseen
    overrides = [str(o) for o in (getattr(option, "override_ini", None) or [])]
    return [
        *(("--ignore", p) for p in ignored),
        *(("--ignore-glob", str(p)) for p in (getattr(option, "ignore_glob", None) or [])),
        *(("-o", o) for o in overrides if o.partition("=")[0].strip() in _COLLECTING),
    ]


def _said(given: list[tuple[str, str]]) -> list[str]:
    return [f"{name} {quoted(value)}" for name, value in given]


_COLLECTING = ("python_files", "python_classes", "python_functions", "norecursedirs", "testpaths", "collect_ignore")


def _outcome(report: pytest.TestReport) -> str | None:
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if xfail:
            return "xfailed" if report.skipped else "xpassed"
        return str(report.outcome)
    if report.failed:
        return "error"
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    return None


def _claim(path: str) -> int | None:
    """Open the results file for this process's first session only; None when already claimed or
    when the file exists (someone else's: never truncated). A file that exists because an earlier
    session of the same command claimed it (``pytest a; pytest b``) is answered with a sibling
    marker: the reader then knows the command ran more than one session."""
    global _claimed
    if _claimed:
        return None
    _claimed = True
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with contextlib.suppress(OSError):
            os.close(os.open(f"{path}{ANOTHER}{os.getpid()}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return None
    except OSError:
        return None


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: its controller records
        config.pluginmanager.register(_Witness(config), "validator-witness")
        return
    if not _path:
        return
    fd = _claim(_path)
    if fd is None:
        return
    witness = _Witness(config)
    config.pluginmanager.register(witness, "validator-witness")
    config.pluginmanager.register(_Recorder(fd, config, witness), "validator-recorder")
