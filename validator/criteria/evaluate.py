"""Judge each criterion against the run's evidence. ``decide`` is the one function that turns an
evaluation into a verdict: PASS only when the condition holds for every value the evidence allows, FAIL
when it fails for every one, ERROR otherwise, naming each metric that is not known exactly and why."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from validator.core.metrics import Evidence, MetricKey, metric_name
from validator.core.result import Result, Verdict, locate
from validator.criteria.conditions import ConditionError, parse
from validator.criteria.judge import Evaluation, Range, judge
from validator.spec.load import LoadedSpec
from validator.units import format_size


def decide(evaluation: Evaluation) -> Verdict:
    """The one place a criterion's verdict is made."""
    return {"true": "pass", "false": "fail", "unknown": "error"}[evaluation.truth]  # type: ignore[return-value]


def evaluate_criteria(
    loaded: LoadedSpec,
    evidence: Mapping[MetricKey, Evidence],
    declared: Collection[MetricKey],
    dimensions: Mapping[MetricKey, str],
) -> list[Result]:
    return [_criterion(loaded, cid, evidence, declared, dimensions) for cid in loaded.spec.criteria]


def _criterion(
    loaded: LoadedSpec,
    cid: str,
    evidence: Mapping[MetricKey, Evidence],
    declared: Collection[MetricKey],
    dimensions: Mapping[MetricKey, str],
) -> Result:
    criterion = loaded.spec.criteria[cid]
    try:
        evaluation = judge(parse(criterion.condition), evidence, declared)
    except ConditionError as exc:  # lint rejects these; kept for specs built in code
        evaluation, problem = Evaluation(truth="unknown"), str(exc)
    else:
        problem = ""
    verdict = decide(evaluation)
    if problem:
        message = problem
    elif verdict == "error":
        message = "; ".join(evaluation.missing)
    elif verdict == "fail" and evaluation.failing:
        message = f"failing: {', '.join(evaluation.failing)}"
    else:
        message = ""
    return Result(
        kind="criterion",
        name=f"{cid}: {criterion.title}",
        id=cid,
        title=criterion.title,
        verdict=verdict,
        expected=criterion.condition,
        actual=", ".join(_shown(k, r, dimensions.get(k, "")) for k, r in evaluation.ranges.items()),
        message=message,
        location=locate(loaded, ("criteria", cid, "condition")),
        # the verdict as a metric only when it is one: an error has no value to trend
        metrics={} if verdict == "error" else {metric_name("criterion", cid, "passed"): float(verdict == "pass")},
        reads=tuple(evaluation.reads),
    )


def _fmt(value: float, dimension: str) -> str:
    if dimension == "time":
        return f"{value:.2f}s"
    if dimension == "size":
        return format_size(value)
    return f"{value:g}"


def _shown(key: MetricKey, r: Range, dimension: str) -> str:
    if r.exact:
        return f"{key}={_fmt(r.low, dimension)}"
    if r.low == -float("inf") and r.high == float("inf"):
        return f"{key}=unavailable"
    if r.high == float("inf"):
        return f"{key}>={_fmt(r.low, dimension)}"
    if r.low == -float("inf"):
        return f"{key}<={_fmt(r.high, dimension)}"
    return f"{key} in [{_fmt(r.low, dimension)}, {_fmt(r.high, dimension)}]"


def not_judged(loaded: LoadedSpec, why: str) -> list[Result]:
    """Every criterion of a run that stopped before its verdict (interrupted): an error, never a pass."""
    return [
        Result(
            kind="criterion",
            name=f"{cid}: {criterion.title}",
            id=cid,
            title=criterion.title,
            verdict="error",
            expected=criterion.condition,
            actual="not judged",
            message=f"not judged: {why}",
            location=locate(loaded, ("criteria", cid, "condition")),
        )
        for cid, criterion in loaded.spec.criteria.items()
    ]
