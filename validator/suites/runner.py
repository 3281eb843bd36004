"""Run one suite's command and turn its tests into results and metrics, on evidence only.

pytest is first-class: the validator pytest plugin (loaded by its entry point) records the collected
count, collection errors, every test's node id, outcome, duration and markers, and the session's exit
status, in a file private to this run (see ``pytest_plugin``); pytest's JUnit XML, written into the
same private folder, is read when the plugin did not run. Any other command must write JUnit XML
during this run: a file left over from an earlier run is not evidence.

A suite whose counts cannot be trusted — it did not start, was killed by a signal, timed out, left no
finish record, recorded fewer outcomes than it collected, or exited with a status its outcomes
contradict — is an error and its counts and duration are *unavailable* (with the reason naming the
suite), never zeros a criterion could pass on.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validator.core.metrics import Family, metric_name
from validator.core.result import Result, Verdict, locate
from validator.core.run import TestCase
from validator.spec.load import LoadedSpec
from validator.suites.groups import COUNTED, count_metrics, counts, member, summary
from validator.suites.junit import read_junit

if TYPE_CHECKING:
    from validator.spec.model import Spec

PYTEST_EXIT = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests were collected"}
FIELDS = (*COUNTED, "duration")


def _suites(spec: Spec) -> Mapping[str, Any]:
    return spec.suites


METRICS = Family(
    "suite",
    _suites,
    count_metrics("wall time of its command"),
    "test counts and wall time of each suite; unavailable when the suite did not finish normally",
)


@dataclass
class Recorded:
    """What the suite left as evidence: its tests and, from the plugin, the collected count, the
    session's exit status and why it stopped early (``-x``, ``--maxfail``)."""

    tests: list[TestCase] = field(default_factory=list)
    plugin: bool = False  # the validator plugin recorded this run
    collected: int | None = None
    exitstatus: int | None = None  # from the finish record; None: the session did not finish
    stopped: str = ""
    collect_errors: int = 0  # modules that could not be collected (each also a test case in error)
    problem: str = ""  # why the results cannot be read (a non-pytest suite's JUnit)


def run_suite(
    loaded: LoadedSpec, name: str, say: Callable[[str, str], None], cancel: threading.Event | None = None
) -> tuple[list[Result], list[TestCase]]:
    suite = loaded.spec.suites[name]
    where = locate(loaded, ("suites", name))
    cwd = (loaded.base_dir / suite.working_dir).resolve()
    pytest = suite.kind == "pytest"
    # a private folder (mode 0700) per run; the results file in it is created by the plugin itself
    with tempfile.TemporaryDirectory(prefix="validator-suite-") as tmp:
        records = Path(tmp) / "records.jsonl"
        junit = Path(tmp) / "junit.xml" if pytest else cwd / (suite.junit or "junit.xml")
        command = interpreter_command(list(suite.command))
        if pytest:
            command += [f"--junitxml={junit}"]
        env = {**os.environ, **{k: v or "" for k, v in suite.environment.items()}}
        if pytest:
            env["VALIDATOR_RESULTS"] = str(records)
        else:
            env.pop("VALIDATOR_RESULTS", None)
        env["VALIDATOR_SPEC_FILES"] = os.pathsep.join(str((Path.cwd() / f).resolve()) for f in loaded.files)
        env.pop("PYDANTIC_DISABLE_PLUGINS", None)
        tail: deque[str] = deque(maxlen=40)
        before = _stamp(junit)
        began_ns = time.time_ns()
        began = time.monotonic()
        try:
            proc = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                start_new_session=True,
            )
        except OSError as exc:
            reason = f"did not start: cannot run {command[0]!r}: {exc.strerror or exc}"
            return _not_finished(loaded, name, reason, "", where, 0.0, "did not start"), []
        reader = threading.Thread(target=_pump, args=(proc, tail, say, name), daemon=True)
        reader.start()
        timed_out = _wait(proc, suite.timeout, cancel)
        reader.join(timeout=5)
        duration = time.monotonic() - began
        if pytest:
            recorded = _read_records(records, name)
            if not recorded.plugin:
                recorded = _read_junit(junit, name)
        else:
            recorded = _fresh_junit(junit, before, began_ns, name)
    results = _judge(loaded, name, recorded, proc.returncode, timed_out, duration, list(tail), pytest, where)
    if recorded.tests and not recorded.plugin and pytest and any(g.markers for g in suite.groups.values()):
        results[0] = dataclasses.replace(
            results[0],
            message=(results[0].message + "; " if results[0].message else "")
            + "markers unknown: the validator pytest plugin did not run in the suite's "
            "interpreter (install validator there)",
        )
    return results, recorded.tests


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
            say(name, line[:200])


def _wait(proc: subprocess.Popen[str], timeout: float, cancel: threading.Event | None) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            proc.wait(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
            return False
        except subprocess.TimeoutExpired:
            if time.monotonic() >= deadline or (cancel is not None and cancel.is_set()):
                _kill(proc)
                return time.monotonic() >= deadline
        except BaseException:
            _kill(proc)
            raise


def _kill(proc: subprocess.Popen[str]) -> None:
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


# --- reading the evidence ---------------------------------------------------------------------


def _read_records(path: Path, suite: str) -> Recorded:
    out = Recorded()
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return out
    out.plugin = True
    by_id: dict[str, TestCase] = {}
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut by a kill: the missing finish record says so
        kind = record.get("type")
        if kind == "collected":
            out.collected = int(record["count"])
        elif kind == "collect_error":
            case = TestCase(suite, record["nodeid"] or "<collection>", "error", 0.0, message=record.get("message", ""))
            by_id[f"collect:{case.nodeid}"] = case
            out.collect_errors += 1
        elif kind == "finish":
            out.exitstatus = int(record["exitstatus"])
            out.stopped = record.get("stopped") or ""
        elif kind == "test":
            _add_report(by_id, record, suite)
    out.tests = list(by_id.values())
    return out


def _add_report(by_id: dict[str, TestCase], record: dict[str, Any], suite: str) -> None:
    nodeid = record["nodeid"]
    case = by_id.get(nodeid)
    if case is None:
        case = by_id[nodeid] = TestCase(suite, nodeid, "passed", 0.0, markers=record.get("markers", []))
    case.duration += float(record.get("duration") or 0.0)
    outcome = record["outcome"]
    if record["when"] == "call" or (outcome in ("error", "skipped", "xfailed") and case.outcome == "passed"):
        case.outcome = outcome
    if record.get("message"):
        case.message = record["message"]


def _read_junit(path: Path, suite: str) -> Recorded:
    if not path.is_file():
        return Recorded(problem="wrote no results")
    try:
        return Recorded(tests=read_junit(path, suite))
    except ValueError as exc:
        return Recorded(problem=f"wrote JUnit XML that cannot be read ({exc})")


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_ino, st.st_size


# File timestamps come from a coarse kernel clock that can lag time.time() by a few milliseconds;
# a file whose stat is unchanged since before the start is stale whatever its time says.
_CLOCK_SLACK_NS = 1_000_000_000


def _fresh_junit(path: Path, before: tuple[int, int, int] | None, began_ns: int, suite: str) -> Recorded:
    """Only JUnit XML written during this run counts: a file unchanged since before the start, or
    last modified before it, is stale."""
    after = _stamp(path)
    if after is None:
        return Recorded(problem=f"wrote no JUnit XML at {path.name} during this run")
    if after == before or after[0] < began_ns - _CLOCK_SLACK_NS:
        return Recorded(problem=f"wrote no JUnit XML during this run: {path.name} is from an earlier run")
    return _read_junit(path, suite)


# --- judging --------------------------------------------------------------------------------------


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _incomplete(recorded: Recorded, code: int | None, timed_out: bool, timeout: float, pytest: bool) -> str:
    """Why the recorded outcomes are not the suite's whole result ("" when they are)."""
    ran = len(recorded.tests) - recorded.collect_errors
    of = f" of {recorded.collected}" if recorded.collected is not None else ""
    progress = f" after {ran}{of} tests"
    if timed_out:
        return f"timed out after {timeout:g}s and was stopped{progress}"
    if code is not None and code < 0:
        return f"was killed by {_signal_name(code)}{progress}"
    if pytest and code in PYTEST_EXIT:
        return f"ended with pytest exit {code} ({PYTEST_EXIT[code]})"
    if recorded.problem:
        return recorded.problem
    if pytest and recorded.plugin and recorded.exitstatus is None:
        return f"ended (exit {code}) without pytest's finish record{progress}"
    if not recorded.tests:
        return f"ended (exit {code}) with no test results recorded"
    if recorded.collected is not None and ran < recorded.collected:
        why = f": {recorded.stopped}" if recorded.stopped else ""
        return f"recorded outcomes for {ran} of {recorded.collected} collected tests{why}"
    if recorded.exitstatus is not None and code != recorded.exitstatus:
        return f"exited {code} though pytest's session ended with status {recorded.exitstatus}"
    if pytest:
        failing = sum(1 for t in recorded.tests if t.outcome in ("failed", "error"))
        status = recorded.exitstatus if recorded.exitstatus is not None else code
        if status == 0 and failing:
            return f"exited 0 though {failing} failed or errored tests were recorded"
        if status == 1 and not failing:
            # a plugin failed the session (a coverage threshold, warnings as errors at session end):
            # the tests' counts do not explain the status, so they are not the suite's result
            return "exited 1 (tests failed) though no failed test was recorded (did a plugin fail the session?)"
    return ""


def _not_finished(
    loaded: LoadedSpec, name: str, reason: str, tail: str, where: str | None, duration: float, actual: str
) -> list[Result]:
    """The suite's result and its groups' when its counts cannot be trusted: every metric unavailable."""
    suite = loaded.spec.suites[name]
    why = f"suite {name} {reason}"
    results = [
        Result(
            kind="suite",
            name=name,
            verdict="error",
            expected="every test passes",
            actual=actual,
            message=why + (f"; output tail:\n{tail}" if tail else ""),
            duration=duration,
            location=where,
            unavailable={metric_name("suite", name, f): why for f in FIELDS},
        )
    ]
    for group_name in suite.groups:
        results.append(
            Result(
                kind="suite",
                name=f"{name}/{group_name}",
                verdict="skip",
                message=f"not judged: {why}",
                location=locate(loaded, ("suites", name, "groups", group_name)),
                unavailable={metric_name("group", group_name, f): why for f in FIELDS},
            )
        )
    return results


def _judge(
    loaded: LoadedSpec,
    name: str,
    recorded: Recorded,
    code: int | None,
    timed_out: bool,
    duration: float,
    tail: list[str],
    pytest: bool,
    where: str | None,
) -> list[Result]:
    suite = loaded.spec.suites[name]
    tests = recorded.tests
    for test in tests:
        test.groups = [g for g, group in suite.groups.items() if member(test, group)]
    values = counts(tests)
    shown_tail = "\n".join(tail[-15:])
    reason = _incomplete(recorded, code, timed_out, suite.timeout, pytest)
    if reason:
        return _not_finished(loaded, name, reason, shown_tail, where, duration, summary(values, duration))
    metrics = {metric_name("suite", name, k): v for k, v in values.items()}
    metrics[metric_name("suite", name, "duration")] = duration
    verdict: Verdict
    if values["failed"] or values["errors"]:
        failing = [t.nodeid for t in tests if t.outcome in ("failed", "error")]
        verdict, message = "fail", "failing: " + ", ".join(failing[:10]) + (" ..." if len(failing) > 10 else "")
    elif code not in (0, None) and not pytest:
        verdict, message = "fail", f"exit {code} though every recorded test passed"
    else:
        verdict, message = "pass", ""
    results = [
        Result(
            kind="suite",
            name=name,
            verdict=verdict,
            expected="every test passes",
            actual=summary(values, duration),
            message=message,
            duration=duration,
            location=where,
            metrics=metrics,
        )
    ]
    for group_name in suite.groups:
        results.append(_group(loaded, name, group_name, [t for t in tests if group_name in t.groups]))
    return results


def _group(loaded: LoadedSpec, suite: str, group: str, members: list[TestCase]) -> Result:
    where = locate(loaded, ("suites", suite, "groups", group))
    if not members:
        # zeros here would let `group.x.failed == 0` pass on a group that tested nothing
        why = f"group {group} matched no test of suite {suite}"
        return Result(
            kind="suite",
            name=f"{suite}/{group}",
            verdict="skip",
            expected="every test passes",
            actual="no tests",
            message="no test matched the group",
            location=where,
            unavailable={metric_name("group", group, f): why for f in FIELDS},
        )
    values = counts(members)
    duration = sum(t.duration for t in members)
    metrics = {metric_name("group", group, k): v for k, v in values.items()}
    metrics[metric_name("group", group, "duration")] = duration
    ok = not (values["failed"] or values["errors"])
    return Result(
        kind="suite",
        name=f"{suite}/{group}",
        verdict="pass" if ok else "fail",
        expected="every test passes",
        actual=summary(values, duration),
        duration=duration,
        location=where,
        metrics=metrics,
    )
