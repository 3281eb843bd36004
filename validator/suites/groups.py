"""Which groups a test belongs to, the counts of a set of tests, and the metrics a group emits."""

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

COUNTED = ("total", "passed", "failed", "skipped", "errors", "xfailed")
_MEANING = {
    "total": "tests with an outcome",
    "passed": "tests passed (xpassed included)",
    "failed": "tests failed",
    "skipped": "tests skipped",
    "errors": "tests in error (setup, teardown, collection)",
    "xfailed": "expected failures",
}


def count_metrics(duration: str) -> tuple[Declared, ...]:
    """The fields a suite and a group share: its test counts and a duration."""
    return (
        *(Declared(field=f, dimension="", meaning=_MEANING[f]) for f in COUNTED),
        Declared(field="duration", dimension="time", meaning=duration),
    )


@dataclass(frozen=True, kw_only=True)
class SuiteGroup:
    """A group with the suite it belongs to (whether it measures coverage depends on both)."""

    suite: Suite
    group: Group


def _groups(spec: Spec) -> Mapping[str, Any]:
    return {
        name: SuiteGroup(suite=suite, group=group)
        for suite in spec.suites.values()
        for name, group in suite.groups.items()
    }


METRICS = Family(
    name="group",
    members=_groups,
    metrics=(
        *count_metrics("the summed time of its tests"),
        Declared(
            field="coverage",
            dimension="",
            meaning="percent of lines run in the files its paths select, from its suite's coverage report",
            applies=lambda member: member.suite.coverage is not None and bool(member.group.paths),
            when="with paths, in a suite that names a coverage report",
        ),
    ),
    doc="test counts and summed test time of each group; unavailable when its suite did not finish or "
    "no test matched the group; coverage of the files its paths select",
)


def member(test: TestCase, group: Group) -> bool:
    file = test.nodeid.split("::", 1)[0]
    for path in group.paths:
        if file.startswith(path) or test.nodeid.startswith(path) or fnmatch.fnmatch(file, path):
            return True
    if group.pattern and re.search(group.pattern, test.nodeid):
        return True
    return bool(set(group.markers) & set(test.markers))


def counts(tests: list[TestCase]) -> dict[str, float]:
    out = dict.fromkeys(COUNTED, 0.0)
    for test in tests:
        out["total"] += 1
        key = {
            "passed": "passed",
            "xpassed": "passed",
            "failed": "failed",
            "skipped": "skipped",
            "error": "errors",
            "xfailed": "xfailed",
        }.get(test.outcome, "errors")
        out[key] += 1
    return out


def summary(values: dict[str, float], duration: float) -> str:
    parts = [f"{int(values['passed'])} passed", f"{int(values['failed'])} failed", f"{int(values['skipped'])} skipped"]
    if values["errors"]:
        parts.append(f"{int(values['errors'])} errors")
    if values["xfailed"]:
        parts.append(f"{int(values['xfailed'])} xfailed")
    return ", ".join(parts) + f" in {duration:.1f}s"
