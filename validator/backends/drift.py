"""A plan as ``check`` judges it: every action and conflict is drift (a failure), every unchanged
service a pass, and every service whose running containers cannot be compared with the spec an
error (unknown). The same for every backend (``protocol.PlanView``)."""

from __future__ import annotations

from collections.abc import Sequence

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


def orphan_results(plan: PlanView) -> list[Result]:
    """Each orphan container that runs: the project runs something its spec does not describe (it may
    answer for a service's name on the project's networks), so the run is not the spec's: a failure.
    ``--remove-orphans`` removes them (then none is listed)."""
    return [
        Result(
            kind="drift",
            name=f"orphan {name}",
            verdict="fail",
            expected="only the spec's services run in the project",
            actual="an orphan container runs",
            message=f"{why}; remove it with --remove-orphans",
        )
        for name, why in plan.orphans_running
    ]


def stranger_results(plan: PlanView, now: Sequence[tuple[str, str, str]] | None = None) -> list[Result]:
    """Each container validator does not own that runs in the project, or on a network it made, and
    stands for no service (a ``docker compose run`` one-off, a foreign container on the project network):
    the run is not only the spec's (it may answer for a service's name, or share its volumes), so a
    failure. The service's own verdict is about its own container, never this one. ``now``: (name,
    what, why) of each as looked at after up (else the plan's, from before it)."""
    return [
        Result(
            kind="drift",
            name=f"container {name}",
            verdict="fail",
            expected="only the spec's service containers in the project and on its networks",
            actual=what,
            message=why,
        )
        for name, what, why in (plan.strangers_running if now is None else now)
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
    out += unverified_results(loaded, plan) + orphan_results(plan) + stranger_results(plan)
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
