"""Which groups a test belongs to, the counts of a set of tests, and the metrics a suite and a group
emit (the suite family is declared in ``runner.py`` from the same fields)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from validator.core.metrics import Declared, Family
from validator.core.run import TestCase
from validator.spec.suites import Group, Suite

if TYPE_CHECKING:
    from validator.spec.model import Spec

# Each outcome pytest reports is counted once (as in pytest's own summary line): ``passed`` holds no
# xpass. ``total`` is every test with an outcome; deselected tests have none and are counted apart.
COUNTED = ("total", "passed", "failed", "skipped", "errors", "xfailed", "xpassed")
FIELDS = (*COUNTED, "deselected", "duration")
# Only pytest (through the validator recorder) tells an xpass and says what it deselected: JUnit XML
# has neither, so a JUnit suite and its groups do not measure these (no wildcard expects them).
PYTEST_ONLY = frozenset({"xpassed", "deselected"})
_MEANING = {
    "total": "tests with an outcome (deselected ones have none)",
    "passed": "tests passed (an xpass is counted in xpassed)",
    "failed": "tests failed (a failing subtest fails its test)",
    "skipped": "tests skipped",
    "errors": "tests in error (setup, teardown) and modules that could not be collected",
    "xfailed": "expected failures",
    "xpassed": "tests marked xfail that passed (not strict)",
    "deselected": "tests the suite's own options deselected (-k, -m, --lf, --sw, --deselect)",
}
_OUTCOME_FIELD = {
    "passed": "passed",
    "xpassed": "xpassed",
    "failed": "failed",
    "skipped": "skipped",
    "error": "errors",
    "xfailed": "xfailed",
}


def _pytest_suite(suite: Any) -> bool:
    return bool(suite.kind == "pytest")


def fields(suite: Suite) -> tuple[str, ...]:
    """The fields a suite (and each of its groups) measures."""
    return FIELDS if _pytest_suite(suite) else tuple(f for f in FIELDS if f not in PYTEST_ONLY)


def count_metrics(duration: str, suite_of: Any) -> tuple[Declared, ...]:
    """The fields a suite and a group share: its test counts and a duration. ``suite_of`` gives a
    member's suite from its spec object."""

    def pytest_only(member: Any) -> bool:
        return _pytest_suite(suite_of(member))

    return (
        *(
            Declared(
                field=f,
                dimension="",
                meaning=_MEANING[f],
                applies=pytest_only if f in PYTEST_ONLY else None,
                when="run by pytest" if f in PYTEST_ONLY else "",
            )
            for f in (*COUNTED, "deselected")
        ),
        Declared(field="duration", dimension="time", meaning=duration),
    )


@dataclass(frozen=True, kw_only=True)
class SuiteGroup:
    """A group with the suite it belongs to (what it measures depends on both)."""

    suite: Suite
    group: Group


def _groups(spec: Spec) -> Mapping[str, Any]:
    return {name: SuiteGroup(suite=s, group=g) for s in spec.suites.values() for name, g in s.groups.items()}


METRICS = Family(
    name="group",
    members=_groups,
    metrics=(
        *count_metrics("the summed time of its tests", lambda member: member.suite),
        Declared(
            field="coverage",
            dimension="",
            meaning="percent of lines run in the files its paths select, from its suite's coverage report",
            applies=lambda member: member.suite.coverage is not None and bool(member.group.paths),
            when="with paths, in a suite that names a coverage report",
        ),
    ),
    doc="test counts and summed test time of each group; unavailable when its suite did not finish or "
    "no test matched the group; lower bounds when a module of its suite could not be collected; coverage of the "
    "files its paths select",
)


def member(test: TestCase, group: Group) -> bool:
    file = test.nodeid.split("::", 1)[0]
    for path in group.paths:
        if file.startswith(path) or test.nodeid.startswith(path) or fnmatch.fnmatch(file, path):
            return True
    if group.pattern and re.search(group.pattern, test.nodeid):
        return True
    return bool(set(group.markers) & set(test.markers))


def may_hold(broken: str, group: Group) -> bool:
    """Whether tests of ``broken`` (a module or folder that could not be collected: its tests' names
    and markers are unknown) could belong to ``group``. Only a group selected by paths alone, none of
    which lies inside, contains, or may glob into ``broken``, provably holds none of them."""
    if group.pattern or group.markers:
        return True
    return any(
        broken.startswith(path) or path.startswith(broken) or any(c in path for c in "*?[") for path in group.paths
    )


def counts(tests: list[TestCase], deselected: int = 0) -> dict[str, float]:
    out = dict.fromkeys(COUNTED, 0.0)
    for test in tests:
        out["total"] += 1
        out[_OUTCOME_FIELD.get(test.outcome, "errors")] += 1
    out["deselected"] = float(deselected)
    return out


def summary(values: dict[str, float], duration: float) -> str:
    parts = [f"{int(values['passed'])} passed", f"{int(values['failed'])} failed", f"{int(values['skipped'])} skipped"]
    for field in ("errors", "xfailed", "xpassed", "deselected"):
        if values.get(field):
            parts.append(f"{int(values[field])} {field}")
    return ", ".join(parts) + f" in {duration:.1f}s"
