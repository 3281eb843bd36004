"""The plan: a pure function of (desired, observed). ``plan`` prints it; ``up`` applies it.

Actions come in the order they are applied: orphans out, images in, networks and volumes, then
services in dependency order. Every action carries its reasons; a container whose recorded config,
mounted files and image are unchanged and which is running gets no action at all.

A service with ``scale``/``deploy.replicas`` N gets one action per replica that needs one (replicas
1..N, by their label), ``remove`` for the containers beyond N, and ``rename`` for a kept container
whose name changes with the count (one replica is ``<project>-<service>``, several ``-1``..``-N``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

from validator.engine import labels as L
from validator.engine.api_version import START_INTERVAL_API, api_at_least
from validator.engine.compose_fields import jobs
from validator.engine.desired import DesiredService, DesiredState
from validator.engine.diff import config_diff, mounted_diff
from validator.engine.hooks import canonical
from validator.engine.object_drift import network_drift, volume_drift
from validator.engine.observed import RUNS, ObservedContainer, ObservedState
from validator.engine.provenance import Provenance
from validator.engine.readiness import health_argv
from validator.engine.shared_ns import Need, Owner, SharedNamespace, stale
from validator.engine.stop_graph import StopNeeds as StopNeeds
from validator.engine.stop_graph import StopStep as StopStep
from validator.engine.stop_graph import stop_plan as stop_plan
from validator.engine.unsupported import pull_period
from validator.redact import quoted
from validator.units import format_duration

if TYPE_CHECKING:
    from validator.engine.waiter import Target
    from validator.spec.model import Spec

Kind = Literal[
    "remove-orphan",
    "pull",
    "build",
    "create-network",
    "create-volume",
    "remove",
    "rename",
    "create",
    "recreate",
    "start",
    "restart",
]
STARTING = ("create", "recreate", "start", "restart")
COMPOSE_STOP_GRACE = 10.0  # seconds; Compose's (and the engine's) default stop_grace_period, as desired.py uses
# "scale": what up did to a service whose running replicas all stayed (only removes and renames)
PAST_TENSE = {
    "create": "created",
    "recreate": "recreated",
    "start": "started",
    "restart": "restarted",
    "scale": "scaled",
    "rename": "renamed",
}


@dataclass(frozen=True, kw_only=True)
class Action:
    kind: Kind
    target: str
    reasons: tuple[str, ...] = ()
    service: str | None = None
    replica: int | None = None  # which replica of the service (container actions only)
    container_id: str | None = None  # the existing container acted on (recreate, start, restart, remove, rename)
    new_name: str | None = None  # rename: the name the container gets

    def describe(self) -> str:
        head = f"{self.kind} {self.target}"
        return head if not self.reasons else head + ": " + "; ".join(self.reasons)


@dataclass(frozen=True, kw_only=True)
class Plan:
    actions: tuple[Action, ...]
    conflicts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = field(default=())
    # service -> why what runs cannot be compared with the spec (neither a match nor drift: unknown)
    unverified: tuple[tuple[str, str], ...] = field(default=())
    # orphan containers that run (name, why): a project running what its spec does not describe is not
    # the spec's infrastructure (one may answer for a service's name): ``check`` fails each
    orphans_running: tuple[tuple[str, str], ...] = field(default=())
    # containers validator does not own that run in the project or on a network it made, standing for
    # no service (name, what, why: observed.Stranger): the run is not only the spec's, ``check`` fails each
    strangers_running: tuple[tuple[str, str, str], ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.actions and not self.conflicts

    def for_service(self, service: str) -> Action | None:
        """The first action that starts a container of ``service`` (its lowest replica's)."""
        return next((a for a in self.actions if a.service == service and a.kind in STARTING), None)

    def for_replica(self, service: str, replica: int) -> Action | None:
        """The action that starts replica ``replica`` of ``service``, if any."""
        return next(
            (a for a in self.actions if a.service == service and a.replica == replica and a.kind in STARTING), None
        )


def stop_needs(desired: DesiredState) -> dict[str, StopNeeds]:
    return {
        name: StopNeeds(frozenset(svc.depends_on), svc.stop_timeout, tuple(svc.config.get("pre_stop", ())))
        for name, svc in desired.services.items()
    }


def stop_needs_of_spec(spec: Spec) -> dict[str, StopNeeds]:
    """The same from the spec alone: ``down`` must work when an env file or a mounted config the
    desired state would read is gone."""
    return {
        name: StopNeeds(
            frozenset(svc.depends_on),
            svc.stop_grace_period if svc.stop_grace_period is not None else COMPOSE_STOP_GRACE,
            tuple(canonical(svc.pre_stop)),
        )
        for name, svc in spec.services.items()
    }


def topological_order(desired: DesiredState) -> list[str]:
    """Services ordered so that every dependency comes first (ties by name); lint rejects cycles."""
    order: list[str] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name not in desired.services:
            return
        if name in visiting:
            return
        visiting.add(name)
        for dep in sorted(desired.services[name].depends_on):
            visit(dep)
        visiting.discard(name)
        done.add(name)
        order.append(name)

    for name in sorted(desired.services):
        visit(name)
    return order


def targets(desired: DesiredState) -> dict[str, Target]:
    """What "ready" means per service: completed (a one-shot job others wait for), healthy, or running."""
    out: dict[str, Target] = {
        name: "healthy" if svc.healthcheck else "running" for name, svc in desired.services.items()
    }
    for dep in jobs(svc.depends_on for svc in desired.services.values()):
        if dep in out:
            out[dep] = "completed"
    return out


def exec_ready_services(desired: DesiredState) -> frozenset[str]:
    """Services some other service waits on with ``service_healthy`` and whose health test validator
    can run itself: they count ready once that test passes by exec (``readiness.py``)."""
    waited_on = {
        dep
        for svc in desired.services.values()
        for dep, cond in svc.depends_on.items()
        if cond.condition == "service_healthy"
    }
    return frozenset(
        name
        for name in waited_on
        if name in desired.services and health_argv(desired.services[name].config.get("healthcheck")) is not None
    )


@dataclass(kw_only=True)
class _Draft:
    """The plan as it is drawn up: actions in the order they apply, conflicts, notes."""

    actions: list[Action] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unverified: list[tuple[str, str]] = field(default_factory=list)
    recreated: set[str] = field(default_factory=set)  # services whose first replica is new


def plan(
    desired: DesiredState,
    observed: ObservedState,
    *,
    remove_orphans: bool = False,
    force_recreate: bool = False,
    build: bool = False,
    ready_by_exec: bool = True,
    rerun_jobs: bool = False,
    pulled: frozenset[str] = frozenset(),
) -> Plan:
    """A pure function of its arguments: the clock is ``observed.at`` (when the engine was observed) and
    the label key ``desired.key`` (what the desired labels were sealed with); neither is read here.

    ``pulled``: the images this run has pulled already. ``up`` pulls before it plans the containers
    (engine/pull_first.py), as Compose does (``ensureImagesExists`` before it converges): it plans
    again with the images it pulled here and an ``observed`` taken after the pulls, so no pull action
    is planned twice and every container is compared with the image its tag names once pulled. A plan
    drawn before the pulls (``validator plan``, a dry run) judges no container of an image it pulls:
    those are ``unverified``, to be compared after the pull."""
    draft = _Draft()
    _orphans(observed, remove_orphans, draft)
    _conflicts(desired, observed, draft)
    _images(desired, observed, build, draft, pulled)
    _resources(desired, observed, draft)
    _engine_notes(desired, observed, draft)
    order = topological_order(desired)
    # no container is judged against an image ID read before a step of this run that can move its tag:
    # a build moves the tag for EVERY service that names it (one that only runs the image another
    # service builds, too), so each is recreated after the build step (graph.py: a create needs its
    # image's step); a pull is done before the containers are planned (``pulled``), so a plan that
    # still holds one cannot judge the containers of its image yet
    rebuilt = {a.target for a in draft.actions if a.kind == "build"}
    to_pull = {a.target: a for a in draft.actions if a.kind == "pull"}
    for name in order:
        _service_plan(
            desired,
            observed,
            name,
            force_recreate=force_recreate,
            rebuilt=rebuilt,
            to_pull=frozenset(to_pull),
            draft=draft,
            rerun_jobs=rerun_jobs,
        )
    _pull_notes(to_pull, draft)
    if ready_by_exec:
        starting = {a.service for a in draft.actions if a.kind in STARTING}
        for name in sorted(exec_ready_services(desired) & starting):
            draft.notes.append(
                f"{name}: services waiting for it to be healthy start once its health test passes by exec "
                f"(settings.ready_by_exec); its healthy time and the end of up stay the engine's health status"
            )
    return Plan(
        actions=tuple(draft.actions),
        conflicts=tuple(draft.conflicts),
        notes=tuple(draft.notes),
        order=tuple(order),
        unchanged=tuple(draft.unchanged),
        unverified=tuple(draft.unverified),
        orphans_running=tuple(
            (o.name, _orphan_why(o)) for o in observed.orphans if o.state in RUNS and not remove_orphans
        ),
        strangers_running=tuple((s.name, s.what, s.why) for s in observed.strangers if s.runs),
    )


def _orphan_why(orphan: ObservedContainer) -> str:
    if orphan.service:
        return f"service {quoted(orphan.service)} is no longer in the spec"
    return "not a service of the spec"


def _orphans(observed: ObservedState, remove_orphans: bool, draft: _Draft) -> None:
    # a stranger (not validator's) is only said: --remove-orphans removes validator's own containers alone
    draft.notes.extend(
        s.why if s.runs else f"{s.why} (it is {s.state}: check fails it only while it runs)" for s in observed.strangers
    )
    for orphan in observed.orphans:
        why = _orphan_why(orphan)
        if remove_orphans:
            draft.actions.append(Action(kind="remove-orphan", target=orphan.name, reasons=(why,)))
        else:
            draft.notes.append(f"orphan container {orphan.name} ({why}); remove it with --remove-orphans")


def _conflicts(desired: DesiredState, observed: ObservedState, draft: _Draft) -> None:
    out = draft.conflicts
    for name, description in sorted(observed.foreign_names.items()):
        out.append(f"the name {name} is taken by {description}, which this project does not own")
    for port, description in sorted(observed.foreign_ports.items()):
        out.append(f"host port {port} is published by {description}, which this project does not own")
    for name in sorted(observed.foreign_networks):
        out.append(f"network {name} exists but this project does not own it (no {quoted(desired.project)} label)")
    for name in sorted(observed.foreign_volumes):
        out.append(f"volume {name} exists but this project does not own it (no {quoted(desired.project)} label)")
    for name in observed.missing_external:
        out.append(f"external network or volume {name} does not exist")


def _images(desired: DesiredState, observed: ObservedState, build: bool, draft: _Draft, pulled: frozenset[str]) -> None:
    """One build or pull per image that needs one (its first service names it); none for an image
    this run pulled already."""
    images_done: set[str] = set(pulled)
    for svc in desired.services.values():
        if svc.image in images_done:
            continue
        images_done.add(svc.image)
        present = observed.image_ids.get(svc.image) is not None
        action: Action | None = None
        if svc.build is not None and (build or not present or svc.pull_policy == "build"):
            why = "--build" if build else ("pull_policy: build" if present else "image not built yet")
            action = Action(kind="build", target=svc.image, reasons=(why,), service=svc.name)
        elif svc.pull_policy == "always":
            action = Action(kind="pull", target=svc.image, reasons=("pull_policy: always",), service=svc.name)
        elif present and (stale := _stale(svc.pull_policy, observed.image_tagged.get(svc.image), observed.at)):
            action = Action(kind="pull", target=svc.image, reasons=(stale,), service=svc.name)
        elif not present and svc.pull_policy == "never":
            draft.conflicts.append(f"{svc.name}: image {svc.image} is not present and its pull_policy is never")
        elif not present:
            action = Action(kind="pull", target=svc.image, reasons=("image not present locally",), service=svc.name)
        if action is not None:
            draft.actions.append(action)


def _resources(desired: DesiredState, observed: ObservedState, draft: _Draft) -> None:
    for net in desired.networks.values():
        if not net.external and net.name not in observed.networks and net.name not in observed.foreign_networks:
            draft.actions.append(Action(kind="create-network", target=net.name, reasons=("does not exist",)))
        elif not net.external and net.name in observed.network_records:
            _differs(draft, f"network {net.name}", network_drift(net, observed.network_records[net.name]))
    for vol in desired.volumes.values():
        if not vol.external and vol.name not in observed.volumes and vol.name not in observed.foreign_volumes:
            draft.actions.append(Action(kind="create-volume", target=vol.name, reasons=("does not exist",)))
        elif not vol.external and vol.name in observed.volume_records:
            _differs(draft, f"volume {vol.name}", volume_drift(vol, observed.volume_records[vol.name]))


def _differs(draft: _Draft, what: str, reasons: list[str]) -> None:
    """A network or volume whose definition changed since it was created: a conflict (``up`` changes
    nothing, ``check`` fails it), not a recreate — removing it would cut every container on it off, and a
    volume's data with it; the user decides (``down`` then ``up``; ``down -v`` for a volume)."""
    if reasons:
        draft.conflicts.append(
            f"{what} differs from the spec ({'; '.join(reasons)}): it is kept as created; "
            "`validator down` then `up` makes it anew (`down -v` for a volume, which drops its data)"
        )


def _engine_notes(desired: DesiredState, observed: ObservedState, draft: _Draft) -> None:
    """What this engine or a mount cannot do as the spec says (the plan still goes on)."""
    if not api_at_least(observed.api_version, START_INTERVAL_API):
        for svc in desired.services.values():
            hc = svc.config.get("healthcheck")
            if isinstance(hc, dict) and "start_interval" in hc:
                draft.notes.append(
                    f"{svc.name}: healthcheck start_interval needs engine API 1.44, this engine speaks "
                    f"{observed.api_version}: the first probe runs one interval after start"
                )
    for svc in desired.services.values():
        for path, why in svc.by_path:
            draft.notes.append(
                f"{svc.name}: the read-only bind {path} is compared by path, not content ({why}): "
                "a change inside it does not recreate the container"
            )
        for path, why in svc.by_metadata:
            draft.notes.append(
                f"{svc.name}: the read-only bind {path} is compared by the size, time and inode of each "
                f"entry, not content ({why}): an edit that keeps all three does not recreate the container"
            )


def _service_plan(
    desired: DesiredState,
    observed: ObservedState,
    name: str,
    *,
    force_recreate: bool,
    rebuilt: set[str],
    draft: _Draft,
    to_pull: frozenset[str] = frozenset(),
    rerun_jobs: bool = False,
) -> None:
    """The actions of one service's containers: surplus removed, then per replica a start and a rename."""
    svc = desired.services[name]
    found = observed.containers.get(name, ())
    if any(c.owner == "compose" for c in found):
        # a container Compose started is judged as Compose judges it: an exit 0 under a policy that
        # leaves it exited is a completed job (validator never starts nor stops it)
        problems = _compose_problems(svc, found, svc.completes) + [
            f"{svc.name}: container {c.name} (started by docker compose) {need[1]}; "
            "docker compose up --force-recreate, or down it"
            for c in found
            if (need := _first_need(observed, svc, c, draft))
        ]
        draft.conflicts.extend(problems)
        unknown = _compose_unknown(svc) if not problems else ""
        if unknown:
            draft.unverified.append((name, unknown))
            draft.notes.append(f"{name}: {unknown}")
        elif not problems and svc.image in to_pull:  # its image drift is known only after the pull
            draft.unverified.append((name, until_pulled(svc.image)))
        elif not problems:
            draft.unchanged.append(name)
        return
    if svc.replicas == 0:
        draft.notes.append(f"{name}: scale 0, it runs no container (services that depend on it do not wait for it)")
    slots, surplus = replica_slots(found, svc.replicas)
    service_actions = [
        Action(
            kind="remove",
            target=item.name,
            reasons=(_surplus_reason(item, svc.replicas),),
            service=name,
            replica=item.replica,
            container_id=item.id,
        )
        for item in surplus
    ]
    restart_for = [d for d, dep in sorted(svc.depends_on.items()) if dep.restart and d in draft.recreated]
    for number in range(1, svc.replicas + 1):
        service_actions += _replica_actions(
            desired,
            observed,
            svc,
            number,
            slots.get(number),
            force_recreate=force_recreate,
            image_changes=svc.image in rebuilt,
            restart_for=restart_for,
            draft=draft,
            rerun_jobs=rerun_jobs,
        )
    if not service_actions and svc.image in to_pull and found:
        # what the pull leaves under the tag is not known before it: neither kept nor drift yet
        draft.unverified.append((name, until_pulled(svc.image)))
    elif not service_actions:
        draft.unchanged.append(name)
    draft.actions.extend(service_actions)


def until_pulled(image: str) -> str:
    """Why a plan drawn before a pull cannot judge a container of the pulled image."""
    return f"runs {image}, which up pulls first: compared with the image the pull leaves under that tag"


def _pull_notes(to_pull: dict[str, Action], draft: _Draft) -> None:
    """Per image the plan pulls: the services whose containers are judged only after the pull."""
    for image, action in to_pull.items():
        waiting = [name for name, why in draft.unverified if why == until_pulled(image)]
        if waiting:
            draft.notes.append(
                f"{', '.join(waiting)}: image {image} is pulled ({'; '.join(action.reasons)}) before any "
                "container is planned: up plans again after its pulls and recreates each container the "
                "pull moved the tag away from"
            )


def _replica_actions(
    desired: DesiredState,
    observed: ObservedState,
    svc: DesiredService,
    number: int,
    current: ObservedContainer | None,
    *,
    force_recreate: bool,
    image_changes: bool,
    restart_for: list[str],
    draft: _Draft,
    rerun_jobs: bool = False,
) -> list[Action]:
    """A rename (a kept container whose name changes), then what starts replica ``number``."""
    name = svc.name
    wanted = svc.replica_name(number)
    job = is_job(targets(desired)[name])
    action = _service_action(
        svc,
        current,
        observed,
        force_recreate,
        image_changes,
        desired.secrets,
        job,
        target=wanted,
        key=desired.key,
    )
    if action is None and current is not None and _completed(job, current) and rerun_jobs:
        # a job's completion is evidence only for the run that saw it: what it reads (a read-write
        # bind, a database a recreate emptied) may have changed since
        action = Action(kind="start", target=wanted, reasons=(_RERUN,), service=name)
    if action is None and current is not None and _completed(job, current):
        draft.notes.append(
            f"{name}: {current.name} exited 0, a completed job: not run again while its configuration "
            "is unchanged (up --force-recreate runs it again)"
        )
    if action is None and restart_for and current is not None:
        reasons = tuple(f"dependency {d} is recreated" for d in restart_for)
        action = Action(kind="restart", target=wanted, reasons=reasons, service=name)
    if current is not None:
        action = _in_current_namespaces(observed, svc, current, action, draft)
    out: list[Action] = []
    if current is not None and current.name != wanted and (action is None or action.kind != "recreate"):
        why = _rename_reason(desired.project, name, current.name, wanted)
        out.append(
            Action(
                kind="rename",
                target=current.name,
                reasons=(why,),
                service=name,
                replica=number,
                container_id=current.id,
                new_name=wanted,
            )
        )
    if action is None:
        return out
    # References to a service (network_mode/pid/ipc: service:, links, volumes_from) name its
    # first replica: only a new replica 1 restarts the dependents that share it, as a recreate
    # of any replica does (they all change together); a scale up leaves them alone.
    if action.kind == "recreate" or (action.kind == "create" and number == 1):
        draft.recreated.add(name)
    out.append(dataclasses.replace(action, replica=number, container_id=current.id if current else None))
    return out


def _in_current_namespaces(
    observed: ObservedState,
    svc: DesiredService,
    current: ObservedContainer,
    action: Action | None,
    draft: _Draft,
) -> Action | None:
    """``action`` made enough to put a kept replica of a sharer into its owners' current namespaces
    (engine/shared_ns.py): a restart where it is in an earlier start's or its owner starts in this run
    (the graph orders the sharer's start after the owner's), a recreate where its owner is new. A
    create or recreate of it is enough already; a start is, unless the owner is a new container."""
    if action is not None and action.kind in ("create", "recreate"):
        return action
    for share in svc.shares:
        need = _namespace_need(observed, share, current, draft)
        if need is None:
            continue
        kind, why = need
        if action is None or (kind == "recreate" and action.kind != "recreate"):
            action = Action(kind=kind, target=svc.replica_name(current.replica), reasons=(why,), service=svc.name)
        elif why not in action.reasons and kind == action.kind:
            action = dataclasses.replace(action, reasons=(*action.reasons, why))
    return action


def _first_need(
    observed: ObservedState, svc: DesiredService, current: ObservedContainer, draft: _Draft
) -> tuple[Need, str] | None:
    """The first namespace ``current`` (a replica of ``svc``) is not current in, if any."""
    needs = (_namespace_need(observed, share, current, draft) for share in svc.shares)
    return next((need for need in needs if need is not None), None)


def _namespace_need(
    observed: ObservedState,
    share: SharedNamespace,
    current: ObservedContainer,
    draft: _Draft,
) -> tuple[Need, str] | None:
    """What one kept sharer needs for one namespace it shares (``shared_ns.stale``), its owner read
    from the observation and the owner's action from the plan drawn so far (an owner service comes
    first: a ``service:`` reference is a dependency)."""
    owner = _namespace_owner(observed, share)
    starts = next(
        (a.kind for a in draft.actions if a.kind in STARTING and a.target == share.container and a.service),
        None,
    )
    return stale(
        share,
        joined_id=current.joined.get(share.kind),
        started=current.started,
        running=current.state in RUNS,
        owner=owner,
        owner_starts=starts,
        taken=current.mounts,
    )


def _namespace_owner(observed: ObservedState, share: SharedNamespace) -> Owner | None:
    """The owner of a shared namespace as observed: a spec service's container, or another one."""
    for items in observed.containers.values():
        for item in items:
            if item.name == share.container:
                return Owner(id=item.id, started=item.started, running=item.state in RUNS, mounts=item.mounts or {})
    return observed.namespace_owners.get(share.container)


def _label_diff(
    svc: DesiredService,
    old: dict[str, Any],
    inspected: dict[str, Any] | None,
    secrets: frozenset[str],
    key: bytes,
) -> list[str]:
    """Why the container's label (``old``) differs from ``svc``: the label's sealed names are opened with
    the names of the spec and those Docker reports (``labels.open_keys``), then hashes are compared."""
    if not svc.sealed:  # tests build services without a key: plain values on both sides
        was = Provenance.from_label(old.get("secret"))
        reasons = config_diff(
            old.get("config", {}), svc.config, secrets, inspected=inspected, hidden=svc.provenance, was_hidden=was
        )
        return reasons + mounted_diff(old.get("mounted", {}), svc.mounted)
    reported = (inspected or {}).get("environment")
    config = L.open_keys(old.get("config", {}), svc.config, key)
    if isinstance(config, dict) and isinstance(config.get("environment"), dict) and isinstance(reported, dict):
        config["environment"] = L.open_keys(
            old["config"]["environment"], svc.config.get("environment"), key, extra=list(reported)
        )
    mounted = L.open_keys(old.get("mounted", {}), svc.mounted, key)
    return config_diff(
        config if isinstance(config, dict) else {},
        svc.config,
        secrets,
        sealed=cast(dict[str, Any], L.seal(svc.config, key)),
        inspected=inspected,
        seal=lambda value: L.seal(value, key),
        hidden=svc.provenance,
        was_hidden=Provenance.from_label(old.get("secret"), lambda name: L.seal_text(name, key)),
    ) + mounted_diff(mounted if isinstance(mounted, dict) else {}, cast(dict[str, str], L.seal(svc.mounted, key)))


def _stale(policy: str, tagged: float | None, now: float) -> str | None:
    """Why a present image is pulled again under ``daily``, ``weekly`` or ``every_<duration>``."""
    period = pull_period(policy)
    if period is None:
        return None
    if tagged is None:
        return f"pull_policy: {policy} (when the image was pulled is unknown)"
    if now - tagged >= period:
        return f"pull_policy: {policy} (pulled {format_duration(now - tagged)} ago)"
    return None


def replica_slots(
    found: Iterable[ObservedContainer], replicas: int
) -> tuple[dict[int, ObservedContainer], list[ObservedContainer]]:
    """The container standing for each replica 1..``replicas`` (the first found with that number), and
    the surplus to remove: replicas above the count (a scale down takes the highest numbers away, as
    Compose does), a second container with a number already taken, one with no readable number."""
    slots: dict[int, ObservedContainer] = {}
    surplus: list[ObservedContainer] = []
    for item in sorted(found, key=lambda c: (c.replica, c.name)):
        if 1 <= item.replica <= replicas and item.replica not in slots:
            slots[item.replica] = item
        else:
            surplus.append(item)
    return slots, surplus


NOT_LAUNCHED = (
    "no record that its launch completed (a file copy, network connect, start or post_start hook failed "
    "or was cut short; or another machine, an older version or an emptied state folder made it)"
)
_RERUN = "a completed job, run again: check judges only what this run saw complete"


def hooks_missed(svc: DesiredService, current: ObservedContainer) -> str | None:
    """Why a kept container of validator's is not launched in full on its current start, or None.

    The rule (adversary graph6 case 04, engine/launches.py): a launch record vouches for the start its
    ``post_start`` hooks ran on; a container with hooks whose current start is another one was started
    outside ``up`` (``docker restart``/``start``, its restart policy after a crash, a daemon restart)
    and ran no hook on it, as Compose runs them only on its own start. A container without hooks loses
    nothing on a restart (its files and networks belong to the container): never this."""
    if current.owner != "validator" or not current.launched or not svc.config.get("post_start"):
        return None
    if current.launch_start is not None and current.launch_start == current.started_at:
        return None
    ran = f"the start at {current.launch_start}" if current.launch_start else "a start the record does not name"
    now = f"at {current.started_at}" if current.started_at else "at an unknown time"
    return (
        f"started again outside up ({now}): its post_start hooks ran on {ran}, not on this one (a docker "
        "restart or start, its restart policy or a daemon restart runs no hook), so what they set up may be gone"
    )


def is_job(target: str) -> bool:
    """Whether an exit 0 of the service's container is its completion (a one-shot job that ran to its
    end) rather than a stopped server: only when its target is ``completed``, i.e. it is a job by
    ``compose_fields.jobs`` (another service waits for it with ``service_completed_successfully``). Any
    other service that exited 0 was stopped: it is started again, as Compose does."""
    return target == "completed"


def _completed(job: bool, current: ObservedContainer) -> bool:
    """A one-shot job that ran to its end: exited 0, and its exit 0 is its completion (``is_job``)."""
    return job and current.state == "exited" and current.exit_code == 0


def _rename_reason(project: str, service: str, current: str, wanted: str) -> str:
    """Why a kept container changes its name. A container named ``<project>-<service>`` was made by a
    version that named a single replica so: renamed to Compose's name rather than recreated (a
    database keeps running), it lacks only Compose's labels, which labels cannot gain without a
    recreate; ``docker compose ps`` shows it from its next recreate on."""
    if current == f"{project}-{service}":
        return (
            f"to {wanted}, Compose's name (docker compose ps/logs/exec see it once it is recreated with "
            "Compose's labels: up --force-recreate)"
        )
    return f"to {wanted}, the name the spec gives it"


def _surplus_reason(item: ObservedContainer, replicas: int) -> str:
    if item.replica > replicas:
        return f"scaled to {replicas} replica{'s' if replicas != 1 else ''} (this is replica {item.replica})"
    if item.replica == 0:
        return "its replica number label is unreadable"
    return f"another container is replica {item.replica}"


def _compose_problems(svc: DesiredService, found: Iterable[ObservedContainer], one_shot: bool) -> list[str]:
    """Why the containers Compose started cannot stand for the service (validator never changes them)."""
    items = list(found)
    problems = [p for p in (_compose_problem(svc, c, one_shot) for c in items) if p]
    if len(items) != svc.replicas:
        problems.append(
            f"{svc.name}: docker compose runs {len(items)} container{'s' if len(items) != 1 else ''} of it, "
            f"the spec asks for {svc.replicas}; run docker compose up, or down it"
        )
    return problems


def _compose_unknown(svc: DesiredService) -> str:
    """Why a Compose-started container cannot be shown to match: what its read-only binds held and the
    files copied into it are fingerprinted only in validator's own label, which Compose never writes
    (and Compose does not recreate on a bind's content), so their content at start is unknown."""
    if not svc.mounted:
        return ""
    parts = ", ".join(sorted(svc.mounted)[:5]) + (", ..." if len(svc.mounted) > 5 else "")
    return (
        f"started by docker compose, which records nothing of the mounted content it started with ({parts}): "
        "whether it runs the spec's content is unknown (docker compose down, then validator up, records it)"
    )


def _compose_problem(svc: DesiredService, current: ObservedContainer, one_shot: bool) -> str | None:
    """Why a container Compose started cannot stand for the service (validator never changes it)."""
    where = f"{svc.name}: container {current.name} (started by docker compose)"
    if current.drift:
        return f"{where} differs from the spec: {'; '.join(current.drift)}; run docker compose up, or down it"
    if current.state != "running" and not (one_shot and current.state == "exited" and current.exit_code == 0):
        return f"{where} is {current.state}; start it with docker compose"
    return None


def _service_action(
    svc: DesiredService,
    current: ObservedContainer | None,
    observed: ObservedState,
    force: bool,
    image_changes: bool,
    secrets: frozenset[str] = frozenset(),
    one_shot: bool = False,
    *,
    target: str | None = None,
    key: bytes = b"",
) -> Action | None:
    """What one replica's container needs (``target``: its name; default the service's first)."""
    target = target or svc.container
    if current is None:
        return Action(kind="create", target=target, reasons=("no container yet",), service=svc.name)
    reasons: list[str] = []
    if current.config_hash != svc.config_hash:
        old = current.config or {}
        # the provenance record (sealed names, ``sealed["secret"]``) is not a value: not part of the test
        if svc.sealed and old and not L.is_sealed({k: v for k, v in old.items() if k != "secret"}):
            # a label of an older validator holds values in plain text: comparing hashes with it would
            # list every field, and the label itself is what must go
            reasons.append("its labels hold plain values (an older validator wrote them): recreated to hold hashes")
        else:
            reasons += _label_diff(svc, old, current.inspected, secrets, key)
        if not reasons:
            reasons.append("configuration hash changed (written by another validator version)")
    elif current.drift:
        # the label says what was asked at create; the engine says what runs: changed in place since
        # (docker update) or never applied (the engine discarded it), the container is not what the spec says
        reasons += [f"{why} (live container; changed in place or not applied by the engine)" for why in current.drift]
    image_id = observed.image_ids.get(svc.image)
    if image_changes:
        reasons.append("image is rebuilt" if svc.build is not None else f"image {svc.image} is rebuilt in this run")
    elif image_id is not None and current.image_id and image_id != current.image_id:
        reasons.append(f"image: {svc.image} moved to a new ID ({current.image_id[7:19]} -> {image_id[7:19]})")
    if not reasons and current.owner == "validator" and not current.launched:
        # labels are written at create: only the launch record says the steps after it all succeeded
        # (engine/launches.py). Compose's own containers are judged by their state alone
        reasons.append(NOT_LAUNCHED)
    if force and not reasons:
        reasons.append("--force-recreate")
    if reasons:
        return Action(kind="recreate", target=target, reasons=tuple(reasons), service=svc.name)
    missed = hooks_missed(svc, current)
    if missed is not None and current.state != "paused":
        # the container outlives the start its hooks ran on; started again through up's start step, the
        # hooks run on the new start (a stopped one is only started: its start step runs them too)
        kind: Kind = "restart" if current.state in ("running", "restarting") else "start"
        return Action(kind=kind, target=target, reasons=(missed,), service=svc.name)
    if one_shot and current.state == "exited" and current.exit_code == 0:
        # a completed one-shot job with an unchanged config: not run again (Compose reruns it, #11808)
        return None
    if current.state in ("exited", "created", "dead"):
        detail = f" (exit code {current.exit_code})" if current.state == "exited" and current.exit_code else ""
        return Action(kind="start", target=target, reasons=(f"container is {current.state}{detail}",), service=svc.name)
    if current.state == "paused":
        return Action(kind="recreate", target=target, reasons=("container is paused",), service=svc.name)
    return None
