"""Suites: group names unique across suites (they share the ``group.<name>`` namespace);
marker selection needs the pytest runner."""

from __future__ import annotations

from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.redact import quoted
from validator.spec.location import Finding


def check(ctx: LintContext) -> Iterator[Finding]:
    owner: dict[str, str] = {}
    for suite_name, suite in ctx.spec.suites.items():
        if suite.kind == "junit" and not suite.junit:
            yield ctx.error(
                ("suites", suite_name), "a non-pytest suite must name the JUnit XML file it writes ('junit')"
            )
        for group_name, group in suite.groups.items():
            path = ("suites", suite_name, "groups", group_name)
            if group_name in owner:
                yield ctx.error(
                    path,
                    f"group {quoted(group_name)} is already defined in suite {quoted(owner[group_name])}",
                    key=True,
                )
            owner.setdefault(group_name, suite_name)
            if not (group.paths or group.pattern or group.markers):
                yield ctx.error(path, "a group needs at least one selector: paths, pattern or markers", key=True)
            if group.markers and suite.kind != "pytest":
                yield ctx.error((*path, "markers"), "markers select tests only with the pytest runner")
