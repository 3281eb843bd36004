"""Read JUnit XML (any tool's) into test cases, and check the file's own totals against its cases.

A runner that crashes part-way can leave a well-formed file that holds only some of its cases; the
totals a ``<testsuite>`` declares (``tests``, ``failures``, ``errors``, ``skipped``, required of a
testsuite by the JUnit schema) are what it meant to hold. A file whose totals disagree with its cases,
or that gives none, cannot show it is whole, so its counts are not evidence (``verdict.py``).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from validator.core.run import TestCase
from validator.redact import clip

# a total attribute -> the child of a <testcase> it counts (None: every case)
_TOTALS: tuple[tuple[str, str | None], ...] = (
    ("tests", None),
    ("failures", "failure"),
    ("errors", "error"),
    ("skipped", "skipped"),
)


@dataclass(frozen=True, kw_only=True)
class JUnitFile:
    cases: list[TestCase]
    disagreement: str  # why its totals do not vouch for its cases; "" when they do
    by_pytest: bool = False  # pytest's own --junitxml wrote some of it (a <testsuite> it signs)
    only_pytest: bool = False  # pytest's --junitxml wrote all of it: every <testsuite> is signed by pytest


def read_junit(path: Path, suite: str) -> JUnitFile:
    """Test cases from a JUnit XML file; ``ValueError`` when it is not JUnit XML."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"{path.name} is not well-formed XML ({_where(exc)})") from None
    if root.tag not in ("testsuite", "testsuites"):
        raise ValueError(f"{path.name} is not JUnit XML: its root element is not <testsuite> or <testsuites>")
    signed = [_by_pytest(element) for element in root.iter("testsuite")]
    return JUnitFile(
        cases=[_case(case, suite) for case in root.iter("testcase")],
        disagreement=_disagreement(root),
        # pytest's root names the writer whatever ``junit_suite_name`` calls its <testsuite> (adversary
        # stop8b case 07: a renamed suite made pytest's file, written without the recorder, read as
        # another runner's, and the recorder's checks were bypassed)
        by_pytest=any(signed) or (root.tag == "testsuites" and root.get("name") == "pytest tests"),
        # a merge (junitparser, junit-merge) of pytest's file with another runner's holds both: pytest's
        # only when nothing else is in it (adversary stop8b, case 04)
        only_pytest=bool(signed) and all(signed),
    )


def _by_pytest(element: ET.Element) -> bool:
    """pytest's --junitxml names its <testsuite> "pytest" (its ``junit_suite_name`` default) and stamps
    the host and time; another runner's file is not taken for pytest's unless it copies all three."""
    return element.get("name") == "pytest" and "hostname" in element.attrib and "timestamp" in element.attrib


def _where(exc: ET.ParseError) -> str:
    line, column = getattr(exc, "position", (0, 0))
    return f"line {line}, column {column + 1}"  # the position only: never the text it could not parse


def _disagreement(root: ET.Element) -> str:
    """The first total of a <testsuite> or <testsuites> that its cases do not match, or a case no
    total covers ("" when every case is counted by a total that matches)."""
    elements = [root] if root.tag == "testsuite" else [root, *root.iter("testsuite")]
    for number, element in enumerate(elements):
        what = "<testsuites>" if element.tag == "testsuites" else f"<testsuite> number {number or 1}"
        name = clip(element.get("name") or "", 80)
        wrong = _totals_wrong(element, what + (f" ({name})" if name else ""))
        if wrong:
            return wrong
    totalled = [element for element in elements if element.get("tests") is not None]
    counted = {id(case) for element in totalled for case in element.iter("testcase")}
    loose = sum(1 for case in root.iter("testcase") if id(case) not in counted)
    return f"{loose} test case(s) lie outside any <testsuite> that gives a tests= total" if loose else ""


def _totals_wrong(element: ET.Element, what: str) -> str:
    cases = list(element.iter("testcase"))
    if element.tag == "testsuite" and element.get("tests") is None:
        return f"{what} gives no tests= total to check its {len(cases)} test cases against"
    for attribute, child in _TOTALS:
        said = element.get(attribute)
        if said is None:
            continue
        held = len(cases) if child is None else sum(1 for c in cases if c.find(child) is not None)
        try:
            declared = float(said)
        except ValueError:
            return f"{what} gives a {attribute}= total that is not a number"
        if not math.isfinite(declared) or declared != held:
            return f"{what} says {attribute}={clip(said, 20)} but holds {held}"
    return ""


def _nodeid(case: ET.Element) -> str:
    classname = case.get("classname", "")
    name = case.get("name", "?")
    file = case.get("file")
    if file:
        return f"{file}::{name}" if "::" not in name else name
    if classname:
        parts = classname.split(".")
        module = [p for p in parts if not p[:1].isupper()]
        classes = [p for p in parts if p[:1].isupper()]
        return "/".join(module) + ".py" + "".join(f"::{c}" for c in classes) + f"::{name}"
    return name


def _case(case: ET.Element, suite: str) -> TestCase:
    outcome, message = "passed", ""
    for child in case:
        if child.tag in ("failure", "error"):
            outcome = "failed" if child.tag == "failure" else "error"
            message = clip(child.get("message") or child.text or "", 2000)
        elif child.tag == "skipped":
            outcome = "xfailed" if (child.get("type") or "").endswith("xfail") else "skipped"
            message = child.get("message") or ""
    try:
        duration = float(case.get("time") or 0.0)
    except ValueError:
        duration = math.nan  # not a number: no measurement, never a value a criterion could pass on
    return TestCase(suite=suite, nodeid=_nodeid(case), outcome=outcome, duration=duration, groups=[], message=message)
