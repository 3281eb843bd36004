"""Judge each criterion against the run's metrics: pass or fail with the actual values and the
failing wildcard members. A metric that was not measured, whose producer did not finish normally, or
that is not a finite number makes the criterion an error naming it and why — never a pass."""

from __future__ import annotations

from collections.abc import Mapping

from validator.core.metrics import catalog, metric_name
from validator.core.result import Result, locate
from validator.criteria.conditions import ConditionError, NotMeasured, evaluate, parse
from validator.spec.load import LoadedSpec


def evaluate_criteria(
    loaded: LoadedSpec,
    metrics: Mapping[str, float],
    dimensions: Mapping[str, str],
    unavailable: Mapping[str, str] | None = None,
) -> list[Result]:
    declared = list(catalog(loaded.spec))
    out = []
    for cid, criterion in loaded.spec.criteria.items():
        where = locate(loaded, ("criteria", cid, "condition"))
        name = f"{cid}: {criterion.title}"
        try:
            outcome = evaluate(parse(criterion.condition), metrics, dimensions, unavailable or {}, declared)
        except NotMeasured as exc:
            reason = str(exc)
            if reason.endswith("was not measured") or reason.startswith("no measured metric"):
                reason += ": the check that measures it did not run"
            out.append(
                Result(
                    kind="criterion",
                    name=name,
                    verdict="error",
                    expected=criterion.condition,
                    actual="unavailable",
                    message=reason,
                    location=where,
                )
            )
            continue
        except ConditionError as exc:  # lint rejects these; kept for specs built in code
            out.append(
                Result(
                    kind="criterion",
                    name=name,
                    verdict="error",
                    expected=criterion.condition,
                    message=str(exc),
                    location=where,
                )
            )
            continue
        message = f"failing: {', '.join(outcome.failing)}" if outcome.failing and not outcome.passed else ""
        out.append(
            Result(
                kind="criterion",
                name=name,
                verdict="pass" if outcome.passed else "fail",
                expected=criterion.condition,
                actual=outcome.actual,
                message=message,
                location=where,
                metrics={metric_name("criterion", cid, "passed"): 1.0 if outcome.passed else 0.0},
            )
        )
    return out


def not_judged(loaded: LoadedSpec, why: str) -> list[Result]:
    """Every criterion of a run that stopped before its verdict (interrupted): an error, never a pass."""
    return [
        Result(
            kind="criterion",
            name=f"{cid}: {criterion.title}",
            verdict="error",
            expected=criterion.condition,
            actual="not judged",
            message=f"not judged: {why}",
            location=locate(loaded, ("criteria", cid, "condition")),
        )
        for cid, criterion in loaded.spec.criteria.items()
    ]
