"""Every reporter, fed hostile text (markup, control characters, surrogates, NaN): the output always
parses and never carries live markup."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.metrics import exact_keys, key
from validator.core.result import Result
from validator.core.run import RunResult
from validator.core.run import TestCase as Case
from validator.reporters.registry import REPORTERS, ReportContext, reporter

HOSTILE = [
    "[/x]",
    "[link=https://evil.invalid]click[/link]",
    "[bold red]",
    "\\",
    ":smiley:",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "![x](https://evil.invalid/p.png)",
    "[x](javascript:alert(1))",
    "| --- |",
    "`code`",
    "]]>",
    "&amp;",
    "\x00\x01\x08\x0b\x1b[31m\x7f",
    "\ud800",
    "\n# heading\n",
    "\"quoted\" 'single'",
]
texts = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=20), min_size=1, max_size=4).map("".join)
numbers = st.sampled_from([0.5, math.nan, math.inf, -math.inf, 3.0])


def make_run(name: str, message: str, value: float) -> RunResult:
    run = RunResult(
        project="fuzz",
        spec_files=["infra.yaml"],
        spec_hash="0" * 64,
        started_at=1_700_000_000.0,
        finished_at=1_700_000_001.0,
    )
    run.results = [
        Result(
            kind="probe",
            name=name,
            verdict="fail",
            expected=message,
            actual=name,
            message=message,
            metrics={key("probe.x.passed"): value},
        ),
        Result(kind="criterion", name=f"SC1: {name}", verdict="pass", expected="probe.x.passed == 1", actual=message),
        Result(kind="service", name="web", verdict="pass", actual=message),
    ]
    run.evidence = exact_keys({key("probe.x.duration"): value, key("host.cpus"): 2.0})
    run.tests = [
        Case(suite="main", nodeid=f"tests/test_a.py::test_x[{name}]", outcome="failed", duration=0.1, message=message)
    ]
    return run


LIVE_TAG = re.compile(r"<(?!/?(?:br|code)>)[a-zA-Z!/?]")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=texts, message=texts, value=numbers)
def test_every_report_stays_valid_and_inert(name, message, value):
    run = make_run(name, message, value)
    ctx = ReportContext(verbose=1)
    outputs = {fmt: reporter(fmt).render(run, ctx) for fmt in REPORTERS}

    data = json.loads(outputs["json"], parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    assert data["run"]["results"]
    if not math.isfinite(value):  # a value that is no number: null and an error verdict, never a pass
        assert data["ok"] is False and any(r["verdict"] == "error" for r in data["run"]["results"])
    reporter("json").load(outputs["json"])  # and it reads back (validator report re-renders it)

    ET.fromstring(outputs["junit"].encode("utf-8", "replace"))

    markdown = outputs["markdown"]
    assert not LIVE_TAG.search(markdown), markdown
    assert "](" not in markdown.replace("\\](", "")  # no live link or image

    page = outputs["html"]
    assert "<script>alert" not in page and "<img src=x" not in page and "onerror=alert(1)>" not in page

    console = outputs["console"]
    assert "\x1b]8;" not in console  # a [link=...] never becomes a terminal hyperlink

    for line in outputs["openmetrics"].splitlines():
        assert line.startswith("#") or re.fullmatch(r'[a-z_]+(\{([a-z_]+="([^"\\\n]|\\.)*",?)*\})? \S+', line), line
