"""``plan``, ``up`` and ``down`` as functions over a loaded spec (the commands and ``check`` call these)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from validator.engine.desired import DesiredState, desired_state
from validator.engine.docker_api import Engine
from validator.engine.lock import ProjectLock
from validator.engine.observed import ObservedState, observe
from validator.engine.planner import Plan, plan
from validator.spec.load import LoadedSpec

if TYPE_CHECKING:
    from validator.engine.apply import Progress, ServiceResult, UpResult
    from validator.engine.waiter import Timing


@dataclass
class Planned:
    engine: Engine
    desired: DesiredState
    observed: ObservedState
    plan: Plan


def make_plan(
    loaded: LoadedSpec,
    engine: Engine,
    *,
    remove_orphans: bool = False,
    force_recreate: bool = False,
    build: bool = False,
) -> Planned:
    desired = desired_state(loaded)
    observed = observe(engine, desired)
    return Planned(
        engine,
        desired,
        observed,
        plan(
            desired,
            observed,
            remove_orphans=remove_orphans,
            force_recreate=force_recreate,
            build=build,
            ready_by_exec=loaded.spec.settings.ready_by_exec,
        ),
    )


def up(
    loaded: LoadedSpec,
    engine: Engine,
    *,
    progress: Progress,
    remove_orphans: bool = False,
    force_recreate: bool = False,
    build: bool = False,
    timeout: float | None = None,
    lock_wait: float = 600.0,
    say: Callable[[str], None] | None = None,
    lock: bool = True,
    on_done: Callable[[ServiceResult], None] | None = None,
) -> UpResult:
    from validator.engine import timings as T
    from validator.engine.apply import Applier  # plan and down never apply: they skip the waiter too

    guard = ProjectLock(loaded.spec.project, engine, lock_wait, say, "up") if lock else nullcontext()
    with guard:
        planned = make_plan(loaded, engine, remove_orphans=remove_orphans, force_recreate=force_recreate, build=build)
        for note in planned.plan.notes:
            progress("note", note)
        applier = Applier(
            engine,
            planned.desired,
            planned.observed,
            planned.plan,
            progress,
            timeout if timeout is not None else loaded.spec.settings.up_timeout,
            ready_by_exec=loaded.spec.settings.ready_by_exec,
            on_done=on_done,
        )
        result = applier.run()
        # each container's figures as measured now, else as an earlier up saved them, else the engine's
        saved = T.load(loaded.base_dir, loaded.spec.project)
        keep: dict[str, dict[str, Timing]] = {}
        for name, r in result.services.items():
            ids = r.containers or ((r.container,) if r.container else ())
            if not ids or r.status != "ready":
                continue
            if r.measured:
                keep[name] = {**T.known_each(saved, name, ids), **r.measured}
            if r.timing is None or len(ids) > 1:
                r.timing = T.of_service(saved, name, ids, engine.inspect, r.measured)
        if keep:
            T.save(loaded.base_dir, loaded.spec.project, keep)
        return result


@dataclass
class DownResult:
    containers: list[str]
    networks: list[str]
    volumes: list[str]
    kept_orphans: list[str]


def down(
    loaded: LoadedSpec,
    engine: Engine,
    *,
    volumes: bool = False,
    remove_orphans: bool = False,
    progress: Progress,
    lock_wait: float = 600.0,
    say: Callable[[str], None] | None = None,
) -> DownResult:
    """Stop and remove the project's containers in parallel along the stop graph (a service stops
    once everything depending on it is gone), then its networks and, if asked, its volumes."""
    from validator.engine import labels as L
    from validator.engine.observed import from_summary
    from validator.engine.planner import stop_needs_of_spec, stop_plan
    from validator.engine.stopper import raise_failures, raise_hook_failures, run_stops

    project = loaded.spec.project
    with ProjectLock(project, engine, lock_wait, say, "down"):
        needs = stop_needs_of_spec(loaded.spec)  # not the desired state: it reads files that may be gone
        owned = [from_summary(summary) for summary in engine.containers(L.project_filter(project))]
        kept = [c.name for c in owned if c.service not in needs and not remove_orphans]
        going = [c for c in owned if c.name not in kept]
        outcomes = run_stops(engine, stop_plan(needs, going), progress)
        raise_failures(outcomes)  # networks stay while a container failed to go: they are still in use
        removed = [o.step.name for o in outcomes]
        networks = []
        theirs = _compose_containers(engine, project)
        if theirs:
            # `docker compose up` over validator's stack recreates its containers as Compose's own, on
            # validator's network: never touched here, and the network stays while they use it
            progress(
                "network", f"networks and volumes kept: docker compose's containers use them ({', '.join(theirs)})"
            )
        if not kept and not theirs:
            for net in engine.networks(L.project_filter(project)):
                engine.remove_network(net["Name"])
                networks.append(net["Name"])
                progress("network", f"{net['Name']} removed")
        removed_volumes = []
        if volumes and not theirs:
            for vol in engine.volumes(L.project_filter(project)):
                engine.remove_volume(vol["Name"])
                removed_volumes.append(vol["Name"])
                progress("volume", f"{vol['Name']} removed")
        raise_hook_failures(outcomes)  # everything asked is done: now fail naming the hooks that did not
        return DownResult(removed, networks, removed_volumes, sorted(kept))


def _compose_containers(engine: Engine, project: str) -> list[str]:
    """Names of the project's containers that Compose made (its labels, none of validator's)."""
    from validator.engine import compose_observe as C
    from validator.engine import labels as L

    found = engine.containers(C.compose_filter(project))
    return sorted((c.get("Names") or ["/?"])[0].lstrip("/") for c in found if L.PROJECT not in (c.get("Labels") or {}))
