"""Run one suite's command and turn its tests into results and metrics.

pytest is first-class: the validator pytest plugin (loaded by its entry point) records every test's
node id, outcome, duration and markers; JUnit XML (``--junitxml``, or the file a non-pytest command
writes) is read otherwise. A suite that cannot start, crashes or outlives its time limit is an error
with its output tail — never a pass with zero tests.
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
from collections.abc import Callable
from pathlib import Path

from validator.core.result import Result, Verdict, locate
from validator.core.run import TestCase
from validator.spec.load import LoadedSpec
from validator.suites.groups import counts, member, summary
from validator.suites.junit import read_junit

PYTEST_EXIT = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests were collected"}


def run_suite(
    loaded: LoadedSpec, name: str, say: Callable[[str, str], None], cancel: threading.Event | None = None
) -> tuple[list[Result], list[TestCase]]:
    suite = loaded.spec.suites[name]
    where = locate(loaded, ("suites", name))
    cwd = (loaded.base_dir / suite.working_dir).resolve()
    pytest = suite.kind == "pytest"
    with tempfile.TemporaryDirectory(prefix="validator-suite-") as tmp:
        records = Path(tmp) / "records.jsonl"
        junit = Path(tmp) / "junit.xml" if pytest else cwd / (suite.junit or "junit.xml")
        command = interpreter_command(list(suite.command))
        if pytest:
            command += [f"--junitxml={junit}"]
        env = {**os.environ, **{k: v or "" for k, v in suite.environment.items()}}
        if pytest:
            env["VALIDATOR_RESULTS"] = str(records)
        env["VALIDATOR_SPEC_FILES"] = os.pathsep.join(str((Path.cwd() / f).resolve()) for f in loaded.files)
        env.pop("PYDANTIC_DISABLE_PLUGINS", None)
        tail: deque[str] = deque(maxlen=40)
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
            return [
                Result(
                    "suite",
                    name,
                    "error",
                    "the suite runs",
                    "did not start",
                    f"cannot run {command[0]!r}: {exc.strerror or exc}",
                    0.0,
                    where,
                )
            ], []
        reader = threading.Thread(target=_pump, args=(proc, tail, say, name), daemon=True)
        reader.start()
        timed_out = _wait(proc, suite.timeout, cancel)
        reader.join(timeout=5)
        duration = time.monotonic() - began
        tests = _tests(records, junit, name, pytest)
        recorded = records.is_file() and records.stat().st_size > 0
    results = _judge(loaded, name, tests, proc.returncode, timed_out, duration, list(tail), pytest, where)
    if tests and not recorded and any(g.markers for g in suite.groups.values()):
        results[0] = dataclasses.replace(
            results[0],
            message=(results[0].message + "; " if results[0].message else "")
            + "markers unknown: the validator pytest plugin did not run in the suite's "
            "interpreter (install validator there)",
        )
    return results, tests


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


def _tests(records: Path, junit: Path, suite: str, pytest: bool) -> list[TestCase]:
    if pytest and records.is_file() and records.stat().st_size:
        by_id: dict[str, TestCase] = {}
        for line in records.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
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
        return list(by_id.values())
    if junit.is_file():
        try:
            return read_junit(junit, suite)
        except ValueError:
            return []
    return []


def _judge(
    loaded: LoadedSpec,
    name: str,
    tests: list[TestCase],
    code: int | None,
    timed_out: bool,
    duration: float,
    tail: list[str],
    pytest: bool,
    where: str | None,
) -> list[Result]:
    suite = loaded.spec.suites[name]
    for test in tests:
        test.groups = [g for g, group in suite.groups.items() if member(test, group)]
    values = counts(tests)
    metrics = {f"suite.{name}.{k}": v for k, v in values.items()}
    metrics[f"suite.{name}.duration"] = duration
    results = []
    shown_tail = "\n".join(tail[-15:])
    verdict: Verdict
    if timed_out:
        verdict, message = "error", f"timed out after {suite.timeout:g}s and was stopped; output tail:\n{shown_tail}"
    elif pytest and code in PYTEST_EXIT:
        verdict, message = "error", f"pytest exit {code} ({PYTEST_EXIT[code]}); output tail:\n{shown_tail}"
    elif not tests:
        verdict, message = "error", f"exit {code}, no test results recorded; output tail:\n{shown_tail}"
    elif values["failed"] or values["errors"]:
        failing = [t.nodeid for t in tests if t.outcome in ("failed", "error")]
        verdict, message = "fail", "failing: " + ", ".join(failing[:10]) + (" ..." if len(failing) > 10 else "")
    elif code not in (0, None) and not pytest:
        verdict, message = "fail", f"exit {code} though every recorded test passed"
    else:
        verdict, message = "pass", ""
    results.append(
        Result(
            "suite",
            name,
            verdict,
            "every test passes",
            summary(values, duration),
            message,
            duration,
            where,
            metrics,
        )
    )
    for group_name in suite.groups:
        members = [t for t in tests if group_name in t.groups]
        group_values = counts(members)
        group_duration = sum(t.duration for t in members)
        group_metrics = {f"group.{group_name}.{k}": v for k, v in group_values.items()}
        group_metrics[f"group.{group_name}.duration"] = group_duration
        ok = members and not (group_values["failed"] or group_values["errors"])
        results.append(
            Result(
                "suite",
                f"{name}/{group_name}",
                "pass" if ok else ("fail" if members else "skip"),
                "every test passes",
                summary(group_values, group_duration),
                "" if members else "no test matched the group",
                group_duration,
                locate(loaded, ("suites", name, "groups", group_name)),
                group_metrics,
            )
        )
    return results
