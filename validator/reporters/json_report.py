"""JSON: every result, every metric's evidence, criterion, test and the services' timeline, in a
documented, versioned shape (``schema/report.schema.json``, generated from ``JsonReport``).

The JSON shape is its own set of models, not the run's records dumped: a metric's identity is an object
(``{"family", "member", "field"}``), never a dotted name a reader would have to split, and each value
says what its evidence allows (``low`` .. ``high``, null for no bound). ``load`` turns a report back
into the run's records (``validator report`` re-renders it).
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ConfigDict

from validator import __version__
from validator.core.location import Location
from validator.core.metrics import Bounds, Evidence, MetricKey
from validator.core.result import Kind, Result, Verdict
from validator.core.run import SCHEMA_VERSION, RunResult, ServiceTimeline, TestCase, UsageSeries
from validator.reporters.context import ReportContext

DEFAULT_PATH: str | None = "reports/result.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JsonKey(_Model):
    family: str
    member: str = ""
    field: str


class JsonValue(_Model):
    key: JsonKey
    value: float


class JsonBound(_Model):
    key: JsonKey
    low: float | None
    high: float | None
    why: str


class JsonUnavailable(_Model):
    key: JsonKey
    reason: str


class JsonLocation(_Model):
    file: str
    line: int
    col: int


class JsonResult(_Model):
    kind: Kind
    name: str
    id: str
    parent: str = ""
    title: str = ""
    verdict: Verdict
    expected: str = ""
    actual: str = ""
    message: str = ""
    duration: float = 0.0
    location: JsonLocation | None = None
    target: str | None = None
    ran_on: str | None = None  # the machine a probe ran on
    metrics: list[JsonValue] = []
    bounds: list[JsonBound] = []
    unavailable: list[JsonUnavailable] = []
    reads: list[JsonKey] = []


class JsonEvidence(_Model):
    """What the run knows of one metric: exact when ``low == high``; null is no bound on that side."""

    key: JsonKey
    producer: str
    low: float | None
    high: float | None
    reason: str = ""
    dimension: str | None = None  # "time" (seconds), "size" (bytes), "" (counts and flags)


class JsonTimeline(_Model):
    service: str
    requested_at: float
    running_at: float | None
    healthy_at: float | None


class JsonUsage(_Model):
    """One container's memory (bytes) and CPU (cores) over the run, as parallel columns; null where it
    was not running. A few hundred points at most, each the highest of the samples it stands for."""

    service: str
    container: str
    memory_limit: float | None
    at: list[float] = []
    memory: list[float | None] = []
    cpu: list[float | None] = []


class JsonTest(_Model):
    suite: str
    nodeid: str
    outcome: str
    duration: float
    groups: list[str] = []
    message: str = ""
    markers: list[str] = []


class JsonRun(_Model):
    project: str
    spec_files: list[str]
    spec_hash: str
    started_at: float
    finished_at: float
    git_commit: str | None = None
    engine: str | None = None
    targets: list[str] = []
    mode: str = "up"
    invocation: str = ""
    results: list[JsonResult] = []
    evidence: list[JsonEvidence] = []
    timeline: list[JsonTimeline] = []
    usage: list[JsonUsage] = []
    # a run that reached no verdict says why: the signal that stopped it, or the engine's loss
    interrupted: str | None = None
    engine_lost: str | None = None
    tests: list[JsonTest] = []


class JsonReport(_Model):
    """The JSON report: ``run`` is the whole record; the rest are summaries of it."""

    schema_version: int
    validator: str
    ok: bool
    exit_code: int
    duration: float
    counts: dict[str, int]
    criteria: dict[str, Verdict] = {}  # criterion id -> verdict
    run: JsonRun


# --- records -> JSON ------------------------------------------------------------------------------


def _key(key: MetricKey) -> JsonKey:
    return JsonKey(family=key.family, member=key.member, field=key.field)


def _finite(value: float | None) -> float | None:
    """JSON holds no NaN or infinity: a bound that is not a finite number is no bound (null)."""
    return value if value is not None and math.isfinite(value) else None


def _result(r: Result) -> JsonResult:
    loc = r.location
    return JsonResult(
        kind=r.kind,
        name=r.name,
        id=r.id,
        parent=r.parent,
        title=r.title,
        verdict=r.verdict,
        expected=r.expected,
        actual=r.actual,
        message=r.message,
        duration=r.duration if math.isfinite(r.duration) else 0.0,
        location=JsonLocation(file=loc.file, line=loc.line, col=loc.col) if loc else None,
        target=r.target,
        ran_on=r.ran_on,
        metrics=[JsonValue(key=_key(k), value=v) for k, v in r.metrics.items() if math.isfinite(v)],
        bounds=[
            JsonBound(key=_key(k), low=_finite(b.low), high=_finite(b.high), why=b.why) for k, b in r.bounds.items()
        ],
        unavailable=[JsonUnavailable(key=_key(k), reason=why) for k, why in r.unavailable.items()],
        reads=[_key(k) for k in r.reads],
    )


def _usage(u: UsageSeries) -> JsonUsage:
    return JsonUsage(
        service=u.service,
        container=u.container,
        memory_limit=_finite(u.memory_limit),
        at=list(u.at),
        memory=[_finite(v) for v in u.memory],
        cpu=[_finite(v) for v in u.cpu],
    )


def build(run: RunResult) -> JsonReport:
    run = finite(run)
    return JsonReport(
        schema_version=SCHEMA_VERSION,
        validator=__version__,
        ok=run.ok,
        exit_code=run.exit_code,
        duration=run.duration,
        counts=dict(run.counts()),
        criteria={r.id: r.verdict for r in run.by_kind("criterion")},
        run=JsonRun(
            project=run.project,
            spec_files=run.spec_files,
            spec_hash=run.spec_hash,
            started_at=run.started_at,
            finished_at=run.finished_at,
            git_commit=run.git_commit,
            engine=run.engine,
            targets=run.targets,
            mode=run.mode,
            invocation=run.invocation,
            results=[_result(r) for r in run.results],
            evidence=[
                JsonEvidence(
                    key=_key(k),
                    producer=e.producer,
                    low=_finite(e.low),
                    high=_finite(e.high),
                    reason=e.reason,
                    dimension=run.dimensions.get(k),
                )
                for k, e in run.evidence.items()
            ],
            timeline=[JsonTimeline.model_validate(t, from_attributes=True) for t in run.timeline],
            usage=[_usage(u) for u in run.usage],
            interrupted=run.interrupted,
            engine_lost=run.engine_lost,
            tests=[JsonTest.model_validate(t, from_attributes=True) for t in run.tests],
        ),
    )


def render(run: RunResult, ctx: ReportContext) -> str:
    data = build(run).model_dump(mode="json")
    return json.dumps(_nulls(data), indent=2, sort_keys=True, allow_nan=False) + "\n"


def finite(run: RunResult) -> RunResult:
    """``run`` with an error result naming every value that is not a finite number, which JSON cannot
    hold: such a metric is written as no value (a criterion reading it was already not a pass), a
    duration as 0 — and the run must not look green because of what JSON dropped."""
    import dataclasses

    bad = [f"{k} of {r.kind} {r.name}" for r in run.results for k, v in r.metrics.items() if not math.isfinite(v)]
    bad += [f"duration of {r.kind} {r.name}" for r in run.results if not math.isfinite(r.duration)]
    if not bad:
        return run
    names = ", ".join(sorted(set(bad))[:10])
    error = Result(
        kind="report",
        name="values are numbers",
        verdict="error",
        expected="finite numbers",
        actual="NaN or infinite",
        message=names,
    )
    return dataclasses.replace(run, results=[*run.results, error])


def _nulls(node: Any) -> Any:
    """Any other NaN or infinity (a timeline instant) as null; a lone surrogate (undecodable output a
    test printed) as U+FFFD, since strict JSON parsers reject it."""
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
    generated = JsonReport.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://validator.dev/schema/report.schema.json",
        "title": f"validator check report (schema_version {SCHEMA_VERSION})",
        **generated,
    }


# --- JSON -> records ------------------------------------------------------------------------------


class OldReport(ValueError):
    """A report in an older shape than this validator reads."""


def _metric_key(key: JsonKey) -> MetricKey:
    return MetricKey(family=key.family, member=key.member, field=key.field)


def _back(r: JsonResult) -> Result:
    loc = r.location
    return Result(
        kind=r.kind,
        name=r.name,
        id=r.id,
        parent=r.parent,
        title=r.title,
        verdict=r.verdict,
        expected=r.expected,
        actual=r.actual,
        message=r.message,
        duration=r.duration,
        location=Location(loc.file, loc.line, loc.col) if loc else None,
        target=r.target,
        ran_on=r.ran_on,
        metrics={_metric_key(m.key): m.value for m in r.metrics},
        bounds={_metric_key(b.key): Bounds(low=b.low, high=b.high, why=b.why) for b in r.bounds},
        unavailable={_metric_key(u.key): u.reason for u in r.unavailable},
        reads=tuple(_metric_key(k) for k in r.reads),
    )


def load(text: str) -> RunResult:
    """A RunResult back from a JSON report. ``OldReport`` for a report of an older schema version."""
    version = json.loads(text).get("schema_version")
    if version != SCHEMA_VERSION:
        raise OldReport(f"the report has schema_version {version}; this validator reads {SCHEMA_VERSION}")
    report = JsonReport.model_validate_json(text).run
    return RunResult(
        project=report.project,
        spec_files=report.spec_files,
        spec_hash=report.spec_hash,
        started_at=report.started_at,
        finished_at=report.finished_at,
        git_commit=report.git_commit,
        engine=report.engine,
        targets=report.targets,
        mode=report.mode,
        invocation=report.invocation,
        results=[_back(r) for r in report.results],
        evidence={
            _metric_key(e.key): Evidence(producer=e.producer, low=e.low, high=e.high, reason=e.reason)
            for e in report.evidence
        },
        dimensions={_metric_key(e.key): e.dimension for e in report.evidence if e.dimension is not None},
        timeline=[ServiceTimeline(**t.model_dump()) for t in report.timeline],
        usage=[UsageSeries(**u.model_dump()) for u in report.usage],
        interrupted=report.interrupted,
        engine_lost=report.engine_lost,
        tests=[TestCase(**t.model_dump()) for t in report.tests],
    )
