"""``down``: stop and remove a project's containers along the stop graph, then its networks and (if
asked) its volumes, reading no more of the spec than it needs before its first stop. All of it is one
graph (engine/steps.py ``down_graph``) walked by the executor ``up`` uses (engine/stopper.py).

The engine's labels hold what a stop needs: the project and service of each container (validator's
own labels, which alone say what it owns), what each service depends on (Compose's ``depends_on``
label, which validator writes too) and each container's grace (its ``StopTimeout``). So
``down -p NAME`` needs no spec at all, and ``down -f FILE`` reads the file only for the project's
name, the services it declares (a container of another service is an orphan, kept unless
``--remove-orphans``) and, for each service, its ``stop_grace_period``, ``depends_on`` and
``pre_stop`` hooks as written: no schema, no model, no lint. Compose's containers of the project
(its labels, none of validator's) are never touched, and the networks and volumes stay while they
use them. This module imports nothing heavy: ``down`` starts stopping sooner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from validator.engine import compose_labels as CL
from validator.engine import labels as L
from validator.engine.hooks import canonical
from validator.engine.launches import LaunchRecords
from validator.engine.lock import ProjectLock
from validator.engine.stop_graph import StopNeeds, stop_plan
from validator.engine.stopper import raise_failures, raise_hook_failures, walk_down
from validator.errors import EngineError
from validator.units import parse_duration

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine

Progress = Callable[[str, str], None]


@dataclass(frozen=True, kw_only=True)
class Running:
    """One of the project's containers, as the list call gives it."""

    id: str
    name: str
    service: str | None
    depends_on: frozenset[str]
    volumes: frozenset[str]  # the names of the volumes mounted in it (named and anonymous)


@dataclass(kw_only=True)
class DownResult:
    containers: list[str]
    networks: list[str]
    volumes: list[str]
    kept_orphans: list[str]


def down_project(
    engine: Engine,
    project: str,
    *,
    declared: Mapping[str, StopNeeds] | None,
    volumes: bool = False,
    remove_orphans: bool = False,
    progress: Progress,
    lock_wait: float = 600.0,
    say: Callable[[str], None] | None = None,
) -> DownResult:
    """Take the project down. ``declared``: the spec's services and what stopping each needs (what
    the labels say fills the rest); None without a spec (``down -p``): every container goes."""
    with ProjectLock(project=project, engine=engine, wait=lock_wait, say=say, what="down"):
        owned = [_running(summary) for summary in engine.containers(L.project_filter(project))]
        needs = {c.service: StopNeeds(c.depends_on, None) for c in owned if c.service is not None}
        needs.update(declared or {})
        known = needs if declared is None else declared
        kept = [c.name for c in owned if c.service not in known and not remove_orphans]
        going = [c for c in owned if c.name not in kept]
        # Compose's containers of the project (its labels, none of validator's) are never touched here,
        # so they are known before the first stop: while they use the networks and volumes, those stay
        theirs = _compose_containers(engine, project)
        if theirs:
            # `docker compose up` over validator's stack recreates its containers as Compose's own, on
            # validator's network: never touched here, and the network stays while they use it
            users = ", ".join(theirs)
            progress("network", f"networks and volumes kept: docker compose's containers use them ({users})")
        networks = [] if kept or theirs else [net["Name"] for net in engine.networks(L.project_filter(project))]
        vols = [vol["Name"] for vol in engine.volumes(L.project_filter(project))] if volumes and not theirs else []
        # one graph: the containers along the stop graph, then the networks and volumes once every
        # container is gone (none while a container failed to go: they are still in use)
        records = LaunchRecords.of(engine)
        # rule (down -v): every project object goes, the containers' anonymous volumes too, as Compose's
        # `down -v` removes them (each container removed with v=True: the engine drops its anonymous
        # volumes, never a named one); without -v they stay, as in Compose
        anonymous = volumes and not theirs
        mounted = set().union(*(c.volumes for c in going)) - set(vols) if anonymous else set()
        walked = walk_down(
            engine,
            stop_plan(needs, going),
            progress,
            networks=networks,
            volumes=vols,
            forget=records.forget,
            anonymous_volumes=anonymous,
        )
        outcomes = walked.outcomes
        raise_failures(outcomes)
        if walked.errors:
            raise EngineError("; ".join(walked.errors))
        raise_hook_failures(outcomes)  # everything asked is done: now fail naming the hooks that did not
        return DownResult(
            containers=[o.step.name for o in outcomes],
            networks=walked.networks,
            volumes=walked.volumes + _gone(engine, mounted) + _remove_carried(engine, mounted),
            kept_orphans=sorted(kept),
        )


def _running(summary: dict[str, Any]) -> Running:
    labels = summary.get("Labels") or {}
    return Running(
        id=summary["Id"],
        name=(summary.get("Names") or ["/?"])[0].lstrip("/"),
        service=labels.get(L.SERVICE),
        depends_on=CL.depends_on_of(labels.get(CL.DEPENDS_ON, "")),
        volumes=frozenset(m["Name"] for m in summary.get("Mounts") or [] if m.get("Type") == "volume" and "Name" in m),
    )


def _remove_carried(engine: Engine, mounted: set[str]) -> list[str]:
    """rule (down -v): an anonymous volume a recreate carried over to its successor
    (``body.carry_anonymous_volumes``, as Compose does) is mounted by its name since, so the engine
    keeps it when the container goes with v=True: removed here when its name is one the engine chose
    (anonymous at birth) and no container left mounts it (never one another container uses)."""
    left = {vol["Name"] for vol in engine.volumes()} if mounted else set()
    candidates = {name for name in mounted & left if len(name) == 64 and all(c in "0123456789abcdef" for c in name)}
    if not candidates:
        return []
    used = {m.get("Name") for c in engine.containers() for m in c.get("Mounts") or []}
    removed = []
    for name in sorted(candidates - used):
        try:
            engine.remove_volume(name)
        except EngineError:
            continue  # taken into use since: it stays
        removed.append(name)
    return removed


def _gone(engine: Engine, mounted: set[str]) -> list[str]:
    """The volumes of ``mounted`` the engine no longer has (removed with their containers), sorted."""
    if not mounted:
        return []
    left = {vol["Name"] for vol in engine.volumes()}
    return sorted(mounted - left)


def _compose_containers(engine: Engine, project: str) -> list[str]:
    """Names of the project's containers that Compose made (its labels, none of validator's)."""
    found = engine.containers({"label": [f"{CL.PROJECT}={project}"]})
    return sorted((c.get("Names") or ["/?"])[0].lstrip("/") for c in found if L.PROJECT not in (c.get("Labels") or {}))


def declared_needs(services: Mapping[str, Any]) -> dict[str, StopNeeds]:
    """What stopping each service of a spec needs, read from its services as written (``read_project``):
    ``depends_on`` (a list or a mapping), ``stop_grace_period`` (unreadable: the container's own
    StopTimeout, which up set from it), ``pre_stop`` hooks. A value lint would refuse is read as absent:
    taking a stack down must not depend on the file being valid."""
    out: dict[str, StopNeeds] = {}
    for name, raw in services.items():
        svc = raw if isinstance(raw, dict) else {}
        deps = svc.get("depends_on")
        depends_on = frozenset(str(d) for d in deps) if isinstance(deps, list | dict) else frozenset()
        grace: float | None = None
        if isinstance(svc.get("stop_grace_period"), str | int | float):
            try:
                grace = parse_duration(svc["stop_grace_period"])
            except ValueError:
                grace = None
        hooks = svc.get("pre_stop")
        readable = isinstance(hooks, list) and all(
            isinstance(h, dict) and isinstance(h.get("command"), str | list) for h in hooks
        )
        out[str(name)] = StopNeeds(depends_on, grace, tuple(canonical(hooks)) if readable and hooks else ())
    return out
