"""The validator recorder: the pytest plugin ``validator check`` loads into every pytest suite it runs.

It records, as JSON lines sealed with the key ``VALIDATOR_RESULTS_KEY`` holds (``sealed.py``: nothing in
clear, even while it runs) in the file ``VALIDATOR_RESULTS`` names (which must not exist yet), the
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
their call (from the innermost wrapper of ``pytest_pyfunc_call`` too, so a wrapper that swallows it
does not hide it), which xfail marks a plugin added at collection (they do not excuse a failure), and
remembers every test it saw fail; a test it saw fail that the recorder, seeing the
report last, was told passed had its outcome rewritten by a plugin in between. Under xdist the
witness runs in each worker and hands what it saw (and the worker's deselected tests) to the
controller through the worker's output.
"""

from __future__ import annotations

import contextlib
import fnmatch
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

try:
    from validator.redact import clip, quoted, tail
    from validator.suites.sealed import KEY_ENV, seal
except ImportError:  # another interpreter runs the suite: the copies records.recording_env puts beside this one
    from validator_recorder_redact import clip, quoted, tail  # type: ignore[import-not-found,no-redef]
    from validator_recorder_sealed import KEY_ENV, seal  # type: ignore[import-not-found,no-redef]

RESULTS_ENV = "VALIDATOR_RESULTS"
CACHE_ENV = "VALIDATOR_PYTEST_CACHE"  # the run's private folder for pytest's cache (_private_cache)
_FAILING = "validator_failing"  # keys of an xdist worker's output
_DESELECTED = "validator_deselected"
_UNKNOWN = "validator_deselected_unknown"
_MARKERS = "validator_markers"
_RAW = "validator_raw"
_LEFT_OUT = "validator_left_out"
ANOTHER = ".another-"  # a results file's sibling, left by a second session the command ran
_claimed = False  # one recorder per process, for its first session
_finished = False  # that session ended (a later one in the process ran after it, not inside it)
# Taken out of the environment as soon as pytest loads this module, before any conftest is imported:
# so no conftest can keep it for a child process, and no test sees it.
_path = os.environ.pop(RESULTS_ENV, None)
# The key every record is sealed with (sealed.py): this process's redactor knows no secret, so nothing is
# written in clear. Taken out with the file's name; without it nothing is recorded (a command that passed
# one variable on and not the other, a tox ``passenv``): never a record in clear.
_key = os.environ.pop(KEY_ENV, None)


def _markers(item: pytest.Item) -> list[str]:
    return sorted({m.name for m in item.iter_markers()})


def _xfail_marks(item: pytest.Item) -> set[int]:
    return {id(mark) for mark in item.iter_markers("xfail")}


class _Witness:
    """What each test's reports said first, before any other plugin saw them."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.failing: set[str] = set()
        self.deselected: list[dict[str, Any]] = []
        self.unknown = ""  # why more tests may have been left out than ``deselected`` holds
        self.raw: list[dict[str, str]] = []  # each phase's outcome as what it raised gives it
        self.left_out: list[str] = []  # paths and tests left out before collection, beyond pytest's defaults
        # what each test function raised, seen by the innermost wrapper of ``pytest_pyfunc_call``
        self.called: dict[str, pytest.ExceptionInfo[BaseException]] = {}
        self.added_xfail: set[str] = set()  # tests an xfail mark was added to after collection, by a plugin

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        """Each phase's outcome as what it raised gives it (``_raw_outcome``), whatever the report says:
        the reader compares it with the report's final outcome. Taken before the other implementations
        run (they may replace ``call.excinfo``) and after (pytest's unittest support moves a TestCase's
        failure into it then): the worse of the two counts."""
        raised = call.excinfo
        if call.when == "call":
            raised = _worse(self.called.pop(item.nodeid, None), raised, item.config)
        report = yield
        worst = _worse(raised, call.excinfo, item.config)
        outcome = _raw_outcome(item, call.when, worst, added_xfail=item.nodeid in self.added_xfail)
        if call.when == "call" or outcome != "passed":  # a test that ran has a call phase, or a phase that did not pass
            self.raw.append({"nodeid": item.nodeid, "when": call.when, "outcome": outcome})
            self._hand_over(_RAW, self.raw)
        return report

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> Any:
        """What the test function raised, as close to it as a plugin gets (the innermost wrapper: it
        registers again when collection ends): a wrapper of ``pytest_runtest_call`` or an outer one of
        this hook may swallow the exception before ``call.excinfo`` holds it (adversary stop8b, case 01)."""
        try:
            return (yield)
        except BaseException:
            self.called[pyfuncitem.nodeid] = pytest.ExceptionInfo.from_current()
            raise

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
        declared = {id(item): _xfail_marks(item) for item in items}  # the marks as collected, from the source
        result = yield
        # a "known failures" plugin marking tests xfail (adversary stop8b, case 02); a test whose source
        # declares an xfail keeps counting as pytest counts it
        self.added_xfail |= {i.nodeid for i in items if not declared.get(id(i)) and _xfail_marks(i)}
        kept = {id(item) for item in items}
        said = {d["nodeid"] for d in self.deselected}
        dropped = [item for item in before if id(item) not in kept and item.nodeid not in said]
        if dropped:
            self.pytest_deselected(dropped)
        return result

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_ignore_collect(self, collection_path: Path, config: pytest.Config) -> Any:
        """A path left out before collection by anything but pytest's own defaults and the options said
        apart (a conftest's ``collect_ignore[_glob]``, a ``pytest_ignore_collect`` hook, ``norecursedirs``
        in an ini file), when it may hold tests."""
        ignored = yield
        if ignored and not _by_option(collection_path, config) and _may_hold_tests(collection_path, config):
            self.left_out.append(_shown_path(collection_path, config))
        return ignored

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_pycollect_makeitem(self, collector: Any, name: str, obj: object) -> Any:
        """A test function or class of a collected module that a plugin made nothing of."""
        made = yield
        if not made and _is_test(collector, name, obj):
            self.left_out.append(f"{collector.nodeid}::{name}")
        return made

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += [{"nodeid": item.nodeid, "markers": _markers(item)} for item in items]
        self._hand_over(_DESELECTED, self.deselected)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # the conftests of folders below the initial ones registered while collecting, after the witness:
        # their tryfirst wrappers of makereport would wrap its own (and could erase what a test raised
        # before it looks); registered again, it is the outermost again (pluggy calls a copy of the list)
        manager = self.config.pluginmanager
        name = manager.get_name(self)
        manager.unregister(self)
        manager.register(self, name)
        self.unknown = _unknown_deselected(self.config, self.left_out)
        self._hand_over(_UNKNOWN, self.unknown)
        self._hand_over(_LEFT_OUT, self.left_out)
        self._hand_over(_MARKERS, {item.nodeid: _markers(item) for item in session.items})

    def _hand_over(self, key: str, value: Any) -> None:
        output = getattr(self.config, "workeroutput", None)  # an xdist worker's, sent to the controller
        if output is not None:
            output[key] = value


class _Recorder:
    def __init__(self, fd: int, key: bytes, config: pytest.Config, witness: _Witness) -> None:
        self.key = key
        self.config = config
        self.witness = witness
        self.markers: dict[str, list[str]] = {}
        self.handle = os.fdopen(fd, "w", encoding="utf-8")
        self.stopped = ""
        self.nodes_seen: set[str] = set()  # xdist workers whose output was read

    def _write(self, record: dict[str, Any]) -> None:
        self.handle.write(seal(self.key, json.dumps(record)) + "\n")
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
        self.witness.raw += list(output.get(_RAW, ()))
        if not self.witness.deselected:  # every worker deselects the same tests
            self.witness.deselected = list(output.get(_DESELECTED, ()))
        self.witness.unknown = self.witness.unknown or str(output.get(_UNKNOWN, ""))
        self.witness.left_out = self.witness.left_out or list(output.get(_LEFT_OUT, ()))  # the same in each
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
        witness = self.witness
        deselected = {"tests": witness.deselected, "unknown": witness.unknown, "left_out": witness.left_out}
        self._write({"type": "deselected", **deselected})
        self._write({"type": "witness", "failing": sorted(self.witness.failing), "raw": self.witness.raw})
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
        global _finished
        _finished = True


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


def _unknown_deselected(config: pytest.Config, left_out: list[str]) -> str:
    """Why the deselected count is only a lower bound ("" when it is exact): ``--lf`` with earlier
    failures drops the other tests while collecting, unreported, and whole files without collecting
    them (pytest keeps these counts in private attributes: when they are gone, the count is unknown);
    options, conftests and plugins leave paths (and tests) out before collection."""
    return "; ".join(why for why in (_last_failed(config), _ignored(config), _left_out(left_out)) if why)


def _left_out(left_out: list[str]) -> str:
    if not left_out:
        return ""
    shown = ", ".join(quoted(p) for p in left_out[:3]) + (" ..." if len(left_out) > 3 else "")
    return (
        f"an ini file, a conftest or a plugin left {len(left_out)} path(s) or test(s) out before collection ({shown}), "
        "their tests uncounted"
    )


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


# pytest's own evaluation of a test's xfail marks (what its skipping plugin applies to the report)
_XFAILED: Any
try:
    from _pytest.skipping import xfailed_key as _XFAILED
except ImportError:  # a pytest that keeps it elsewhere: an xfail-marked test's outcome is then not checked
    _XFAILED = None
_SEVERITY = {"none": 0, "skip": 1, "xfail": 2, "fail": 3}
UNCHECKED = "?"  # a raw outcome the witness cannot derive: any final outcome agrees with it


def _kind(excinfo: pytest.ExceptionInfo[BaseException] | None, config: pytest.Config) -> str:
    """What a phase raised: nothing, a skip (``pytest.skip``, ``unittest.SkipTest``), ``pytest.xfail()``
    (a failure under ``--runxfail``, as pytest counts it), or a failure."""
    if excinfo is None:
        return "none"
    unittest = sys.modules.get("unittest")
    if excinfo.errisinstance(pytest.skip.Exception) or (unittest and excinfo.errisinstance(unittest.SkipTest)):
        return "skip"
    if excinfo.errisinstance(pytest.xfail.Exception) and not getattr(config.option, "runxfail", False):
        return "xfail"
    return "fail"


def _worse(
    before: pytest.ExceptionInfo[BaseException] | None,
    after: pytest.ExceptionInfo[BaseException] | None,
    config: pytest.Config,
) -> pytest.ExceptionInfo[BaseException] | None:
    return before if _SEVERITY[_kind(before, config)] >= _SEVERITY[_kind(after, config)] else after


def _raw_outcome(
    item: pytest.Item, when: str, excinfo: pytest.ExceptionInfo[BaseException] | None, *, added_xfail: bool
) -> str:
    """The outcome pytest's own rules give a phase from what it raised (as ``_outcome`` names them): a
    skip is skipped; ``pytest.xfail()`` xfailed; a failure xfailed only under an xfail mark pytest's own
    evaluation applied whose ``raises`` it matches, else failed (error outside the call); a call that
    raised nothing under such a mark xpassed (failed when strict). A failure is not excused by an xfail
    mark a plugin added when collection ended (``added_xfail``): the test's source did not expect it."""
    kind = _kind(excinfo, item.config)
    if kind == "skip":
        return "skipped"
    if kind == "xfail":
        return "xfailed"
    xfailed = _xfail_of(item)
    if xfailed == UNCHECKED:
        return UNCHECKED
    if kind == "fail":
        assert excinfo is not None
        if xfailed is not None and not added_xfail and _raises_match(xfailed, excinfo.value):
            return "xfailed"
        return "failed" if when == "call" else "error"
    if when == "call" and xfailed is not None:
        return "failed" if getattr(xfailed, "strict", False) else "xpassed"
    return "passed"


def _xfail_of(item: pytest.Item) -> Any:
    """The xfail pytest's evaluation applied to the test (None: none; ``UNCHECKED``: cannot tell). It must
    come from an xfail mark the test carries: a plugin that stores one for a test without the mark is not
    believed."""
    if getattr(item.config.option, "runxfail", False) or item.get_closest_marker("xfail") is None:
        return None
    if _XFAILED is None:
        return UNCHECKED
    return item.stash.get(_XFAILED, None)


def _raises_match(xfailed: Any, error: BaseException) -> bool:
    raises = getattr(xfailed, "raises", None)
    if raises is None:
        return True
    if isinstance(raises, type | tuple):
        return isinstance(error, raises)
    matches = getattr(raises, "matches", None)  # pytest.RaisesExc (pytest 8.4+)
    return bool(matches(error)) if callable(matches) else True


# pytest's own defaults for what it never collects (main.py: ``pytest_ignore_collect``, ``norecursedirs``)
_DEFAULT_NORECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")
# Why a bound: deciding whether an ignored folder holds tests walks it; past this many entries it is
# taken to hold some (the safe answer), so a huge data folder left out costs little.
_WALK_LIMIT = 5000


def _matches(pattern: str, path: Path) -> bool:
    """pytest's ``fnmatch_ex``: a pattern without a separator matches the name, else the whole path."""
    if os.sep not in pattern and "/" not in pattern:
        return fnmatch.fnmatch(path.name, pattern)
    return fnmatch.fnmatch(str(path), pattern if os.path.isabs(pattern) else f"*{os.sep}{pattern}")


def _by_pytest_default(path: Path, config: pytest.Config) -> bool:
    if path.name == "__pycache__":
        return True
    if path.is_dir():
        venv = (path / "pyvenv.cfg").is_file() or (path / "conda-meta" / "history").is_file()
        if venv and not config.getoption("collect_in_virtualenv", False):
            return True
        return any(_matches(pattern, path) for pattern in _DEFAULT_NORECURSE)
    return False


def _by_option(path: Path, config: pytest.Config) -> bool:
    """Left out by ``--ignore`` or ``--ignore-glob``, which ``_ignored`` says apart."""
    root = config.invocation_params.dir
    ignored = {(root / p).resolve() for p in (config.getoption("ignore", None) or [])}
    globs = [str(root / g) for g in (config.getoption("ignore_glob", None) or [])]
    return path.resolve() in ignored or any(fnmatch.fnmatch(str(path), g) for g in globs)


def _collectable(path: Path, config: pytest.Config, named: set[Path]) -> bool:
    """Whether pytest's own collectors would collect the file (a Python test module by
    ``python_files``, a doctest file or module, a file ``named`` on the command line)."""
    if path.resolve() in named:
        return True
    if path.name in ("conftest.py", "__init__.py"):
        return False
    if path.suffix == ".py":
        patterns = [str(p) for p in config.getini("python_files")]
        if config.getoption("doctestmodules", False) or any(_matches(p, path) for p in patterns):
            return True
    globs = config.getoption("doctestglob", None) or ["test*.txt"]
    return any(_matches(str(g), path) for g in globs)


def _may_hold_tests(path: Path, config: pytest.Config) -> bool:
    """Whether an ignored path may hold tests pytest would otherwise have collected: ordinary housekeeping
    (``collect_ignore = ["setup.py"]``, a docs or data folder without test files, what pytest's own
    defaults leave out) does not."""
    if _by_pytest_default(path, config):
        return False
    root = config.invocation_params.dir
    named = {(root / arg.partition("::")[0]).resolve() for arg in config.args}
    if not path.is_dir():
        return _collectable(path, config, named)
    seen = 0
    for folder, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not _by_pytest_default(Path(folder, d), config)]
        seen += len(dirs) + len(files)
        if seen > _WALK_LIMIT or any(_collectable(Path(folder, f), config, named) for f in files):
            return True
    return False


def _shown_path(path: Path, config: pytest.Config) -> str:
    try:
        return str(path.relative_to(config.rootpath))
    except ValueError:
        return str(path)


def _is_test(collector: Any, name: str, obj: object) -> bool:
    """Whether pytest's own rule makes a test (a function or a class) of ``name`` in ``collector``."""
    try:
        if inspect.isclass(obj):
            return bool(collector.istestclass(obj, name))
        if not collector.istestfunction(obj, name) or not getattr(obj, "__test__", True):
            return False
        return inspect.isfunction(inspect.unwrap(getattr(obj, "__func__", obj)))  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - a strange object pytest itself would not make a test of
        return False


def _claim(path: str) -> int | None:
    """Open the results file for this process's first session only; None when already claimed or
    when the file exists (someone else's: never truncated). A file that exists because an earlier
    session of the same command claimed it (``pytest a; pytest b``) is answered with a sibling
    marker: the reader then knows the command ran more than one session."""
    global _claimed
    if _claimed:
        # a session after the first one ended, in the same process (a script calling ``pytest.main``
        # twice) is another session too; one inside it (pytester's in-process runs) is the test's own
        if _finished:
            _another(path)
        return None
    _claimed = True
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _another(path)
        return None
    except OSError:
        return None


def _another(path: str) -> None:
    with contextlib.suppress(OSError):
        os.close(os.open(f"{path}{ANOTHER}{os.getpid()}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _private_cache(config: pytest.Config) -> None:
    """pytest's cache (node ids, last failures) in the run's private folder, deleted with it, instead of
    the project's ``.pytest_cache``: a test id holds its parameters verbatim, a secret too, and no
    redactor runs on what pytest writes there (adversary s9b case 11). The cacheprovider made
    ``config.cache`` already (its hook runs first); its own plugins read it again at every use. A
    cache_dir the suite's command line gives (``-o cache_dir=...``) is kept; with the cacheprovider off
    there is no cache. Only runs under validator keep no cache from one run to the next (``--lf``)."""
    folder = os.environ.get(CACHE_ENV)
    cache_type = getattr(pytest, "Cache", None)  # exported since pytest 6.2
    if not folder or cache_type is None or getattr(config, "cache", None) is None:
        return
    if any(str(o).startswith("cache_dir=") for o in config.getoption("override_ini", None) or []):
        return
    with contextlib.suppress(TypeError):  # a pytest whose Cache takes other arguments keeps its own
        config.cache = cache_type(Path(folder), config, _ispytest=True)


def pytest_configure(config: pytest.Config) -> None:
    _private_cache(config)
    if hasattr(config, "workerinput"):  # an xdist worker: its controller records
        config.pluginmanager.register(_Witness(config), "validator-witness")
        return
    key = _key_bytes()
    if not _path or key is None:
        return
    fd = _claim(_path)
    if fd is None:
        return
    witness = _Witness(config)
    config.pluginmanager.register(witness, "validator-witness")
    config.pluginmanager.register(_Recorder(fd, key, config, witness), "validator-recorder")


def _key_bytes() -> bytes | None:
    try:
        return bytes.fromhex(_key) if _key else None
    except ValueError:
        return None
