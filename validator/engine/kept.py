"""A kept container judged again at the end of ``up``.

``up`` gives a container it keeps as it found it (no step: already in its goal state) no wait: it is
judged by the observation made before the walk. A walk can last long (a recreate's stop waits out its
grace period), and a kept container may die meanwhile. Rule: a kept container is ready only as a look
taken at the end of ``up`` shows it; that look is the observation itself only while the engine
reported no change of the container since before it was taken (engine/witness.py), else a fresh
inspect. The goal is judged as ``graph.already_there`` judges it, from the inspect's State, and a
container re-inspected so is compared with the spec again as the observation compares it
(``drift_now``: a network disconnect during the walk is a network event, no container's; adversary
graph6 case 10).

The shared-namespace rule (engine/shared_ns.py) is judged there too, for every container of a ready
service, kept or started (``namespace_lost``): the plan applied it before the walk, and an owner
restarted during the walk leaves its sharer in the earlier namespace, running, with nothing to see
in the sharer's own state (adversary graph7 case 04).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from validator.engine.observed import compose_live_drift, live_drift
from validator.engine.shared_ns import joined, mounts, owner_of, stale
from validator.engine.stamps import engine_time

if TYPE_CHECKING:
    from validator.engine.desired import DesiredService, DesiredState
    from validator.engine.docker_api import Engine
    from validator.engine.observed import ObservedState


def lost(detail: Mapping[str, Any] | None, target: str, job: bool) -> str | None:
    """Why a kept container is no longer in its goal state ``target`` (running, healthy, completed)
    as ``detail`` (its inspect, None when gone) shows it, or None when it still is. ``job``: its
    exit 0 is its completion (``planner.is_job``)."""
    state = (detail or {}).get("State") or {}
    if not state:
        return "no longer exists"
    status = state.get("Status") or "?"
    code = state.get("ExitCode")
    if target == "completed" or (job and status == "exited"):
        return None if status == "exited" and code == 0 else f"is {status} (exit code {code}), not completed"
    if status != "running" or state.get("Restarting") or state.get("Paused"):
        return f"is {status} (exit code {code})"
    health = (state.get("Health") or {}).get("Status")
    if target == "healthy" and health != "healthy":
        return f"is {health or 'without health'}, not healthy"
    if health not in (None, "healthy"):
        # a health check, the spec's or its image's, counts whatever the goal (the image-healthy wait)
        return f"is {health}"
    return None


def drift_now(
    engine: Engine, desired: DesiredState, observed: ObservedState, container: str, detail: dict[str, Any] | None
) -> tuple[str, ...]:
    """How the kept container ``container`` differs from the spec as ``detail`` (a fresh inspect)
    shows it, compared as the observation compares it (validator's own, or Compose's)."""
    item = next((c for items in observed.containers.values() for c in items if c.id == container), None)
    svc = desired.services.get(item.service) if item is not None and item.service is not None else None
    if item is None or svc is None:
        return ()
    # Compose's as Compose would create it (adversary graph7 case 07: graph6 10's disconnect, on one of
    # Compose's containers)
    compare = live_drift if item.owner == "validator" else compose_live_drift
    return compare(engine, desired, svc, item, detail)


def namespace_lost(
    svc: DesiredService, detail: Mapping[str, Any] | None, owner_detail: Callable[[str], dict[str, Any] | None]
) -> str | None:
    """Why a container of ``svc`` (``detail``: its inspect now) is no longer in a namespace it shares,
    as ``shared_ns.stale`` judges it against its owner now (``owner_detail``: a fresh inspect of the
    owner by name), or None when it is in every one."""
    if not svc.shares or not detail:
        return None
    state = detail.get("State") or {}
    for share in svc.shares:
        need = stale(
            share,
            joined_id=joined(detail).get(share.kind),
            started=engine_time(state.get("StartedAt")),
            running=bool(state.get("Running")),
            owner=owner_of(owner_detail(share.container)),
            owner_starts=None,  # the walk is over: the owner as it is now is what the sharer must be in
            taken=mounts(detail),
        )
        if need is not None:
            return need[1]
    return None
