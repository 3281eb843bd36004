"""Run one suite's command and turn its tests into results and metrics, on evidence only.

pytest is first-class: the validator recorder (``recorder.py``), which the runner loads into the suite's
pytest through its environment whatever the suite's own options and environment say, records the
collected count, collection errors, every test's node id, outcome, duration and markers, what was
deselected, and the session's exit status, in a file private to this run. Without that file a pytest
suite is an error: there is no quiet fallback to JUnit. Any other command must write JUnit XML during
this run (a file left over from an earlier run is not evidence) whose totals agree with its cases.

A suite whose counts cannot be trusted is an error and its counts *unavailable* (``verdict.py``),
never zeros a criterion could pass on. The suite metrics are declared in ``metrics.py``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validator import children
from validator.core.result import Result, locate
from validator.redact import Encoder, add_encoder, clip, quoted
from validator.spec.load import LoadedSpec
from validator.suites.coverage import attach
from validator.suites.metrics import METRICS as METRICS  # declared apart: lint reads them
from validator.suites.records import beside_junit, fresh_junit, ran_pytest, read_records, recording_env, stamp
from validator.suites.sealed import KEY_ENV, new_key
from validator.suites.verdict import judge, not_finished

if TYPE_CHECKING:
    from validator.core.run import TestCase


def _pytest_ids() -> None:
    """pytest writes a parametrized id escaped (``tøk`` -> ``t\\xf8k``, in its output and its JUnit XML):
    the redactor masks secrets in the form pytest's own function gives them (imported here, where
    suites run: it costs about 30 ms that ``lint`` never pays)."""

    escape: Encoder
    try:
        from _pytest.compat import ascii_escaped as escape
    except ImportError:  # no pytest beside validator: the suite's own pytest escapes as this one did
        escape = _ascii_escaped
    add_encoder("pytest test ids", escape)


def _ascii_escaped(value: str) -> str:
    """pytest's ``ascii_escaped`` for a str (pytest 7-8), for a machine without pytest beside validator."""
    escaped = value.encode("unicode_escape").decode("ascii")
    return escaped.translate({i: f"\\x{i:02x}" for i in (*range(32), *range(127, 256))})


def run_suite(
    loaded: LoadedSpec,
    name: str,
    say: Callable[[str, str], None],
    cancel: threading.Event | None = None,
    target: str | None = None,
) -> tuple[list[Result], list[TestCase]]:
    """Run suite ``name`` and judge it. ``target``: the engine this run checks (``--host``, a target of
    a multi-target check), given to the suite as ``DOCKER_HOST``: the pytest plugin's fixtures, the
    Docker SDK and the CLI then reach the engine whose run the suite's verdict is recorded under, not
    whatever this machine's default is."""

    suite = loaded.spec.suites[name]
    where = locate(loaded, ("suites", name))
    _pytest_ids()
    cwd = (loaded.base_dir / suite.working_dir).resolve()
    pytest = suite.kind == "pytest"
    # a private folder (mode 0700) per run; the results file in it is created by the recorder itself
    with tempfile.TemporaryDirectory(prefix="validator-suite-") as tmp:
        junit = cwd / (suite.junit or "junit.xml")
        command = interpreter_command(list(suite.command))
        env = {**os.environ, **{k: v or "" for k, v in suite.environment.items()}}
        env.pop("VALIDATOR_RESULTS", None)
        env.pop(KEY_ENV, None)
        records = Path(tmp) / "records.jsonl"
        # the recorder in every suite's environment, whatever the command's first words, its environment
        # or its own options say: `coverage run -m pytest`, `make test`, `tox` and `sh -c` run pytest too
        key = new_key()  # the records' (sealed.py): held in this process's memory only
        env.update(recording_env(env, Path(tmp), records, key))
        if target is not None and "DOCKER_HOST" not in suite.environment:  # the spec's own word wins
            env["DOCKER_HOST"] = target
        # absolute, links kept: the plugin's loader places the project by the first file's name, as this one did
        env["VALIDATOR_SPEC_FILES"] = os.pathsep.join(os.path.abspath(f) for f in loaded.files)
        if suite.coverage:
            # coverage.py's data, not only its report, must be this run's: ``--cov-append`` (or a
            # ``coverage combine`` of leftover ``.coverage.*`` files) writes a brand-new report holding
            # an earlier run's lines. Its data file lives in this run's private folder (COVERAGE_FILE
            # wins over every config file), so there is nothing earlier to add
            env["COVERAGE_FILE"] = str(Path(tmp) / ".coverage")
        env.pop("PYDANTIC_DISABLE_PLUGINS", None)
        tail: deque[str] = deque(maxlen=40)
        before = stamp(junit)
        coverage_before = stamp(cwd / suite.coverage) if suite.coverage else None
        began_ns = time.time_ns()
        began = time.monotonic()
        try:
            proc = children.spawn(
                command,
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            )
        except OSError as exc:
            reason = f"did not start: cannot run {quoted(command[0])}: {exc.strerror or exc}"
            failed = not_finished(loaded, name, reason, "", where, 0.0, "did not start")
            return _with_coverage(name, suite, failed, cwd, coverage_before, began_ns), []
        reader = threading.Thread(target=_pump, args=(proc, tail, say, name), daemon=True)
        reader.start()
        try:
            timed_out = _wait(proc, suite.timeout, cancel)
        finally:
            children.finish(proc)  # the suite's whole group: what it started and left running too
        reader.join(timeout=5)
        duration = time.monotonic() - began
        # any pytest session that ran left the recorder's records: the suite is then judged by them, never
        # by a JUnit file its command also wrote
        pytest = pytest or ran_pytest(records)
        recorded = read_records(records, name, key) if pytest else fresh_junit(junit, before, began_ns, name)
        if pytest and suite.kind != "pytest":  # the JUnit file it declares may hold another runner's results
            recorded = beside_junit(recorded, junit, before, began_ns, name)
    results = judge(loaded, name, recorded, proc.returncode, timed_out, duration, list(tail), pytest, where)
    results = _with_coverage(name, suite, results, cwd, coverage_before, began_ns)
    return results, recorded.tests


def _with_coverage(name: str, suite: Any, results: list[Result], cwd: Path, before: Any, began_ns: int) -> list[Result]:
    """The coverage the suite names, read into its results (suites/coverage.py)."""
    if suite.coverage is None:
        return results

    return attach(name, suite, results, cwd, before, began_ns)


def interpreter_command(command: list[str]) -> list[str]:
    """``python ...`` and ``pytest ...`` run with the interpreter running validator (as tox does), so the
    suite sees the same packages and the validator pytest plugin."""
    import sys

    if command and command[0] in ("python", "python3"):
        return [sys.executable, *command[1:]]
    if command and command[0] == "pytest":
        return [sys.executable, "-m", "pytest", *command[1:]]
    return command


def _pump(proc: subprocess.Popen[str], tail: deque[str], say: Callable[[str, str], None], name: str) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip("\n")
        tail.append(line)
        if line.strip():
            say(name, clip(line, 200))


def _wait(proc: subprocess.Popen[str], timeout: float, cancel: threading.Event | None) -> bool:
    """Until the suite ends (False), its timeout runs out (True) or the run is cancelled (False: its
    group is then stopped by the caller and the suite judged as killed). ``cancel`` is looked at every
    0.2 s: an interrupted or engine-less run stops the suite within that."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            proc.wait(timeout=min(0.2, max(0.0, deadline - time.monotonic())))
            return False
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                return False
            if time.monotonic() >= deadline:
                return True
