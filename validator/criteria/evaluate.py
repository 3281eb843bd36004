"""Judge each criterion against the run's metrics: pass or fail with the actual values and the
failing wildcard members; a metric that was not measured makes the criterion an error, never a pass."""

from __future__ import annotations

from validator.core.result import Result, locate
from validator.criteria.conditions import ConditionError, NotMeasured, evaluate, parse
from validator.spec.load import LoadedSpec


def evaluate_criteria(loaded: LoadedSpec, metrics: dict[str, float], dimensions: dict[str, str]) -> list[Result]:
    out = []
    for cid, criterion in loaded.spec.criteria.items():
        where = locate(loaded, ("criteria", cid, "condition"))
        name = f"{cid}: {criterion.title}"
        try:
            outcome = evaluate(parse(criterion.condition), metrics, dimensions)
        except NotMeasured as exc:
            out.append(
                Result(
                    "criterion",
                    name,
                    "error",
                    criterion.condition,
                    "not measured",
                    f"{exc}: the check that measures it did not run or failed",
                    0.0,
                    where,
                )
            )
            continue
        except ConditionError as exc:  # lint rejects these; kept for specs built in code
            out.append(Result("criterion", name, "error", criterion.condition, "", str(exc), 0.0, where))
            continue
        message = f"failing: {', '.join(outcome.failing)}" if outcome.failing and not outcome.passed else ""
        out.append(
            Result(
                "criterion",
                name,
                "pass" if outcome.passed else "fail",
                criterion.condition,
                outcome.actual,
                message,
                0.0,
                where,
                {f"criterion.{cid}.passed": 1.0 if outcome.passed else 0.0},
            )
        )
    return out
