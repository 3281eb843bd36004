"""JSON: every result, metric, criterion, test and the services' timeline, in a documented,
versioned shape (``schema/report.schema.json``, generated from ``JsonReport``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from validator import __version__
from validator.core.run import SCHEMA_VERSION, RunResult
from validator.reporters.registry import ReportContext

DEFAULT_PATH: str | None = "reports/result.json"


@dataclass
class JsonReport:
    """The JSON report: ``run`` is the whole record; the rest are summaries of it."""

    schema_version: int
    validator: str
    ok: bool
    exit_code: int
    duration: float
    counts: dict[str, int]
    run: RunResult
    criteria: dict[str, str] = field(default_factory=dict)


def build(run: RunResult) -> JsonReport:
    criteria: dict[str, str] = {r.name.split(":", 1)[0]: r.verdict for r in run.by_kind("criterion")}
    return JsonReport(
        SCHEMA_VERSION, __version__, run.ok, run.exit_code, run.duration, dict(run.counts()), run, criteria
    )


def render(run: RunResult, ctx: ReportContext) -> str:
    from dataclasses import asdict

    data = asdict(build(finite(run)))
    return json.dumps(_nulls(data), indent=2, sort_keys=True, default=str, allow_nan=False) + "\n"


def finite(run: RunResult) -> RunResult:
    """``run`` without NaN or infinite numbers, which JSON cannot hold: a metric that is not a number
    is dropped (so a criterion reading it is an error, never a pass), a duration becomes 0, and the
    run gains an error result naming them (a green verdict must not rest on a value that is no number)."""
    import dataclasses
    import math

    from validator.core.result import Result

    bad: list[str] = []

    def clean(metrics: dict[str, float], where: str) -> dict[str, float]:
        kept = {k: v for k, v in metrics.items() if math.isfinite(v)}
        bad.extend(f"{where}{k}" for k in metrics if k not in kept)
        return kept

    results = []
    for result in run.results:
        metrics = clean(result.metrics, "")
        duration = result.duration if math.isfinite(result.duration) else 0.0
        if duration != result.duration:
            bad.append(f"duration of {result.kind} {result.name}")
        if metrics != result.metrics or duration != result.duration:
            result = dataclasses.replace(result, metrics=metrics, duration=duration)
        results.append(result)
    metrics = clean(run.metrics, "")
    if not bad:
        return run
    names = ", ".join(sorted(set(bad))[:10])
    results.append(
        Result(
            kind="report",
            name="values are numbers",
            verdict="error",
            expected="finite numbers",
            actual="NaN or infinite",
            message=names,
        )
    )
    return dataclasses.replace(run, results=results, metrics=metrics)


def _nulls(node: Any) -> Any:
    """Any other NaN or infinity (a timeline instant) as null; a lone surrogate (undecodable output a
    test printed) as U+FFFD, since strict JSON parsers reject it."""
    import math

    if isinstance(node, float) and not math.isfinite(node):
        return None
    if isinstance(node, str):
        return node.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(node, dict):
        return {k: _nulls(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_nulls(v) for v in node]
    return node


def schema() -> dict[str, Any]:
    from pydantic import TypeAdapter

    generated = TypeAdapter(JsonReport).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://validator.dev/schema/report.schema.json",
        "title": f"validator check report (schema_version {SCHEMA_VERSION})",
        **generated,
    }


def load(text: str) -> RunResult:
    """A RunResult back from a JSON report (``validator report`` re-renders it)."""
    from pydantic import TypeAdapter

    return TypeAdapter(JsonReport).validate_json(text).run
