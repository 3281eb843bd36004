"""HTML: one self-contained page — verdict, criteria, a startup timeline per service (create ->
running -> healthy) and each container's memory over the run against its limit, drawn as SVG, the
test groups, every check; with history, a trend chart."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from validator.core.metrics import MetricKey
from validator.core.run import RunResult, UsageSeries
from validator.redact import clip
from validator.reporters.context import ReportContext
from validator.units import format_duration, format_size

DEFAULT_PATH: str | None = "reports/report.html"
_COLOR = {"pass": "#1a7f37", "fail": "#cf222e", "error": "#a40e26", "skip": "#9a6700", "xfail": "#0969da"}
_CSS = "".join(
    [
        "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;"
        "max-width:1100px;color:#1f2328;padding:0 1rem}",
        "h1{font-size:1.5rem;margin:0 0 .25rem}",
        "h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}",
        ".meta{color:#57606a}",
        ".badge{display:inline-block;padding:.15rem .6rem;border-radius:1rem;color:#fff;font-weight:600}",
        "table{border-collapse:collapse;width:100%;margin:.5rem 0}",
        "th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}",
        "th{background:#f6f8fa}",
        "td{overflow-wrap:anywhere}",
        "td.num{text-align:right;font-variant-numeric:tabular-nums}",
        "code{font-size:12px;background:#f6f8fa;padding:0 .2rem}",
        ".v{font-weight:600;white-space:nowrap}",
        ".tally span{margin-right:1rem}",
        "svg text{font:12px system-ui,sans-serif}",
    ]
)


def _e(text: object) -> str:
    return html.escape(str(text))


def _verdict(verdict: str) -> str:
    return f'<span class="v" style="color:{_COLOR[verdict]}">{verdict.upper()}</span>'


def timeline_svg(run: RunResult) -> str:
    """Bars per service: startup (request -> running) then health wait (running -> healthy)."""
    rows = [t for t in run.timeline if t.running_at is not None]
    if not rows:
        return "<p>No service was created or started in this run (nothing changed), so there is no timeline.</p>"
    origin = min(t.requested_at for t in rows)
    end = max((t.healthy_at or t.running_at or t.requested_at) for t in rows)
    span = max(end - origin, 0.5)
    width, left, bar, gap = 900, 150, 18, 10
    scale = (width - left - 60) / span
    height = 40 + len(rows) * (bar + gap) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="service startup timeline" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
    ]
    ticks = _ticks(span)
    for tick in ticks:
        x = left + tick * scale
        out.append(f'<line x1="{x:.1f}" y1="25" x2="{x:.1f}" y2="{height - 25}" stroke="#d0d7de"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{tick:g}s</text>')
    for index, t in enumerate(rows):
        y = 35 + index * (bar + gap)
        start = left + (t.requested_at - origin) * scale
        running = left + ((t.running_at or t.requested_at) - origin) * scale
        out.append(f'<text x="{left - 8}" y="{y + bar - 4}" text-anchor="end">{_e(t.service)}</text>')
        out.append(
            f'<rect x="{start:.1f}" y="{y}" width="{max(running - start, 1.5):.1f}" height="{bar}" fill="#0969da">'
            f"<title>{_e(t.service)}: create to running {(t.running_at or 0) - t.requested_at:.2f}s</title></rect>"
        )
        if t.healthy_at is not None:
            healthy = left + (t.healthy_at - origin) * scale
            out.append(
                f'<rect x="{running:.1f}" y="{y}" width="{max(healthy - running, 1.5):.1f}" height="{bar}" '
                f'fill="#1a7f37"><title>{_e(t.service)}: running to healthy '
                f"{t.healthy_at - (t.running_at or 0):.2f}s</title></rect>"
            )
            out.append(f'<text x="{healthy + 4:.1f}" y="{y + bar - 4}">{t.healthy_at - t.requested_at:.1f}s</text>')
    out.append(
        f'<rect x="{left}" y="5" width="12" height="12" fill="#0969da"/>'
        f'<text x="{left + 16}" y="15">create → running</text>'
    )
    out.append(
        f'<rect x="{left + 140}" y="5" width="12" height="12" fill="#1a7f37"/>'
        f'<text x="{left + 156}" y="15">running → healthy</text>'
    )
    out.append("</svg>")
    return "".join(out)


def memory_svg(run: RunResult) -> str:
    """Per container, its memory over the run (the highest sample of each point) against its limit."""
    series = [u for u in run.usage if any(m is not None for m in u.memory)]
    if not series:
        return "<p>No memory was sampled in this run.</p>"
    origin = min(min(u.at) for u in series)
    span = max(max(max(u.at) for u in series) - origin, 1.0)
    return "".join(_memory_chart(u, origin, span) for u in series)


def _memory_chart(u: UsageSeries, origin: float, span: float) -> str:
    width, height, left, top, bottom = 440, 130, 64, 22, 22
    peak = max(m for m in u.memory if m is not None)
    top_value = max(peak, u.memory_limit or 0.0) * 1.08 or 1.0
    x_scale, y_scale = (width - left - 12) / span, (height - top - bottom) / top_value

    def xy(at: float, value: float) -> str:
        return f"{left + (at - origin) * x_scale:.1f},{height - bottom - value * y_scale:.1f}"

    # a run of samples per stretch the container was running (None: not running, a gap in the line)
    runs: list[list[str]] = [[]]
    for at, value in zip(u.at, u.memory, strict=False):
        if value is None:
            runs.append([])
        else:
            runs[-1].append(xy(at, value))
    lines = "".join(
        f'<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="{" ".join(points)}"/>'
        for points in runs
        if points
    )
    title = f"{u.service} ({u.container}): peak {format_size(peak)}"
    limit = ""
    if u.memory_limit:
        y = height - bottom - u.memory_limit * y_scale
        title += f" of {format_size(u.memory_limit)} ({100 * peak / u.memory_limit:.0f}%)"
        limit = (
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 12}" y2="{y:.1f}" stroke="#cf222e" stroke-dasharray="4 3"/>'
            f'<text x="{width - 12}" y="{y - 3:.1f}" text-anchor="end" fill="#cf222e">limit '
            f"{_e(format_size(u.memory_limit))}</text>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_e(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><title>{_e(title)}</title>'
        f'<text x="{left}" y="14">{_e(title)}</text>'
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 12}" y2="{height - bottom}" stroke="#d0d7de"/>'
        f'<text x="{left - 6}" y="{height - bottom}" text-anchor="end">0</text>'
        f'<text x="{left - 6}" y="{height - bottom - top_value / 1.08 * y_scale + 4:.1f}" text-anchor="end">'
        f"{_e(format_size(top_value / 1.08))}</text>"
        f'<text x="{width - 12}" y="{height - 6}" text-anchor="end">{span:.0f}s</text>'
        f"{limit}{lines}</svg>"
    )


def _ticks(span: float) -> list[float]:
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300):
        if span / step <= 10:
            return [i * step for i in range(int(span / step) + 2)]
    return [0.0, span]


def trend_svg(runs: list[RunResult], metric: MetricKey) -> str:
    points = [(r.started_at, r.metrics[metric]) for r in reversed(runs) if metric in r.metrics]
    if len(points) < 2:
        return ""
    width, height, pad = 420, 120, 30
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    hi = hi if hi > lo else lo + 1
    step = (width - 2 * pad) / (len(points) - 1)
    coords = [
        (pad + i * step, height - pad - (v - lo) / (hi - lo) * (height - 2 * pad)) for i, (_, v) in enumerate(points)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#0969da"><title>{v:g}</title></circle>'
        for (x, y), (_, v) in zip(coords, points, strict=True)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{_e(str(metric))} over runs"><text x="{pad}" y="14">{_e(str(metric))}</text>'
        f'<polyline fill="none" stroke="#0969da" stroke-width="2" points="{path}"/>{dots}'
        f'<text x="{pad}" y="{height - 8}">min {lo:g}</text><text x="{width - pad}" y="{height - 8}" '
        f'text-anchor="end">max {hi:g}</text></svg>'
    )


def criterion_metrics(run: RunResult) -> set[MetricKey]:
    """The metrics the criteria of this run read."""
    return {key for r in run.by_kind("criterion") for key in r.reads}


def render(run: RunResult, ctx: ReportContext) -> str:
    when = datetime.fromtimestamp(run.started_at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    counts = run.counts()
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>validator — {_e(run.project)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(run.project)} <span class='badge' style='background:{_COLOR['pass' if run.ok else 'fail']}'>"
        f"{_e(run.outcome)}</span></h1>",
        f"<p class='meta'>{when} · {format_duration(run.duration)} · spec <code>{_e(run.spec_hash[:12])}</code>"
        + (f" · commit <code>{_e(run.git_commit[:12])}</code>" if run.git_commit else "")
        + "</p>",
        "<p class='tally'>"
        + "".join(
            f"<span style='color:{_COLOR[v]}'>{counts.get(v, 0)} {v}</span>"
            for v in ("pass", "fail", "error", "skip", "xfail")
        )
        + "</p>",
    ]
    criteria = run.by_kind("criterion")
    if criteria:
        parts.append(
            "<h2>Success criteria</h2><table><tr><th>ID</th><th>Criterion</th><th>Condition</th>"
            "<th>Measured</th><th>Result</th></tr>"
        )
        for r in criteria:
            cid, title = r.id, r.title
            parts.append(
                f"<tr><td>{_e(cid)}</td><td>{_e(title)}</td><td><code>{_e(r.expected)}</code></td>"
                f"<td>{_e(r.actual)}{'<br>' + _e(r.message) if r.message else ''}</td>"
                f"<td>{_verdict(r.verdict)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("<h2>Service startup timeline</h2>")
    parts.append(timeline_svg(run))
    if run.usage:
        parts.append("<h2>Memory over the run</h2>")
        parts.append(memory_svg(run))
    suites = [r for r in run.results if r.kind in ("suite", "group")]
    if suites:
        parts.append(
            "<h2>Test suites and groups</h2><table><tr><th>Suite / group</th><th>Measured</th><th>Result</th></tr>"
        )
        for r in suites:
            parts.append(f"<tr><td>{_e(r.name)}</td><td>{_e(r.actual)}</td><td>{_verdict(r.verdict)}</td></tr>")
        parts.append("</table>")
    if ctx.history:
        metrics = sorted(criterion_metrics(run))
        charts = [trend_svg([run, *ctx.history], m) for m in metrics]
        if any(charts):
            parts.append("<h2>Trends</h2>" + "".join(c for c in charts if c))
    order = {"error": 0, "fail": 1, "xfail": 2, "skip": 3, "pass": 4}
    parts.append(
        "<h2>Checks</h2><table><tr><th>Result</th><th>Kind</th><th>Name</th><th>Expected</th><th>Actual</th>"
        "<th>Message</th></tr>"
    )
    for r in sorted(
        (r for r in run.results if r.kind != "criterion"), key=lambda r: (order[r.verdict], r.kind, r.name)
    ):
        parts.append(
            f"<tr><td>{_verdict(r.verdict)}</td><td>{_e(r.kind)}</td><td>{_e(r.name)}</td>"
            f"<td>{_e(r.expected)}</td><td>{_e(r.actual)}</td><td>{_e(clip(r.message, 500))}</td></tr>"
        )
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"
