"""Every report format, from a real check run (no Docker needed: configs, deps, probes, a suite)."""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from tests.harness.specs import load_dict
from tests.metrics import key, report_metrics
from validator.core.run import ServiceTimeline
from validator.reporters import junit
from validator.reporters.registry import REPORTERS, ReportContext, parse_report_option, reporter, write_reports
from validator.run.pipeline import CheckOptions, Pipeline
from validator.ui import Display

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reporters")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    (folder / "app.env").write_text("MODE=test\nTOKEN=planted-secret-value\n")
    (folder / "tests").mkdir()
    (folder / "tests" / "test_a.py").write_text(
        "def test_ok(): pass\ndef test_ok2(): pass\n"
        "import os\n"
        "def test_bad(): print(os.environ['API_TOKEN']); assert os.environ['API_TOKEN'] == 'x'\n"
    )
    spec = {
        "version": 1,
        "project": "reports",
        "config_keys": {"env": {"path": "app.env", "keys": {"MODE": "test", "LEVEL": {"exists": True}}}},
        "python": {"packages": {"requests": ">=2"}},
        "probes": {
            "up": {"kind": "tcp", "port": httpd.server_address[1]},
            "gone": {
                "kind": "http",
                "url": f"http://127.0.0.1:{httpd.server_address[1]}/no-such-page",
                "expect": "fail",
                "reason": "nothing there",
                "timeout": "2s",
            },
        },
        "suites": {
            "unit": {
                "command": "python -m pytest tests -q -p no:cacheprovider",
                "environment": {"API_TOKEN": "${TOKEN}"},
                "groups": {"good": {"pattern": "test_ok"}},
            }
        },
        "criteria": {
            "SC1": {"title": "no failures", "condition": "suite.unit.failed == 0"},
            "SC3": {"title": "good ones", "condition": "group.good.passed == 2"},
            "SC6": {"title": "fast", "condition": "suite.unit.duration < 5m"},
            "SC9": {"title": "probes fast", "condition": "probe.up.duration < 1s"},
        },
    }
    loaded = load_dict(folder, spec, environ={"TOKEN": "planted-secret-value"})
    assert "planted-secret-value" in loaded.secrets()
    result = Pipeline(loaded, CheckOptions(), Display(quiet=True)).execute()
    now = time.time()
    result.timeline = [
        ServiceTimeline(service="spark", requested_at=now, running_at=now + 0.4, healthy_at=now + 5.2),
        ServiceTimeline(service="mysql", requested_at=now + 0.1, running_at=now + 0.6, healthy_at=now + 9.5),
    ]
    httpd.shutdown()
    return result


def render(name, run):
    return reporter(name).render(run, ReportContext())


def test_the_run_itself(run):
    verdicts = {(r.kind, r.name): r.verdict for r in run.results}
    assert verdicts[("config", "env: MODE")] == "pass" and verdicts[("config", "env: LEVEL")] == "fail"
    assert verdicts[("probe", "gone")] == "xfail" and verdicts[("suite", "unit")] == "fail"
    assert verdicts[("criterion", "SC1: no failures")] == "fail" and verdicts[("criterion", "SC3: good ones")] == "pass"
    assert run.exit_code == 1


def test_secrets_never_reach_any_report(run):
    for name in REPORTERS:
        assert "planted-secret-value" not in render(name, run), name


def test_junit_parses_and_counts_match(run):
    root = ET.fromstring(render("junit", run))
    cases = root.findall(".//testcase")
    checks = [c for c in cases if c.get("classname", "").startswith("reports.")]
    assert len(checks) == len(run.results)
    assert len([c for c in checks if c.find("failure") is not None]) == sum(r.verdict == "fail" for r in run.results)
    tests = root.find("testsuite[@name='reports.tests.unit']")
    assert tests is not None and tests.get("tests") == "3" and tests.get("failures") == "1"


def test_json_validates_against_the_shipped_schema(run):
    data = json.loads(render("json", run))
    schema = json.loads((ROOT / "schema" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["schema_version"] == 2 and data["ok"] is False and data["exit_code"] == 1
    assert data["criteria"] == {"SC1": "fail", "SC3": "pass", "SC6": "pass", "SC9": "pass"}
    assert report_metrics(data)["group.good.passed"] == 2
    assert {t["nodeid"].split("::")[1]: t["outcome"] for t in data["run"]["tests"]} == {
        "test_ok": "passed",
        "test_ok2": "passed",
        "test_bad": "failed",
    }


def test_markdown_has_the_results_md_shape(run):
    text = render("markdown", run)
    assert text.startswith("# Test infrastructure results — reports")
    assert "| SC1 | no failures | <code>suite.unit.failed == 0</code> | suite.unit.failed=1 | ❌ fail |" in text
    assert re.search(r"\| unit/good \| 2 \| 2 \| 0 \| 0 \| 0 \| [\d.]+s \| ✅ pass \|", text)
    assert "### Not passed" in text


def test_html_is_self_contained_with_the_timeline(run):
    text = render("html", run)
    assert "<svg" in text and "service startup timeline" in text and "<script" not in text
    # nothing fetched from elsewhere (a probe's message may quote its own URL as text)
    assert not re.search(r"""(src|href)=["']?https?://""", text)
    assert text.count('fill="#0969da"><title>') == 2 and "mysql: running to healthy 8.90s" in text
    assert "SC3" in text and "good ones" in text


def test_openmetrics(run):
    text = render("openmetrics", run)
    assert text.endswith("# EOF\n")
    assert 'validator_group_passed{group="good"} 2' in text
    assert re.search(r'validator_suite_duration_seconds\{suite="unit"\} [\d.]+', text)
    assert 'validator_check_result{project="reports",kind="criterion",name="SC1: no failures",verdict="fail"} 1' in text
    for line in text.splitlines():
        assert line.startswith("#") or re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? -?[\d.e+-]+$", line), line


def test_console_puts_failures_first(run):
    text = render("console", run)
    assert text.index("FAIL") < text.index("XFAIL") and "success criteria" in text


def test_reports_are_written_atomically_and_options_parse(run, tmp_path):
    assert parse_report_option("html=out/r.html") == ("html", "out/r.html")
    assert parse_report_option("JSON") == ("json", None)
    with pytest.raises(ValueError, match="did you mean 'junit'"):
        parse_report_option("junti")
    written = write_reports(run, [("json", None), ("markdown", "custom/R.md")], ReportContext(), tmp_path)
    assert [w[0] for w in written] == ["json", "markdown"]
    assert (tmp_path / "reports" / "result.json").is_file() and (tmp_path / "custom" / "R.md").is_file()
    assert not list(tmp_path.rglob("*.tmp"))


def test_html_trend_chart_with_history(run):
    import copy

    older = []
    for index, duration in enumerate((10.0, 12.0, 11.0)):
        past = copy.deepcopy(run)
        past.started_at -= 3600 * (index + 1)
        past.metrics[key("suite.unit.duration")] = duration
        older.append(past)
    text = reporter("html").render(run, ReportContext(history=older))
    assert "<h2>Trends</h2>" in text and 'aria-label="suite.unit.duration over runs"' in text
    assert text.count("<polyline") >= 1


def test_counts_a_suite_did_not_vouch_for_are_unknown_not_zero():
    """A killed suite has no counts: Markdown and the console show '-', never a reassuring 0."""
    from validator.core.result import Result
    from validator.core.run import RunResult

    broken = RunResult(
        project="demo",
        spec_files=["infra.yaml"],
        spec_hash="0" * 64,
        started_at=1_700_000_000.0,
        finished_at=1_700_000_001.0,
    )
    broken.results = [
        Result(kind="suite", name="main", verdict="error", message="suite main was killed by SIGKILL after 2 of 4"),
        Result(kind="service", name="web", verdict="pass", actual="healthy"),
    ]
    text = render("markdown", broken)
    assert "| main | - | - | - | - | - | - | " in text
    assert "| web | healthy | - | - | - | - |" in text
    assert " 0 |" not in text.split("## Checks")[0]


def test_memory_over_the_run_is_drawn_and_the_peaks_are_in_the_services_table():
    from validator.core.metrics import Bounds, Evidence
    from validator.core.result import Result
    from validator.core.run import RunResult, UsageSeries
    from validator.reporters.json_report import load

    mib = 1024 * 1024
    run = RunResult(project="mem", spec_files=["infra.yaml"], spec_hash="h" * 12, started_at=100.0, finished_at=130.0)
    run.results = [
        Result(kind="service", name="web", verdict="pass", actual="running", metrics={key("service.web.startup"): 1.0}),
        Result(kind="service", name="db", verdict="pass", actual="running"),
    ]
    run.evidence = {
        key("service.web.memory_peak"): Evidence.exact("usage web", 40 * mib),
        key("service.web.memory_peak_ratio"): Evidence.exact("usage web", 0.625),
        key("service.web.cpu_peak"): Evidence.exact("usage web", 0.25),
        key("service.db.memory_peak"): Evidence.bounded("usage db", Bounds(low=10 * mib, why="followed late")),
        key("service.db.cpu_peak"): Evidence.unavailable("usage db", "no CPU sample"),
    }
    run.usage = [
        UsageSeries(
            service="web",
            container="mem-web-1",
            memory_limit=64 * mib,
            at=[101.0, 102.0, 103.0, 104.0],
            memory=[10 * mib, 40 * mib, None, 20 * mib],  # stopped once: two stretches
            cpu=[None, 0.25, None, 0.1],
        ),
        UsageSeries(service="db", container="mem-db-1", memory_limit=None, at=[105.0], memory=[10 * mib], cpu=[None]),
    ]
    markdown = render("markdown", run)
    assert "| Memory limit | Memory peak | CPU peak |" in markdown
    assert "| web | running | 1.00s | - | - | - | 40 MiB (62%) | 0.25 cores |" in markdown
    assert "| db | running | - | - | - | - | ≥ 10 MiB | - |" in markdown
    console = render("console", run)
    assert "memory peak" in console and "40 MiB (62%)" in console and "≥ 10 MiB" in console
    html = render("html", run)
    assert "<h2>Memory over the run</h2>" in html and "<script" not in html
    assert "web (mem-web-1): peak 40 MiB of 64 MiB (62%)" in html and "limit 64 MiB" in html
    assert html.count('<polyline fill="none" stroke="#0969da"') == 3  # web's two stretches, db's one
    assert "db (mem-db-1): peak 10 MiB</title>" in html
    data = render("json", run)
    schema = json.loads((ROOT / "schema" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(data))
    assert load(data).usage == run.usage


def test_the_json_models_carry_every_field_of_the_records():
    """A field added to Result or RunResult and forgotten in the JSON models would be dropped from every
    report and from the history without a word: each must have its JSON twin (dimensions travel inside
    each evidence entry)."""
    import dataclasses

    from validator.core.result import Result
    from validator.core.run import RunResult
    from validator.reporters.json_report import JsonResult, JsonRun

    assert {f.name for f in dataclasses.fields(Result)} <= set(JsonResult.model_fields)
    assert {f.name for f in dataclasses.fields(RunResult)} - {"dimensions"} <= set(JsonRun.model_fields)


def test_junit_replaces_exactly_the_code_points_xml_forbids():
    """XML 1.0's Char: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF; the junit writer's
    pattern names the complement, so every edge of those ranges is checked on both sides."""

    def allowed(cp: int) -> bool:
        return cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or 0x10000 <= cp <= 0x10FFFF

    edges = {0x0, 0x8, 0x9, 0xA, 0xB, 0xC, 0xD, 0xE, 0x1F, 0x20, 0x7F, 0xD7FF, 0xD800, 0xDFFF, 0xE000, 0xFFFD}
    edges |= {0xFFFE, 0xFFFF, 0x10000, 0x10FFFF}
    assert {cp for cp in edges if junit._NOT_XML.fullmatch(chr(cp))} == {cp for cp in edges if not allowed(cp)}
