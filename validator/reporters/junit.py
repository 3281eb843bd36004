"""JUnit XML: every check and every criterion a test case (and every test of the suites), so CI
systems show them natively."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from validator.core.result import Result
from validator.core.run import RunResult, TestCase
from validator.redact import clip
from validator.reporters.context import ReportContext

DEFAULT_PATH: str | None = "reports/junit.xml"
# What XML 1.0 forbids (its Char production's complement): C0 controls but tab, LF and CR, the
# surrogates, U+FFFE and U+FFFF. Spelled as the forbidden set, not as "not the allowed ranges": the
# negated class over all of Unicode took ~5 ms to compile on every import (check, report), this ~0.5 ms,
# for the same code points (checked over all of Unicode when written; tests/unit/test_reporters.py checks
# every edge of the ranges).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


_KIND = {
    "fail": "failure",
    "error": "error",
    "skip": "skipped",
    "xfail": "skipped",
    "pass": "pass",
    "failed": "failure",
    "skipped": "skipped",
    "xfailed": "skipped",
    "passed": "pass",
    "xpassed": "pass",
}


def _suite(root: ET.Element, name: str, kinds: list[str], durations: list[float]) -> ET.Element:
    """A <testsuite> with its counts (kinds: failure, error, skipped or pass per case)."""
    return ET.SubElement(
        root,
        "testsuite",
        name=name,
        tests=str(len(kinds)),
        failures=str(kinds.count("failure")),
        errors=str(kinds.count("error")),
        skipped=str(kinds.count("skipped")),
        time=f"{sum(durations):.3f}",
    )


def render(run: RunResult, ctx: ReportContext) -> str:
    root = ET.Element("testsuites", name=f"validator {run.project}", time=f"{run.duration:.3f}")
    grouped: dict[str, list[Result]] = defaultdict(list)
    for result in run.results:
        grouped[result.kind].append(result)
    for kind, results in grouped.items():
        suite = _suite(
            root, f"{run.project}.{kind}", [_KIND[r.verdict] for r in results], [r.duration for r in results]
        )
        for result in results:
            case = ET.SubElement(
                suite, "testcase", classname=f"{run.project}.{kind}", name=result.name, time=f"{result.duration:.3f}"
            )
            if result.location:
                case.set("file", result.location.file)
            detail = f"expected: {result.expected}\nactual: {result.actual}\n{result.message}".strip()
            if result.verdict == "fail":
                ET.SubElement(
                    case, "failure", message=clip(result.message or f"expected {result.expected}", 500)
                ).text = detail
            elif result.verdict == "error":
                ET.SubElement(case, "error", message=clip(result.message or "error", 500)).text = detail
            elif result.verdict == "skip":
                ET.SubElement(case, "skipped", message=clip(result.message, 500))
            elif result.verdict == "xfail":
                ET.SubElement(case, "skipped", type="xfail", message=clip(result.message, 500))
            props = ET.SubElement(case, "properties")
            for key, value in (("expected", result.expected), ("actual", result.actual), ("location", result.location)):
                if value:
                    ET.SubElement(props, "property", name=key, value=str(value))
    if run.tests:
        by_suite: dict[str, list[TestCase]] = defaultdict(list)
        for test in run.tests:
            by_suite[test.suite].append(test)
        for name, tests in by_suite.items():
            suite = _suite(
                root,
                f"{run.project}.tests.{name}",
                [_KIND.get(t.outcome, "pass") for t in tests],
                [t.duration for t in tests],
            )
            for test in tests:
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=test.nodeid.split("::")[0],
                    name=test.nodeid,
                    time=f"{test.duration:.3f}",
                )
                if test.outcome == "failed":
                    ET.SubElement(case, "failure", message=clip(test.message, 500)).text = test.message
                elif test.outcome == "error":
                    ET.SubElement(case, "error", message=clip(test.message, 500)).text = test.message
                elif test.outcome in ("skipped", "xfailed"):
                    ET.SubElement(case, "skipped", message=clip(test.message, 500))
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode")
    # ElementTree escapes &, < and quotes but passes characters XML 1.0 forbids (control characters
    # a test printed, lone surrogates): every consumer rejects such a file, so they become U+FFFD
    return '<?xml version="1.0" encoding="utf-8"?>\n' + _NOT_XML.sub("\ufffd", text) + "\n"
