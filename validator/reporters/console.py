"""Console: a summary a person reads in a terminal — failures first, expected vs actual, then the
criteria, the services' timings and the tally. (Loaded only to render: rich is imported here, not by
the registry.)"""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from validator.core.metrics import metric_name
from validator.core.result import Result
from validator.core.run import RunResult
from validator.redact import clip
from validator.reporters.context import ReportContext
from validator.reporters.peaks import peak
from validator.units import format_duration

DEFAULT_PATH: str | None = None
_STYLE = {"pass": "green", "fail": "red", "error": "red bold", "skip": "yellow", "xfail": "cyan"}
_ORDER = {"error": 0, "fail": 1, "xfail": 2, "skip": 3, "pass": 4}


def render(run: RunResult, ctx: ReportContext) -> str:
    buffer = io.StringIO()
    # results carry text from probes, logs and tests: never read as rich markup or emoji codes
    # ('[/x]' would crash the run, '[link=...]' would render), every cell is a plain Text
    console = Console(
        file=buffer,
        width=140,
        force_terminal=ctx.color,
        no_color=not ctx.color,
        highlight=False,
        markup=False,
        emoji=False,
    )
    console.print(_headline(run))
    if run.interrupted or run.engine_lost:
        why = f"the run was interrupted by {run.interrupted}" if run.interrupted else str(run.engine_lost)
        console.print(Text(f"no verdict: {why}; below is what it knew, the rest is ERROR", "red"))
    for table in (_checks(run, ctx), _criteria(run), _services(run)):
        if table is not None:
            console.print(table)
    console.print(Text(f"{len(run.results)} results: {_tally(run)}"))
    return buffer.getvalue()


def _headline(run: RunResult) -> Text:
    return Text.assemble(
        ("validator check ", "bold"),
        f"— project {run.project} — {format_duration(run.duration)} — ",
        (f"{run.outcome} (exit {run.exit_code})", "green bold" if run.ok else "red bold"),
    )


def _checks(run: RunResult, ctx: ReportContext) -> Table | None:
    checks = [r for r in run.results if r.kind != "criterion"]
    shown = checks if ctx.verbose else [r for r in checks if r.verdict != "pass"]
    if not shown:
        return None
    table = Table(
        title="checks" if ctx.verbose else "checks that did not pass",
        title_justify="left",
        show_lines=False,
        expand=False,
    )
    for column in ("verdict", "kind", "name", "expected", "actual", "message"):
        table.add_column(column, overflow="fold", max_width=48 if column in ("message", "actual") else None)
    for result in sorted(shown, key=lambda r: (_ORDER[r.verdict], r.kind, r.name)):
        table.add_row(
            Text(result.verdict.upper(), style=_STYLE[result.verdict]),
            Text(result.kind),
            Text(result.name),
            Text(result.expected),
            Text(result.actual),
            Text(_short(result)),
        )
    return table


def _criteria(run: RunResult) -> Table | None:
    criteria = run.by_kind("criterion")
    if not criteria:
        return None
    table = Table(title="success criteria", title_justify="left")
    for column in ("verdict", "criterion", "condition", "measured"):
        table.add_column(column, overflow="fold", max_width=60 if column == "measured" else None)
    for result in criteria:
        measured = result.actual + (f" — {result.message}" if result.message else "")
        table.add_row(
            Text(result.verdict.upper(), style=_STYLE[result.verdict]),
            Text(result.name),
            Text(result.expected),
            Text(measured),
        )
    return table


def _services(run: RunResult) -> Table | None:
    services = run.by_kind("service")
    if not services:
        return None
    table = Table(title="services", title_justify="left")
    for column in ("service", "state", "startup", "healthy", "restarts", "memory peak"):
        table.add_column(column)
    for result in services:
        m = result.metrics
        name = result.id
        table.add_row(
            Text(name),
            Text(result.actual or result.verdict, style=_STYLE[result.verdict]),
            _secs(m.get(metric_name("service", name, "startup"))),
            _secs(m.get(metric_name("service", name, "healthy"))),
            _count(m.get(metric_name("service", name, "restarts"))),
            Text(peak(run, name, "memory_peak")),
        )
    return table


def _tally(run: RunResult) -> str:
    counts = run.counts()
    return ", ".join(
        f"{counts.get(v, 0)} {label}"
        for v, label in (
            ("pass", "passed"),
            ("fail", "failed"),
            ("error", "errors"),
            ("skip", "skipped"),
            ("xfail", "expected failures"),
        )
    )


def _count(value: float | None) -> str:
    return "-" if value is None else str(int(value))  # not measured is not 0


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


def _short(result: Result) -> str:
    message = result.message.strip()
    first = message.splitlines()[0] if message else ""
    where = f" [ran on {result.ran_on}]" if result.ran_on else ""
    return clip(first, 300) + where
