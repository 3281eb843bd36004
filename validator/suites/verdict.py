"""Judge one suite's run on its evidence: complete results give the suite's and its groups' results
and metrics; a run whose results cannot be trusted (did not start, killed, timed out, no finish
record, fewer outcomes than collected, an exit status its outcomes contradict) is an error whose
counts and duration are unavailable, each with the reason naming the suite. A group no test matched
has no counts either."""

from __future__ import annotations

import signal

from validator.core.location import Location
from validator.core.metrics import metric_name
from validator.core.result import Result, Verdict, locate
from validator.core.run import TestCase
from validator.spec.load import LoadedSpec
from validator.suites.groups import COUNTED, counts, member, summary
from validator.suites.records import Recorded

PYTEST_EXIT = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests were collected"}
FIELDS = (*COUNTED, "duration")


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


def not_finished(
    loaded: LoadedSpec, name: str, reason: str, tail: str, where: Location | None, duration: float, actual: str
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
                kind="group",
                name=f"{name}/{group_name}",
                id=group_name,
                parent=name,
                verdict="skip",
                message=f"not judged: {why}",
                location=locate(loaded, ("suites", name, "groups", group_name)),
                unavailable={metric_name("group", group_name, f): why for f in FIELDS},
            )
        )
    return results


def judge(
    loaded: LoadedSpec,
    name: str,
    recorded: Recorded,
    code: int | None,
    timed_out: bool,
    duration: float,
    tail: list[str],
    pytest: bool,
    where: Location | None,
) -> list[Result]:
    suite = loaded.spec.suites[name]
    tests = recorded.tests
    for test in tests:
        test.groups = [g for g, group in suite.groups.items() if member(test, group)]
    values = counts(tests)
    shown_tail = "\n".join(tail[-15:])
    reason = _incomplete(recorded, code, timed_out, suite.timeout, pytest)
    if reason:
        return not_finished(loaded, name, reason, shown_tail, where, duration, summary(values, duration))
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
            kind="group",
            name=f"{suite}/{group}",
            id=group,
            parent=suite,
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
        kind="group",
        name=f"{suite}/{group}",
        id=group,
        parent=suite,
        verdict="pass" if ok else "fail",
        expected="every test passes",
        actual=summary(values, duration),
        duration=duration,
        location=where,
        metrics=metrics,
    )
