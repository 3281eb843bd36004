"""Read JUnit XML (pytest's, or any tool's) into test cases."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from validator.core.run import TestCase
from validator.redact import clip


def read_junit(path: Path, suite: str) -> list[TestCase]:
    """Test cases from a JUnit XML file; ``ValueError`` when it is not JUnit XML."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"{path} is not valid XML: {exc}") from None
    cases = []
    for case in root.iter("testcase"):
        classname = case.get("classname", "")
        name = case.get("name", "?")
        file = case.get("file")
        if file:
            nodeid = f"{file}::{name}" if "::" not in name else name
        elif classname:
            parts = classname.split(".")
            module = [p for p in parts if not p[:1].isupper()]
            classes = [p for p in parts if p[:1].isupper()]
            nodeid = "/".join(module) + ".py" + "".join(f"::{c}" for c in classes) + f"::{name}"
        else:
            nodeid = name
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed" if child.tag == "failure" else "error"
                message = clip(child.get("message") or child.text or "", 2000)
            elif child.tag == "skipped":
                outcome = "xfailed" if (child.get("type") or "").endswith("xfail") else "skipped"
                message = child.get("message") or ""
        cases.append(
            TestCase(
                suite=suite,
                nodeid=nodeid,
                outcome=outcome,
                duration=float(case.get("time") or 0.0),
                groups=[],
                message=message,
            )
        )
    return cases
