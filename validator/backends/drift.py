"""A plan as ``check`` judges it: every action and conflict is drift (a failure), every unchanged
service a pass, and every service whose running containers cannot be compared with the spec an
error (unknown). The same for every backend (``protocol.PlanView``)."""

from __future__ import annotations

from validator.backends.protocol import PlanView
from validator.core.result import Result, locate
from validator.spec.load import LoadedSpec


def unverified_results(loaded: LoadedSpec, plan: PlanView) -> list[Result]:
    """Services whose running containers cannot be compared with the spec (Compose started them with
    mounted content nobody recorded): neither a match nor drift, so an error, never a pass."""
    return [
        Result(
            kind="drift",
            name=name,
            verdict="error",
            expected="matches the spec",
            actual="unknown",
            message=why,
            location=locate(loaded, ("services", name)),
        )
        for name, why in plan.unverified
    ]


def drift_results(loaded: LoadedSpec, plan: PlanView) -> list[Result]:
    out = []
    for conflict in plan.conflicts:
        out.append(
            Result(
                kind="drift",
                name="conflict",
                verdict="fail",
                expected="no foreign object in the way",
                actual="conflict",
                message=conflict,
            )
        )
    for action in plan.actions:
        out.append(
            Result(
                kind="drift",
                name=f"{action.kind} {action.target}",
                verdict="fail",
                expected="matches the spec",
                actual=action.kind,
                message="; ".join(action.reasons),
                location=locate(loaded, ("services", action.service)) if action.service else None,
            )
        )
    out += unverified_results(loaded, plan)
    for name in plan.unchanged:
        out.append(
            Result(
                kind="drift",
                name=name,
                verdict="pass",
                expected="matches the spec",
                actual="unchanged",
                location=locate(loaded, ("services", name)),
            )
        )
    return out
