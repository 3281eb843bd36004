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

    return json.dumps(asdict(build(run)), indent=2, sort_keys=True, default=str) + "\n"


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
