"""Judge one suite's run on its evidence, saying exactly what it proves.

- Complete results give the suite's and its groups' results and *exact* metrics.
- A run whose results cannot be trusted is an error whose counts and duration are *unavailable*, each
  with the reason naming the suite. For a pytest suite: it did not start, was killed, timed out, the
  validator recorder did not run, there is no finish record, it ran no test (``--collect-only``,
  ``--setup-only``), fewer (or more) outcomes than collected, an exit status its outcomes contradict,
  or a test the witness saw fail reported as not failing. For any other runner: its JUnit XML was not
  written during the run, cannot be read, its totals disagree with its cases, or its exit status
  disagrees with them (a runner that exits 2 after writing only passing cases stopped part-way).
- A run complete but for modules that could not be collected (``--continue-on-collection-errors``)
  knows its counts only as *lower bounds*: the tests of those modules never ran, so every count (and
  the duration) is at least what was seen and unknown above, for the suite and for each group those
  modules' tests could belong to. So does a non-pytest runner that exits non-zero with failing tests
  in its file (it exits the same when it stopped part-way), and ``deselected`` under ``--lf``, which
  leaves tests out uncounted.
- A group no test ran in has no counts either.

Tests the suite's own options deselected are counted (``deselected``) and said on the suite's result:
a run of 1 of 7 tests never passes silently.
"""

from __future__ import annotations

import signal

from validator.core.location import Location
from validator.core.metrics import Bounds, MetricKey, metric_name
from validator.core.result import Result, Verdict, locate
from validator.core.run import TestCase
from validator.spec.load import LoadedSpec
from validator.suites.groups import FIELDS, counts, fields, may_hold, member, summary
from validator.suites.records import Recorded, Rewritten

__all__ = ["FIELDS", "judge", "not_finished"]

PYTEST_EXIT = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests were collected"}
_FAILING = ("failed", "error")


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _incomplete(recorded: Recorded, code: int | None, timed_out: bool, timeout: float, pytest: bool) -> str:
    """Why the recorded outcomes are not the suite's whole result ("" when they are)."""
    ran = len(recorded.tests) - recorded.uncollected
    of = f" of {recorded.collected}" if recorded.collected is not None else ""
    progress = f" after {ran}{of} tests"
    if timed_out:
        return f"timed out after {timeout:g}s and was stopped{progress}"
    if code is not None and code < 0:
        return f"was killed by {_signal_name(code)}{progress}"
    return _pytest_incomplete(recorded, code, ran, progress) if pytest else _junit_incomplete(recorded, code)


def _pytest_incomplete(recorded: Recorded, code: int | None, ran: int, progress: str) -> str:
    if code in PYTEST_EXIT:
        absent = "" if recorded.plugin else "; the validator recorder did not run"
        return f"ended with pytest exit {code} ({PYTEST_EXIT[code]}){absent}"
    if not recorded.plugin:
        return (
            f"ended (exit {code}) with no results from the validator recorder: it never started in the suite's "
            "pytest (the process ended before pytest configured its plugins, -p no:validator_recorder disabled it, "
            "or the command replaced PYTHONPATH or PYTEST_PLUGINS, or passed VALIDATOR_RESULTS on without "
            "VALIDATOR_RESULTS_KEY)"
        )
    if recorded.problem:
        return recorded.problem
    if recorded.exitstatus is None:
        return f"ended (exit {code}) without pytest's finish record{progress}"
    if recorded.ran_none:
        return f"ran no test: {', '.join(recorded.ran_none)} only collects or sets up"
    if not recorded.tests and not recorded.collected:
        return f"ended (exit {code}) with no test results recorded"
    return _pytest_contradiction(recorded, code, ran)


def _pytest_contradiction(recorded: Recorded, code: int | None, ran: int) -> str:
    """A finished session whose records contradict themselves or the process's exit status."""
    if recorded.collected is not None and ran != recorded.collected:
        why = f": {recorded.stopped}" if recorded.stopped else ""
        return f"recorded outcomes for {ran} of {recorded.collected} collected tests{why}"
    if code != recorded.exitstatus:
        return f"exited {code} though pytest's session ended with status {recorded.exitstatus}"
    failing = sum(1 for t in recorded.tests if t.outcome in _FAILING)
    if recorded.exitstatus == 0 and failing:
        return f"exited 0 though {failing} failed or errored tests were recorded"
    if recorded.exitstatus == 1 and not failing:
        # a plugin failed the session (a coverage threshold, warnings as errors at session end):
        # the tests' counts do not explain the status, so they are not the suite's result
        return "exited 1 (tests failed) though no failed test was recorded (did a plugin fail the session?)"
    rewritten = recorded.rewritten
    if rewritten:
        shown = "; ".join(_rewrite(r) for r in rewritten[:3]) + (" ..." if len(rewritten) > 3 else "")
        return (
            f"reported {len(rewritten)} test(s) with an outcome other than what they raised ({shown}): "
            "a plugin rewrote the outcome"
        )
    return ""


def _rewrite(rewritten: Rewritten) -> str:
    raised = f"raised {rewritten.raised}" if rewritten.raised else "no phase of it reached pytest's reports"
    return f"{rewritten.nodeid}: {raised}, reported {rewritten.reported}"


def _junit_incomplete(recorded: Recorded, code: int | None) -> str:
    if recorded.problem:
        return recorded.problem
    if not recorded.tests:
        return f"ended (exit {code}) with no test results recorded"
    failing = sum(1 for t in recorded.tests if t.outcome in _FAILING)
    if code == 0 and failing:
        return f"exited 0 though its JUnit XML holds {failing} failed or errored tests"
    if code != 0 and not failing:
        return f"exited {code} though every test in its JUnit XML passed (did it stop part-way?)"
    return ""


def not_finished(
    loaded: LoadedSpec, name: str, reason: str, tail: str, where: Location | None, duration: float, actual: str
) -> list[Result]:
    """The suite's result and its groups' when its counts cannot be trusted: every metric unavailable."""
    suite = loaded.spec.suites[name]
    why = f"suite {name} {reason}"
    own = fields(suite)
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
            unavailable={metric_name("suite", name, f): why for f in own},
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
                unavailable={metric_name("group", group_name, f): why for f in own},
            )
        )
    return results


def _split(
    family: str, member_name: str, values: dict[str, float], uncertain: dict[str, str]
) -> tuple[dict[MetricKey, float], dict[MetricKey, Bounds]]:
    """Exact metrics, and lower bounds for the fields in ``uncertain`` (field -> why, naming the
    producer, to which "so FIELD is at least N and unknown above" is added)."""
    metrics: dict[MetricKey, float] = {}
    bounds: dict[MetricKey, Bounds] = {}
    for field, value in values.items():
        key = metric_name(family, member_name, field)
        if field in uncertain:
            seen = f"{value:.3f}s" if field == "duration" else f"{value:g}"
            why = f"{uncertain[field]}, so {field} is at least {seen} and unknown above"
            bounds[key] = Bounds(low=value, why=why)
        else:
            metrics[key] = value
    return metrics, bounds


def _broken(recorded: Recorded, name: str) -> str:
    modules = [m or "<collection>" for m in recorded.broken]
    shown = ", ".join(modules[:3]) + (" ..." if len(modules) > 3 else "")
    noun = "module" if len(modules) == 1 else "modules"
    return f"suite {name}: {len(modules)} {noun} failed to import ({shown})"


def _partial(recorded: Recorded, name: str, code: int | None, pytest: bool) -> str:
    """Why the suite's run, otherwise complete, holds only some of its tests ("" when it holds all).

    A runner other than pytest that exits non-zero with failing tests in its JUnit XML may have
    stopped part-way after writing a file that agrees with itself: its exit status is the same for
    both. So its counts are lower bounds; its failures still fail the suite."""
    if recorded.broken:
        return _broken(recorded, name)
    if not pytest and code:
        return f"suite {name}: its runner exited {code}, as it does for failing tests and for a run stopped part-way"
    return ""


def _skipped_modules(modules: list[str], name: str) -> str:
    shown = ", ".join(modules[:3]) + (" ..." if len(modules) > 3 else "")
    noun = "module was" if len(modules) == 1 else "modules were"
    return f"suite {name}: {len(modules)} {noun} skipped whole at collection ({shown}; its tests are not counted)"


def _uncertain(
    recorded: Recorded, name: str, own: tuple[str, ...], partial: str, skipped: list[str] | None = None
) -> dict[str, str]:
    """Which of the fields are known only as lower bounds, and why. A module skipped whole at collection
    counts as one skipped case (as pytest counts it), but holds any number of tests, all skipped: its
    suite's (and each group's it may hold tests of) ``skipped`` and ``total`` are lower bounds."""
    out: dict[str, str] = {}
    if partial:
        out = dict.fromkeys(own, partial)
    modules = recorded.skipped_modules if skipped is None else skipped
    if modules:
        for field in ("skipped", "total"):
            if field in own:
                out.setdefault(field, _skipped_modules(modules, name))
    if recorded.deselected_unknown and "deselected" in own:
        out.setdefault("deselected", f"suite {name}: {recorded.deselected_unknown}")
    return out


def _notes(recorded: Recorded, name: str, ran: int) -> list[str]:
    """What the suite's result says besides its failures: deselected tests, modules not collected."""
    notes = []
    if recorded.skipped_modules:
        notes.append(_skipped_modules(recorded.skipped_modules, name).removeprefix(f"suite {name}: "))
    if recorded.deselected or recorded.deselected_unknown:
        by = f"the suite's own options ({', '.join(recorded.selection)})" if recorded.selection else "a plugin"
        left_out = len(recorded.deselected)
        if recorded.deselected_unknown:
            tests = "test" if ran == 1 else "tests"
            notes.append(f"ran {ran} {tests}; at least {left_out} more left out by {by}: {recorded.deselected_unknown}")
        else:
            notes.append(f"ran {ran} of {ran + left_out} tests: {left_out} deselected by {by}")
    return notes


_PROVING = ("passed", "xpassed")  # the outcomes in which a test's body ran to its end


def _none_passed(tests: list[TestCase]) -> str:
    outcomes = sorted({t.outcome for t in tests})
    return f"all {len(tests)} tests were {' or '.join(outcomes)}" if tests else "no test ran"


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
    for test in (*tests, *recorded.deselected):
        test.groups = [g for g, group in suite.groups.items() if member(test, group)]
    values = counts(tests, len(recorded.deselected))
    reason = _incomplete(recorded, code, timed_out, suite.timeout, pytest)
    if reason:
        shown_tail = "\n".join(tail[-15:])
        return not_finished(loaded, name, reason, shown_tail, where, duration, summary(values, duration))
    own = fields(suite)
    values = {f: v for f, v in values.items() if f in own} | {"duration": duration}
    partial = _partial(recorded, name, code, pytest)
    metrics, bounds = _split("suite", name, values, _uncertain(recorded, name, own, partial))
    verdict: Verdict
    message = ""
    if values["failed"] or values["errors"]:
        failing = [t.nodeid for t in tests if t.outcome in _FAILING]
        verdict, message = "fail", "failing: " + ", ".join(failing[:10]) + (" ..." if len(failing) > 10 else "")
    elif not any(t.outcome in _PROVING for t in tests):
        # every test skipped (a backend down, the usual "unreachable -> skip" fixture) or only expected to
        # fail: the suite proved nothing, and a suite that proves nothing does not pass; its counts stay
        # exact, so `skipped == 0` still fails and `failed == 0` still holds
        verdict, message = "error", f"no test passed: {_none_passed(tests)}"
    else:
        verdict = "pass"
    ran = len(tests) - recorded.uncollected
    lower = f"{partial}: its counts are lower bounds" if partial else ""
    message = "; ".join(part for part in (message, *_notes(recorded, name, ran), lower) if part)
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
            bounds=bounds,
        )
    ]
    for group_name in suite.groups:
        results.append(_group(loaded, name, group_name, recorded, own, partial))
    return results


def _group(
    loaded: LoadedSpec, suite: str, group: str, recorded: Recorded, own: tuple[str, ...], partial: str
) -> Result:
    where = locate(loaded, ("suites", suite, "groups", group))
    members = [t for t in recorded.tests if group in t.groups]
    deselected = [t for t in recorded.deselected if group in t.groups]
    if not members:
        # zeros here would let `group.x.failed == 0` pass on a group that tested nothing
        why = f"group {group} matched no test of suite {suite}" + (
            f" that ran ({len(deselected)} deselected)" if deselected else ""
        )
        # and an ERROR of its own, not a SKIP: a group the spec declares measured nothing, which is no
        # pass even without a criterion reading it (adversary stop8b case 06: a conftest left the
        # group's tests out before collection; the run was PASSED with the group a quiet SKIP)
        return Result(
            kind="group",
            name=f"{suite}/{group}",
            id=group,
            parent=suite,
            verdict="error",
            expected="every test passes",
            actual="no tests",
            message=f"no test matched the group: {why}",
            location=where,
            unavailable={metric_name("group", group, f): why for f in own},
        )
    spec_group = loaded.spec.suites[suite].groups[group]
    # tests of a module that could not be collected may or may not be this group's
    if recorded.broken and not any(may_hold(module, spec_group) for module in recorded.broken):
        partial = ""
    skipped = [module for module in recorded.skipped_modules if may_hold(module, spec_group)]
    values = {f: v for f, v in counts(members, len(deselected)).items() if f in own}
    duration = sum(t.duration for t in members)
    values["duration"] = duration
    metrics, bounds = _split("group", group, values, _uncertain(recorded, suite, own, partial, skipped))
    verdict: Verdict = "pass"
    message = ""
    if values["failed"] or values["errors"]:
        verdict = "fail"
    elif not any(t.outcome in _PROVING for t in members):
        # as for the suite: a group whose every test skipped (its backend down) proved nothing (case 13)
        verdict, message = "error", f"no test passed: {_none_passed(members)}"
    return Result(
        kind="group",
        name=f"{suite}/{group}",
        id=group,
        parent=suite,
        verdict=verdict,
        expected="every test passes",
        actual=summary(values, duration),
        message=message,
        duration=duration,
        location=where,
        metrics=metrics,
        bounds=bounds,
    )
