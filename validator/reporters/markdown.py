"""Markdown: a RESULTS.md in the shape the checklist asks for (T325) — the criteria table, counts per
test group, service timings and memory and CPU peaks, and what did not pass. Also the GitHub step
summary when run there."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from validator.core.metrics import metric_name
from validator.core.result import Result
from validator.core.run import RunResult
from validator.redact import clip
from validator.reporters.context import ReportContext
from validator.reporters.peaks import peak
from validator.units import format_duration, format_size

DEFAULT_PATH: str | None = "reports/RESULTS.md"
_ICON = {"pass": "✅ pass", "fail": "❌ fail", "error": "⛔ error", "skip": "⏭ skip", "xfail": "☑️ expected failure"}


_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")  # inside a cell: no block syntax can start, only inline


_COUNTS = ("total", "passed", "failed", "skipped", "errors")


def _cell(text: str) -> str:
    """Text as inert table-cell content: HTML escaped (GitHub renders raw HTML in RESULTS.md and in
    the step summary), Markdown punctuation backslash-escaped (no links, code spans or emphasis),
    line breaks as <br>."""
    escaped = html.escape(text, quote=False)
    return _MARKDOWN.sub(r"\\\1", escaped).replace("\r", "").replace("\n", "<br>")


def render(run: RunResult, ctx: ReportContext) -> str:
    checks = [r for r in run.results if r.kind not in ("criterion",)]
    sections = (_header(run), _criteria(run), _suites(run), _services(run), _checks(checks), _not_passed(checks))
    return "\n".join(line for section in sections for line in section)


def _header(run: RunResult) -> list[str]:
    when = datetime.fromtimestamp(run.started_at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return [
        f"# Test infrastructure results — {run.project}",
        "",
        f"Run {when} · {format_duration(run.duration)} · spec `{run.spec_hash[:12]}`"
        + (f" · commit `{run.git_commit[:12]}`" if run.git_commit else "")
        + f" · **{run.outcome}** (exit {run.exit_code})",
        "",
    ]


def _criteria(run: RunResult) -> list[str]:
    criteria = run.by_kind("criterion")
    if not criteria:
        return []
    lines = [
        "## Success criteria",
        "",
        "| ID | Criterion | Condition | Measured | Result |",
        "|---|---|---|---|---|",
    ]
    for r in criteria:
        cid, title = r.id, r.title
        measured = r.actual + (f" ({r.message})" if r.message else "")
        lines.append(
            f"| {_cell(cid)} | {_cell(title)} | <code>{_cell(r.expected)}</code> | {_cell(measured)} "
            f"| {_ICON[r.verdict]} |"
        )
    return [*lines, ""]


def _suites(run: RunResult) -> list[str]:
    suites = [r for r in run.results if r.kind in ("suite", "group")]
    if not suites:
        return []
    lines = [
        "## Test suites and groups",
        "",
        "| Suite / group | Total | Passed | Failed | Skipped | Errors | Duration | Result |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in suites:
        values = [r.metrics.get(metric_name(r.kind, r.id, f)) for f in _COUNTS]
        # a count the suite did not vouch for (killed, no results...) is shown as unknown, never 0
        counts = " | ".join("-" if v is None else f"{v:.0f}" for v in values)
        duration = r.metrics.get(metric_name(r.kind, r.id, "duration"))
        took = "-" if duration is None else f"{duration:.1f}s"
        lines.append(f"| {_cell(r.name)} | {counts} | {took} | {_ICON[r.verdict]} |")
    return [*lines, ""]


def _services(run: RunResult) -> list[str]:
    services = run.by_kind("service")
    if not services:
        return []
    lines = [
        "## Services",
        "",
        "| Service | State | Startup | Healthy | Restarts | Memory limit | Memory peak | CPU peak |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in services:
        m, n = r.metrics, r.id
        startup, healthy = m.get(metric_name("service", n, "startup")), m.get(metric_name("service", n, "healthy"))
        memory, restarts = (
            m.get(metric_name("service", n, "memory_limit")),
            m.get(metric_name("service", n, "restarts")),
        )
        lines.append(
            f"| {_cell(n)} | {_cell(r.actual or r.verdict)} | {'-' if startup is None else f'{startup:.2f}s'} | "
            f"{'-' if healthy is None else f'{healthy:.2f}s'} | {'-' if restarts is None else f'{restarts:.0f}'} | "
            f"{'-' if memory is None else format_size(memory)} | {peak(run, n, 'memory_peak')} | "
            f"{peak(run, n, 'cpu_peak')} |"
        )
    return [*lines, ""]


def _checks(checks: list[Result]) -> list[str]:
    lines = [
        "## Checks",
        "",
        "| Kind | Passed | Failed | Errors | Skipped | Expected failures |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind in sorted({r.kind for r in checks}):
        group = [r for r in checks if r.kind == kind]
        lines.append(
            f"| {_cell(kind)} | "
            + " | ".join(str(sum(r.verdict == v for r in group)) for v in ("pass", "fail", "error", "skip", "xfail"))
            + " |"
        )
    return [*lines, ""]


def _not_passed(checks: list[Result]) -> list[str]:
    problems = [r for r in checks if r.verdict != "pass"]
    if not problems:
        return []
    lines = [
        "### Not passed",
        "",
        "| Result | Kind | Name | Expected | Actual | Message |",
        "|---|---|---|---|---|---|",
    ]
    for r in problems:
        lines.append(
            f"| {_ICON[r.verdict]} | {_cell(r.kind)} | {_cell(r.name)} | {_cell(r.expected)} | {_cell(r.actual)} | "
            f"{_cell(clip(r.message, 300))} |"
        )
    return [*lines, ""]
