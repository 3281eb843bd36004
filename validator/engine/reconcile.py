"""``plan``, ``up`` and ``down`` as functions over a loaded spec (the commands and ``check`` call these)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from validator.engine.copies import copies_differ, with_copies
from validator.engine.desired import DesiredState, desired_state
from validator.engine.docker_api import Engine
from validator.engine.inspect_each import inspect_each
from validator.engine.kept import drift_now, lost, namespace_lost
from validator.engine.launches import LaunchRecords
from validator.engine.lock import ProjectLock
from validator.engine.observed import ObservedState, observe, with_launches
from validator.engine.planner import Plan, is_job, plan, stop_needs_of_spec
from validator.engine.pull_first import Pulls, pull_all
from validator.engine.teardown import DownResult as DownResult  # the Swarm backend returns one too
from validator.engine.teardown import down_project
from validator.engine.witness import Witness
from validator.errors import EngineError
from validator.spec.load import LoadedSpec

if TYPE_CHECKING:
    from validator.engine.ahead import LookAhead, Taken
    from validator.engine.apply import Applier, Progress, ServiceResult, UpResult
    from validator.engine.waiter import Timing


@dataclass(frozen=True, kw_only=True)
class PlanOptions:
    """What the command asked of the planner: the same for the plan before the pulls and the one after."""

    remove_orphans: bool
    force_recreate: bool
    build: bool
    ready_by_exec: bool
    rerun_jobs: bool


@dataclass(kw_only=True)
class Planned:
    engine: Engine
    desired: DesiredState
    observed: ObservedState
    plan: Plan
    # read into ``observed`` (each container's ``launched``), kept by up; None on Swarm (its tasks are
    # the orchestrator's, judged by their state)
    launches: LaunchRecords | None = None
    asked: PlanOptions | None = None  # the planner's options, for the plan ``up`` draws again after its pulls


def make_plan(
    loaded: LoadedSpec,
    engine: Engine,
    *,
    remove_orphans: bool = False,
    force_recreate: bool = False,
    build: bool = False,
    rerun_jobs: bool = False,
    ahead: Taken | None = None,
) -> Planned:
    """Observe and plan; a plan that pulls judges no container of the images it pulls (``up`` pulls
    first, then plans again: ``_pull_first``). ``ahead``: inspects taken before (engine/ahead.py)."""
    asked = PlanOptions(
        remove_orphans=remove_orphans,
        force_recreate=force_recreate,
        build=build,
        ready_by_exec=loaded.spec.settings.ready_by_exec,
        rerun_jobs=rerun_jobs,
    )
    return _observe_and_plan(engine, desired_state(loaded), asked, ahead=ahead)


def _observe_and_plan(
    engine: Engine,
    desired: DesiredState,
    asked: PlanOptions,
    pulled: frozenset[str] = frozenset(),
    *,
    ahead: Taken | None = None,
) -> Planned:
    observed = observe(engine, desired, ahead)
    # the launch records are part of the observation: the planner reads no file (engine/launches.py)
    launches = LaunchRecords.of(engine)
    ids = [c.id for items in observed.containers.values() for c in items]
    observed = with_launches(observed, launches.starts(ids))
    # a copied file the container's own process or a hand changed since is drift (engine/copies.py)
    observed = with_copies(engine, desired, observed)
    return Planned(
        engine=engine,
        desired=desired,
        observed=observed,
        launches=launches,
        plan=_plan(desired, observed, asked, pulled),
        asked=asked,
    )


def _plan(desired: DesiredState, observed: ObservedState, asked: PlanOptions, pulled: frozenset[str]) -> Plan:
    return plan(
        desired,
        observed,
        remove_orphans=asked.remove_orphans,
        force_recreate=asked.force_recreate,
        build=asked.build,
        ready_by_exec=asked.ready_by_exec,
        rerun_jobs=asked.rerun_jobs,
        pulled=pulled,
    )


def _pull_first(planned: Planned, *, progress: Progress, deadline: float) -> tuple[Planned, Pulls | None]:
    """Walk the plan's pulls, then plan again: from the same observation when no tag moved (a pull of
    the same digest changes nothing), else from a new one (every container, Compose's own too, is then
    judged against the image its tag names after the pull). A failed pull ends up here: nothing else
    was done (engine/pull_first.py). The plan returned holds no pull."""
    asked = planned.asked
    assert asked is not None  # made by make_plan
    done: Pulls | None = None
    # a plan drawn again pulls only an image no round pulled yet (``pulled`` keeps those out): one
    # present at the first look that vanished before the next (someone removed it). Each round pulls
    # at least one more, so there are at most as many rounds as images
    for _ in range(len({svc.image for svc in planned.desired.services.values()}) + 1):
        if not any(a.kind == "pull" for a in planned.plan.actions):
            return planned, done
        if planned.plan.conflicts:  # up refuses this plan, as Applier.run does: nothing is pulled for it
            raise EngineError("cannot proceed: " + "; ".join(planned.plan.conflicts))
        pulls = pull_all(planned.engine, planned.desired, planned.plan, progress=progress, deadline=deadline)
        if pulls.failure is not None:
            raise EngineError(f"{pulls.failure}; up changed nothing (it pulls before it touches a container)")
        moved = pulls.moved(planned.observed.image_ids)
        done = pulls if done is None else done.merged(pulls)
        pulled = frozenset(done.images)
        if moved:
            planned = _observe_and_plan(planned.engine, planned.desired, asked, pulled)
        else:
            planned = dataclasses.replace(planned, plan=_plan(planned.desired, planned.observed, asked, pulled))
    images = sorted(a.target for a in planned.plan.actions if a.kind == "pull")
    raise EngineError(f"cannot pull {', '.join(images)}: the engine reported no image after each pull")


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
    rerun_jobs: bool = False,
    ahead: LookAhead | None = None,
) -> UpResult:
    # lazy: plan and down never apply, so they load neither the applier nor the waiter (timings
    # imports it, loaded by _end_look); tests/unit/engine/test_stopper.py pins it
    from validator.engine.apply import Applier

    guard = (
        ProjectLock(project=loaded.spec.project, engine=engine, wait=lock_wait, say=say, what="up")
        if lock
        else nullcontext()
    )
    bound = timeout if timeout is not None else loaded.spec.settings.up_timeout
    # inspects taken while the command still started up, and the witness opened before them, which
    # this up adopts (engine/ahead.py); else the witness opens before the observation inspects anything
    taken = ahead.taken(loaded.spec.project, engine) if ahead is not None else None
    with guard, (taken.witness if taken is not None else Witness(engine, loaded.spec.project)) as witness:
        planned = make_plan(
            loaded,
            engine,
            remove_orphans=remove_orphans,
            force_recreate=force_recreate,
            build=build,
            rerun_jobs=rerun_jobs,
            ahead=taken,
        )
        began = time.monotonic()  # the bound counts from here, as it did when the walk pulled too
        planned, pulls = _pull_first(planned, progress=progress, deadline=began + bound)
        for note in planned.plan.notes:
            progress("note", note)
        applier = Applier(
            engine=engine,
            desired=planned.desired,
            observed=planned.observed,
            plan=planned.plan,
            progress=progress,
            timeout=max(0.0, bound - (time.monotonic() - began)),  # the pulls spent part of it
            ready_by_exec=loaded.spec.settings.ready_by_exec,
            on_done=on_done,
            launches=planned.launches or LaunchRecords.of(engine),
        )
        result = applier.run()
        if pulls is not None:  # the pulls are steps of this up too (up -v lists them; ``ok`` reads them)
            result.steps = {**pulls.steps, **result.steps}
            result.duration += pulls.seconds
        if planned.launches is not None:
            # records of containers removed outside validator would pile up, one per container ever made
            planned.launches.prune(lambda: [c["Id"] for c in engine.containers()], now=time.time())
        _end_look(loaded, engine, planned, applier, result, witness, progress)
        result.copied = {name: svc.files for name, svc in planned.desired.services.items() if svc.files}
        return result


def _end_look(
    loaded: LoadedSpec,
    engine: Engine,
    planned: Planned,
    applier: Applier,
    result: UpResult,
    witness: Witness,
    progress: Progress,
) -> None:
    """After the walk: every ready service's containers as they are now (``_current``), a kept one
    that is no longer in its goal state or no longer the spec's failed (``_lost``), then each one's
    figures, saved for the next ``up``."""
    from validator.engine import timings as T

    # each container's figures as measured now, else as an earlier up saved them, else the engine's
    saved = T.load(loaded.base_dir, loaded.spec.project)
    keep: dict[str, dict[str, Timing]] = {}
    ready = {name: r for name, r in result.services.items() if r.status == "ready"}
    ids_of = {name: r.containers or ((r.container,) if r.container else ()) for name, r in ready.items()}
    kept = [cid for name in ready for cid in applier.kept(name)]
    looked = [cid for ids in ids_of.values() for cid in ids]
    inspected = _current(engine, planned.observed, witness, list(dict.fromkeys(looked + kept)))

    def drift(cid: str) -> tuple[str, ...]:
        # the observation's inspect showed no drift (else the plan had recreated it): only a
        # container the engine reported a change of since is compared again, on its fresh inspect
        return (
            ()
            if witness.unchanged(cid)
            else drift_now(engine, planned.desired, planned.observed, cid, inspected.get(cid))
        )

    theirs = {c.id for items in planned.observed.containers.values() for c in items if c.owner != "validator"}
    judges: list[Callable[[str], str | None]] = [
        lambda name: _lost(applier, name, inspected, drift),
        lambda name: _out_of_namespace(planned.desired, name, ids_of, inspected, engine.try_inspect),
        lambda name: _copies_lost(planned.desired, engine, name, (*ids_of[name], *applier.kept(name)), theirs),
    ]
    for judge in judges:
        _fail_each(ready, judge, progress)
    # a walk with steps undone (a stop past the time limit) is no ready up already, and says which
    if not result.unfinished() and any(not witness.unchanged(cid) for cid in kept):
        now = _plan_now(planned)
        _fail_each(ready, lambda name: _replanned(now, name), progress)
    for name, r in ready.items():
        ids = ids_of[name]
        if not ids:
            continue
        if r.measured:
            T.stamp_starts(r.measured, inspected.__getitem__)
            keep[name] = {**T.known_each(saved, name, ids), **r.measured}
        if r.timing is None or len(ids) > 1:
            r.timing = T.of_service(saved, name, ids, inspected.__getitem__, r.measured)
    if keep:
        T.save(loaded.base_dir, loaded.spec.project, keep)


def _fail_each(ready: dict[str, ServiceResult], judge: Callable[[str], str | None], progress: Progress) -> None:
    """Each ready service ``judge`` finds a reason against (its whole message), marked failed with it
    and taken out of ``ready``."""
    for name in list(ready):
        why = judge(name)
        if why is None:
            continue
        r = ready.pop(name)
        r.status = "failed"
        r.message = why
        progress(name, f"FAILED: {why}")


def _lost(
    applier: Applier, name: str, inspected: dict[str, dict[str, Any]], drift: Callable[[str], tuple[str, ...]]
) -> str | None:
    """Why a kept container of service ``name`` is no longer in its goal state at the end of up, or
    no longer the spec's (engine/kept.py: the observation before the walk proves nothing of a container
    the engine reported a change of since). Kept containers only: a started one's wait judged it, and
    a service without a health check may exit once it ran (Compose's own fixtures do); ``check``'s
    watcher judges what happens after."""
    target = applier.targets[name]
    for cid in applier.kept(name):
        why = lost(inspected.get(cid), target, is_job(target))
        if why is None and inspected.get(cid) is not None:
            differs = drift(cid)
            why = f"differs from the spec: {'; '.join(differs)}" if differs else None
        if why is not None:
            return f"kept as it was, but by the end of up it {why}"
    return None


def _plan_now(planned: Planned) -> Plan:
    """A plan drawn now, from a new observation (adversary graph7 cases 04, 07, 08: the plan's rules —
    launch records, shared namespaces, drift, copies — were applied before the walk; a kept container
    the engine reported a change of during it is judged by all of them again, as ``plan`` would judge
    it next). Asked without the command's build, force-recreate or rerun (they would always plan a
    step), and with every image taken as pulled (a pull is ``up``'s first step, never its last look)."""
    asked = planned.asked
    assert asked is not None  # made by make_plan
    again = dataclasses.replace(asked, build=False, force_recreate=False, rerun_jobs=False)
    images = frozenset(svc.image for svc in planned.desired.services.values())
    return _observe_and_plan(planned.engine, planned.desired, again, images).plan


def _replanned(now: Plan, name: str) -> str | None:
    """The container step the plan drawn at the end of up (``_plan_now``) still has for service
    ``name``, as its failure, if any."""
    step = next((a for a in now.actions if a.service == name and a.kind in CONTAINER_STEPS), None)
    if step is None:
        return None
    return f"by the end of up it is not as the spec asks: a plan drawn now would {step.describe()}"


# the steps of a plan that change a service's containers (a pull or a network's creation is no
# judgement of the containers, and the containers' own steps follow from it where it matters)
CONTAINER_STEPS = ("remove", "rename", "create", "recreate", "start", "restart")


def _out_of_namespace(
    desired: DesiredState,
    name: str,
    ids_of: Mapping[str, tuple[str, ...]],
    inspected: Mapping[str, dict[str, Any]],
    owner_detail: Callable[[str], dict[str, Any] | None],
) -> str | None:
    """Why a container of service ``name``, kept or started, is no longer in a namespace it shares with
    another container by the end of up (engine/kept.py ``namespace_lost``), if it is not."""
    svc = desired.services.get(name)
    if svc is None or not svc.shares:
        return None
    why = next(filter(None, (namespace_lost(svc, inspected.get(cid), owner_detail) for cid in ids_of[name])), None)
    return None if why is None else f"by the end of up it {why}"


def _copies_lost(
    desired: DesiredState, engine: Engine, name: str, containers: tuple[str, ...], theirs: set[str]
) -> str | None:
    """Why a container of service ``name`` (``containers``: started or kept) no longer holds what was
    copied into it at the end of up, if it does not (engine/copies.py: read back at the verdict, not
    only at the start; the container's own process may replace a copy a second after it). Not a
    container Compose started (``theirs``): validator copied nothing into it."""
    svc = desired.services.get(name)
    if svc is None or not svc.files:
        return None
    for cid in dict.fromkeys(c for c in containers if c not in theirs):
        differs = copies_differ(engine, svc.files, cid)
        if differs:
            return f"by the end of up {'; '.join(differs)}"
    return None


def _current(
    engine: Engine, observed: ObservedState, witness: Witness, containers: list[str]
) -> dict[str, dict[str, Any]]:
    """Each container's inspect as of now: the observation's where the engine reported no change of
    the container since before it was taken (a container ``up`` kept as it was), else asked again.
    Saves a round of inspects, a second at fifty services on a busy engine, on a no-op or a drift."""
    known = {cid: observed.details[cid] for cid in containers if cid in observed.details and witness.unchanged(cid)}
    return {**known, **inspect_each(engine.inspect, [cid for cid in containers if cid not in known])}


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
    once everything depending on it is gone), then its networks and, if asked, its volumes
    (engine/teardown.py; ``down`` itself reads less of the spec than this)."""
    return down_project(
        engine,
        loaded.spec.project,
        declared=stop_needs_of_spec(loaded.spec),  # not the desired state: it reads files that may be gone
        volumes=volumes,
        remove_orphans=remove_orphans,
        progress=progress,
        lock_wait=lock_wait,
        say=say,
    )
