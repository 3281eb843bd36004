"""Which groups a test belongs to, and the counts of a set of tests."""

from __future__ import annotations

import fnmatch
import re

from validator.core.run import TestCase
from validator.spec.suites import Group

COUNTED = ("total", "passed", "failed", "skipped", "errors", "xfailed")


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
