"""JUnit XML: every check and every criterion a test case (and every test of the suites), so CI
systems show them natively."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from validator.checks.result import Result
from validator.reporters.registry import ReportContext
from validator.run import RunResult, TestCase

DEFAULT_PATH: str | None = "reports/junit.xml"


def render(run: RunResult, ctx: ReportContext) -> str:
    root = ET.Element("testsuites", name=f"validator {run.project}", time=f"{run.duration:.3f}")
    grouped: dict[str, list[Result]] = defaultdict(list)
    for result in run.results:
        grouped[result.kind].append(result)
    for kind, results in grouped.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{run.project}.{kind}",
            tests=str(len(results)),
            failures=str(sum(r.verdict == "fail" for r in results)),
            errors=str(sum(r.verdict == "error" for r in results)),
            skipped=str(sum(r.verdict in ("skip", "xfail") for r in results)),
            time=f"{sum(r.duration for r in results):.3f}",
        )
        for result in results:
            case = ET.SubElement(
                suite, "testcase", classname=f"{run.project}.{kind}", name=result.name, time=f"{result.duration:.3f}"
            )
            if result.location:
                case.set("file", result.location.split(":")[0])
            detail = f"expected: {result.expected}\nactual: {result.actual}\n{result.message}".strip()
            if result.verdict == "fail":
                ET.SubElement(
                    case, "failure", message=(result.message or f"expected {result.expected}")[:500]
                ).text = detail
            elif result.verdict == "error":
                ET.SubElement(case, "error", message=(result.message or "error")[:500]).text = detail
            elif result.verdict == "skip":
                ET.SubElement(case, "skipped", message=result.message[:500])
            elif result.verdict == "xfail":
                ET.SubElement(case, "skipped", type="xfail", message=result.message[:500])
            props = ET.SubElement(case, "properties")
            for key, value in (("expected", result.expected), ("actual", result.actual), ("location", result.location)):
                if value:
                    ET.SubElement(props, "property", name=key, value=str(value))
    if run.tests:
        by_suite: dict[str, list[TestCase]] = defaultdict(list)
        for test in run.tests:
            by_suite[test.suite].append(test)
        for name, tests in by_suite.items():
            suite = ET.SubElement(
                root,
                "testsuite",
                name=f"{run.project}.tests.{name}",
                tests=str(len(tests)),
                failures=str(sum(t.outcome == "failed" for t in tests)),
                errors=str(sum(t.outcome == "error" for t in tests)),
                skipped=str(sum(t.outcome in ("skipped", "xfailed") for t in tests)),
                time=f"{sum(t.duration for t in tests):.3f}",
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
                    ET.SubElement(case, "failure", message=test.message[:500]).text = test.message
                elif test.outcome == "error":
                    ET.SubElement(case, "error", message=test.message[:500]).text = test.message
                elif test.outcome in ("skipped", "xfailed"):
                    ET.SubElement(case, "skipped", message=test.message[:500])
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
