"""Observed state: what Docker holds that matters to this project (read-only queries).

The project's own objects are found by the exact project label; objects that are not ours are
looked at only to report conflicts (a foreign container holding a name or a host port we need).
Containers, networks and volumes that ``docker compose up`` made for the same project name (found
by Compose's own labels) are observed too, to be judged but never changed (engine/compose_observe.py).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from validator import __version__
from validator.engine import compose_labels as CL
from validator.engine import compose_observe as C
from validator.engine import labels as L
from validator.engine.desired import DesiredService, DesiredState
from validator.engine.docker_api import last_tagged
from validator.engine.engine_filled import EngineFilled
from validator.engine.inspect_each import inspect_each
from validator.engine.provenance import Provenance, old_secrets
from validator.engine.shared_ns import Owner, joined, mounts
from validator.engine.stamps import engine_time
from validator.engine.unsupported import pull_period
from validator.redact import quoted, register
from validator.spec.ports import PortBinding

if TYPE_CHECKING:
    from validator.engine.ahead import Taken
    from validator.engine.docker_api import Engine


@dataclass(frozen=True, kw_only=True)
class ObservedContainer:
    id: str
    name: str
    service: str | None
    config_hash: str | None
    config: dict[str, Any] | None
    image_id: str | None
    state: str
    health: str | None = None
    exit_code: int | None = None
    # what Docker itself reports of a drifted container (environment, command, entrypoint), read
    # only to say what a field was: the label holds keyed hashes, never values
    inspected: dict[str, Any] | None = None
    owner: str = "validator"  # or "compose": started by docker compose, judged but never changed
    # how the live container differs from the spec: a Compose container's field by field; validator's
    # own, its HostConfig (changed in place by ``docker update``, or discarded by the engine at create),
    # which the config label, written at create, cannot show
    drift: tuple[str, ...] = ()
    replica: int = 1  # which replica of its service (labels.REPLICA; 0 when the label is unreadable)
    # a launch record (engine/launches.py) says every launch step of it succeeded: create, copy files,
    # connect, start, post_start. Labels, written at create, cannot say it; without one up recreates it
    launched: bool = False
    # its current start (the engine's StartedAt, epoch seconds; None when never started or unread) and
    # the owner ID of each namespace it shares with another container (engine/shared_ns.py), from the
    # inspect observe takes anyway: a sharer started before its owner's current start is in a dead one
    started: float | None = None
    joined: dict[str, str] = field(default_factory=dict)
    mounts: dict[str, str] | None = None  # target -> volume or bind (``shared_ns.mounts``), for volumes_from
    # the start the launch record vouches for (its post_start hooks ran on it; None: the record names
    # none) and the container's current start (``StartedAt``, from the observation's inspect): a
    # container with hooks started again outside up since is not launched in full on this start
    launch_start: str | None = None
    started_at: str | None = None


# the engine's states of a container that is not over: one that holds its names, ports and volumes
RUNS = frozenset({"running", "restarting", "paused"})


@dataclass(frozen=True, kw_only=True)
class Stranger:
    """A container that stands for no replica of a spec service yet sits in the project: one Compose made
    for it (a ``docker compose run`` one-off, a container of a service the spec lacks or validator runs
    itself), or anything else attached to a network the project made (or to a project container's
    network namespace). validator owns none of them and never changes them; one that runs may answer
    for a service's name (an alias, ``run --use-aliases``) or share its volumes, so ``check`` fails it."""

    id: str
    name: str
    state: str
    what: str  # what it is, short: "a docker compose run one-off"
    why: str  # the whole sentence: what it is, where, and what removes it

    @property
    def runs(self) -> bool:
        """Whether it is not over (the engine's running, restarting or paused): check fails it then."""
        return self.state in RUNS


@dataclass(frozen=True, kw_only=True)
class ObservedState:
    # per service of the spec, every container found for it, by replica number then name (the planner
    # keeps replicas 1..N and removes the rest: higher numbers after a scale down, duplicates)
    containers: dict[str, tuple[ObservedContainer, ...]] = field(default_factory=dict)
    orphans: list[ObservedContainer] = field(default_factory=list)
    # containers of the project, or on its networks, that validator does not own and that stand for no
    # service replica (see ``Stranger``), by name
    strangers: tuple[Stranger, ...] = ()
    networks: set[str] = field(default_factory=set)
    volumes: set[str] = field(default_factory=set)
    # name -> the engine's record of each network / volume of the project (as its list call gives it):
    # what their definitions are now (engine/object_drift.py); out of repr, as options may hold credentials
    network_records: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    volume_records: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    image_ids: dict[str, str | None] = field(default_factory=dict)
    foreign_names: dict[str, str] = field(default_factory=dict)  # container name -> description
    foreign_ports: dict[str, str] = field(default_factory=dict)  # "ip:port/proto" -> container description
    foreign_networks: set[str] = field(default_factory=set)
    foreign_volumes: set[str] = field(default_factory=set)
    missing_external: list[str] = field(default_factory=list)
    api_version: str = "1.41"
    image_tagged: dict[str, float | None] = field(default_factory=dict)  # for pull_policy daily/weekly/every_
    # when the engine was observed (epoch seconds): the planner's clock, so the plan is a function of
    # its two inputs (an image pulled a day before this moment is stale under pull_policy daily)
    at: float = 0.0
    # the observation's inspect of each of validator's containers of a spec service, by ID: ``up``
    # reads it again after the run instead of a second inspect where engine/witness.py proves it current.
    # Out of repr: an inspect holds the container's Env, secrets included
    details: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    # container:NAME namespace owners that are no spec service's container, by NAME (absent: no such container)
    namespace_owners: dict[str, Owner] = field(default_factory=dict)


_HEALTH = re.compile(r"\((healthy|unhealthy|health: starting)\)")
_EXIT = re.compile(r"^Exited \((-?\d+)\)")


def _container(summary: dict[str, Any]) -> ObservedContainer:
    """From the list summary alone (no inspect per container): its State, and health and exit code
    as the engine words them in Status ("Up 3 minutes (healthy)", "Exited (0) 2 seconds ago")."""
    labels = summary.get("Labels") or {}
    raw = labels.get(L.CONFIG)
    try:
        config = json.loads(raw) if raw else None
    except ValueError:
        config = None
    status = str(summary.get("Status") or "")
    health = _HEALTH.search(status)
    exited = _EXIT.match(status)
    return ObservedContainer(
        id=summary["Id"],
        name=(summary.get("Names") or ["/?"])[0].lstrip("/"),
        service=labels.get(L.SERVICE),
        config_hash=labels.get(L.CONFIG_HASH),
        config=config,
        image_id=labels.get(L.IMAGE_ID),
        state=str(summary.get("State") or "unknown"),
        health=("starting" if health.group(1) == "health: starting" else health.group(1)) if health else None,
        exit_code=int(exited.group(1)) if exited else None,
        replica=replica_number(labels.get(L.REPLICA)),
    )


def replica_number(label: str | None) -> int:
    """A replica number from its label; no label is replica 1 (containers made before scale existed),
    an unreadable one 0 (no replica the spec asks for: the planner removes it)."""
    if label is None:
        return 1
    try:
        return max(0, int(label))
    except ValueError:
        return 0


from_summary = _container  # the public name: ``down`` reads its containers from the list alone too


def observe(engine: Engine, desired: DesiredState, ahead: Taken | None = None) -> ObservedState:
    """What the engine holds for the project, from one list of every container (the project's, Compose's
    for it and everyone else's), the inspects of those that stand for spec services, and one list each of
    networks and volumes and one inspect per image, the last three asked while the inspects run."""
    project = desired.project
    every = engine.containers()
    owned = [c for c in every if _labelled(c, project)]
    composed = [c for c in every if _composes(c, project) and L.PROJECT not in (c.get("Labels") or {})]
    found: dict[str, list[ObservedContainer]] = {}
    orphans: list[ObservedContainer] = []
    items = [from_summary(summary) for summary in owned]
    ids = [i.id for i in items if i.service in desired.services]
    ours = {str(i.service) for i in items if i.service in desired.services}
    # Compose's containers that stand for a spec service are inspected in the same round (their drift)
    standing = [c["Id"] for c in composed if not _compose_stranger(c.get("Labels") or {}, desired.services, ours)]
    # the networks, volumes and images do not depend on the containers: each is one call (a round trip
    # a busy engine makes 0.05-0.3 s), overlapped with the inspects instead of queued after them
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="validator-observe") as pool:
        held_asked = pool.submit(_held_resources, engine, desired, project)
        images_asked = pool.submit(_image_records, engine, desired)
        owners_asked = pool.submit(_namespace_owners, engine, desired)
        # an inspect taken ahead (engine/ahead.py) stands while the witness heard nothing of its container
        early = {cid: detail for cid in ids if ahead is not None and (detail := ahead.current(cid)) is not None}
        asked = [cid for cid in ids + standing if cid not in early]
        details = {**early, **(inspect_each(engine.try_inspect, asked) if asked else {})}
        held, image_records, owners = held_asked.result(), images_asked.result(), owners_asked.result()
    for item in items:
        service = item.service
        if service is not None and service in desired.services:
            detail = details.get(item.id)
            item = dataclasses.replace(item, **_start_facts(detail))
            if item.config_hash != desired.services[service].config_hash:
                item = dataclasses.replace(item, inspected=_inspected(detail))
                _register_old(item, desired.services[service], desired.key)
            else:
                svc = desired.services[service]
                item = dataclasses.replace(item, drift=live_drift(engine, desired, svc, item, detail))
            found.setdefault(service, []).append(item)
        else:
            orphans.append(item)
    compose = _compose_containers(engine, desired, ours, composed, details, image_records)
    found.update(compose.services)
    # the containers that stand for the project's services: any other holding a name or a host port the
    # spec needs is in the way (a one-off run with --service-ports too)
    owned_ids = {c["Id"] for c in owned} | {c.id for items in compose.services.values() for c in items}
    members = {c["Id"]: from_summary(c).name for c in owned} | compose.names  # ID -> name, the project's all
    containers = {service: tuple(sorted(items, key=lambda c: (c.replica, c.name))) for service, items in found.items()}
    others = [summary for summary in every if summary["Id"] not in owned_ids]
    foreign = _foreign(desired, others, _made_networks(desired, held["network_records"]), members)
    images = {image: str(record["Id"]) if record else None for image, record in image_records.items()}
    periodic = {svc.image for svc in desired.services.values() if pull_period(svc.pull_policy) is not None}
    tagged = {image: last_tagged(image_records[image]) for image in periodic if images.get(image)}
    return ObservedState(
        containers=containers,
        orphans=orphans,
        strangers=tuple(sorted([*compose.strangers, *foreign.strangers], key=lambda s: s.name)),
        image_ids=images,
        foreign_names=foreign.names,
        foreign_ports=foreign.ports,
        **held,
        api_version=engine.api_version,
        image_tagged=tagged,
        at=time.time(),
        # validator's own only: the witness (engine/witness.py) follows those, not Compose's
        details={cid: detail for cid in ids if (detail := details.get(cid))},
        namespace_owners=owners,
    )


@dataclass(frozen=True, kw_only=True)
class _Foreign:
    names: dict[str, str]  # a container name the spec needs -> the description of who holds it
    ports: dict[str, str]  # "port/proto" the spec publishes -> the description of who holds it
    strangers: tuple[Stranger, ...]  # those sitting on the project's networks or in its namespaces


def _foreign(
    desired: DesiredState, others: list[dict[str, Any]], made: frozenset[str], members: dict[str, str]
) -> _Foreign:
    """What the containers that stand for no service of the project (``others``: their list summaries)
    hold of what the spec needs (a name, a host port), and which of them are strangers in it."""
    wanted_names = {name for svc in desired.services.values() for name in svc.names}
    wanted_ports = {port for svc in desired.services.values() for port in _host_ports(svc.config)}
    names: dict[str, str] = {}
    ports: dict[str, str] = {}
    strangers: list[Stranger] = []
    for summary in others:
        name = (summary.get("Names") or ["/?"])[0].lstrip("/")
        description = _describe(summary, name)
        stranger = _foreign_stranger(summary, made, members)
        if stranger is not None:
            strangers.append(stranger)
        if name in wanted_names:
            names[name] = description
        for port in summary.get("Ports") or []:
            if port.get("PublicPort"):
                key = f"{port.get('PublicPort')}/{port.get('Type', 'tcp')}"
                if key in wanted_ports:
                    ports[key] = description
    return _Foreign(names=names, ports=ports, strangers=tuple(strangers))


def _image_records(engine: Engine, desired: DesiredState) -> dict[str, dict[str, Any] | None]:
    """The engine's record of each image the spec names (None: the engine has none), one inspect each:
    its ID, when it was last tagged (``pull_policy`` daily and the like) and its Config (what a Compose
    container runs where the spec sets nothing) all come from it."""
    return {image: engine.inspect_image(image) for image in sorted({svc.image for svc in desired.services.values()})}


def _made_networks(desired: DesiredState, records: dict[str, dict[str, Any]]) -> frozenset[str]:
    """The networks the project made (validator's or Compose's for it): the spec's external networks are
    shared on purpose, so only these must carry nothing but the project's containers."""
    external = {net.name for net in desired.networks.values() if net.external}
    return frozenset(set(records) - external)


def strangers_now(
    engine: Engine, *, project: str, services: Collection[str], external: Collection[str]
) -> tuple[Stranger, ...]:
    """The project's strangers as they are now, from two list calls (every container, every network):
    ``check`` looks again once its ``up`` is over, since one may have joined during up's walk (the plan's
    look is from before it). ``services``: the spec's active services; ``external``: the names of the
    networks the spec declares external."""
    every = engine.containers()
    of = [c for c in every if (c.get("Labels") or {}).get(L.PROJECT) == project]
    ours = {str((c.get("Labels") or {}).get(L.SERVICE)) for c in of} & set(services)
    members = {c["Id"]: from_summary(c).name for c in of}
    found: list[Stranger] = []
    for summary in every:
        labels = summary.get("Labels") or {}
        if labels.get(C.PROJECT) != project or L.PROJECT in labels:
            continue
        members[summary["Id"]] = from_summary(summary).name
        what = _compose_stranger(labels, services, ours)
        if what or labels.get(C.SERVICE) is None:
            found.append(_compose_stranger_record(summary, what, project))
    made = frozenset(
        n["Name"]
        for n in engine.networks()
        if project in ((n.get("Labels") or {}).get(L.PROJECT), (n.get("Labels") or {}).get(C.PROJECT))
    ) - frozenset(external)
    found += [s for s in (_foreign_stranger(summary, made, members) for summary in every) if s is not None]
    return tuple(sorted(found, key=lambda s: s.name))


def _attached(summary: dict[str, Any], made: frozenset[str], members: dict[str, str]) -> str:
    """Where a container that is not the project's sits in it: a network the project made (its list
    summary names the networks it is on), or a project container's network namespace
    (``network_mode: container:ID``, which the engine stores with the full ID); "" when neither."""
    networks = sorted(set((summary.get("NetworkSettings") or {}).get("Networks") or {}) & made)
    if networks:
        return f"network {networks[0]}"
    mode = str((summary.get("HostConfig") or {}).get("NetworkMode") or "")
    owner = members.get(mode.removeprefix("container:")) if mode.startswith("container:") else None
    if owner:
        return f"the network namespace of container {owner}"
    return ""


def _foreign_stranger(summary: dict[str, Any], made: frozenset[str], members: dict[str, str]) -> Stranger | None:
    """A container of no project (not in ``members``: the project's, by ID) that sits on a network the
    project made or in a project container's namespace, as a stranger; None for any other. The one
    judgement of both looks: ``observe``'s and ``strangers_now``'s after ``check``'s ``up``."""
    if summary["Id"] in members:
        return None
    on = _attached(summary, made, members)
    if not on:
        return None
    name = from_summary(summary).name
    description = _describe(summary, name)
    return Stranger(
        id=summary["Id"],
        name=name,
        state=str(summary.get("State") or "unknown"),
        what=f"a container of no service of the project, on {on}",
        why=(
            f"{description} is on {on}, which the project made: it may answer for a service's name there "
            f"(an alias, its name); validator never removes it (docker rm -f {name}, or declare the network "
            "external to share it)"
        ),
    )


def _composes(record: dict[str, Any], project: str) -> bool:
    return (record.get("Labels") or {}).get(C.PROJECT) == project


def _start_facts(detail: dict[str, Any] | None) -> dict[str, Any]:
    """``ObservedContainer``'s ``started``, ``joined`` and ``mounts`` from its inspect (None: it is gone)."""
    started = engine_time(((detail or {}).get("State") or {}).get("StartedAt"))
    return {"started": started, "joined": joined(detail), "mounts": mounts(detail)}


def _namespace_owners(engine: Engine, desired: DesiredState) -> dict[str, Owner]:
    """The containers a ``container:NAME`` namespace names that are no service's (one inspect each: a
    spec naming one is rare); a spec service's own are in ``containers``."""
    ours = {name for svc in desired.services.values() for name in svc.names}
    names = {s.container for svc in desired.services.values() for s in svc.shares if s.service is None}
    out: dict[str, Owner] = {}
    for name in sorted(names - ours):
        detail = engine.try_inspect(name)
        if detail:
            state = detail.get("State") or {}
            started = engine_time(state.get("StartedAt"))
            running = bool(state.get("Running"))
            out[name] = Owner(id=detail["Id"], started=started, running=running, mounts=mounts(detail) or {})
    return out


def _held_resources(engine: Engine, desired: DesiredState, project: str) -> dict[str, Any]:
    """The project's networks and volumes (with the engine's record of each), the spec's that another
    project holds, and the external ones missing: ``ObservedState``'s fields of that name. One list of
    every network and one of every volume: the project's are those with its label."""
    every_network = engine.networks()
    every_volume = engine.volumes()
    # what Compose made for this project (its project label), where the spec declares any: there, not in
    # the way, with or without a container of Compose's left (validator's own may run on it, a one-off
    # may have been its only one)
    listed_networks = every_network if desired.networks else []
    listed_volumes = every_volume if desired.volumes else []
    network_records = {n["Name"]: n for n in listed_networks if _composes(n, project)} | {
        n["Name"]: n for n in every_network if _labelled(n, project)
    }
    volume_records = {v["Name"]: v for v in listed_volumes if _composes(v, project)} | {
        v["Name"]: v for v in every_volume if _labelled(v, project)
    }
    all_networks = {n["Name"] for n in listed_networks}
    all_volumes = {v["Name"] for v in listed_volumes}
    missing_external = [n.name for n in desired.networks.values() if n.external and n.name not in all_networks]
    missing_external += [v.name for v in desired.volumes.values() if v.external and v.name not in all_volumes]
    nets, vols = desired.networks.values(), desired.volumes.values()
    return {
        "networks": set(network_records),
        "volumes": set(volume_records),
        "network_records": network_records,
        "volume_records": volume_records,
        "foreign_networks": {n.name for n in nets if not n.external and n.name in all_networks - set(network_records)},
        "foreign_volumes": {v.name for v in vols if not v.external and v.name in all_volumes - set(volume_records)},
        "missing_external": missing_external,
    }


def _labelled(record: dict[str, Any], project: str) -> bool:
    """Whether an engine object carries validator's label of ``project`` (as ``L.project_filter`` selects)."""
    return (record.get("Labels") or {}).get(L.PROJECT) == project


def with_launches(observed: ObservedState, launched: Mapping[str, str | None]) -> ObservedState:
    """``observed`` with each of validator's containers marked launched when its ID is in ``launched``
    (the IDs with a launch record, each with the start the record vouches for, read by the caller: the
    planner reads no file), and its current start as the observation's inspect gave it."""

    def marked(c: ObservedContainer) -> ObservedContainer:
        state = (observed.details.get(c.id) or {}).get("State") or {}
        started = state.get("StartedAt")
        return dataclasses.replace(
            c,
            launched=c.id in launched,
            launch_start=launched.get(c.id),
            started_at=started if isinstance(started, str) else None,
        )

    containers = {
        service: tuple(marked(c) if c.owner == "validator" else c for c in items)
        for service, items in observed.containers.items()
    }
    return dataclasses.replace(observed, containers=containers)


def _register_old(item: ObservedContainer, svc: DesiredService, key: bytes) -> None:
    """Register the old values of a drifted container that may be secrets, before anything prints them."""
    if item.inspected:
        was = Provenance.from_label((item.config or {}).get("secret"), lambda name: L.seal_text(name, key))
        register(old_secrets(item.inspected, svc.config, svc.provenance, was))


def _inspected(info: dict[str, Any] | None) -> dict[str, Any] | None:
    """The container's environment, command and entrypoint as Docker reports them (``info``: its
    inspect, None when it is gone)."""
    config = (info or {}).get("Config") or {}
    if not config:
        return None
    env = C.env_mapping(config.get("Env") or [])
    return {"environment": env, "command": config.get("Cmd"), "entrypoint": config.get("Entrypoint")}


def _body(
    engine: Engine, desired: DesiredState, svc: DesiredService, image_id: str, replica: int
) -> tuple[dict[str, Any], list[tuple[str, list[str]]]]:
    """The create body of ``svc``'s replica ``replica`` as ``up`` would send it now, and the networks it
    joins before its start (``body.create_body``)."""
    # lazy: the create body is the applier's, loaded by plan only when a live comparison needs it
    # (tests/unit/engine/test_stopper.py pins what plan and down load)
    from validator.engine.body import create_body

    return create_body(
        svc,
        project=desired.project,
        image_id=image_id,
        spec_files=desired.spec_files,
        api_version=engine.api_version,
        version=__version__,
        replica=replica,
        working_dir=desired.working_dir,
    )


def compose_live_drift(
    engine: Engine, desired: DesiredState, svc: DesiredService, item: ObservedContainer, detail: dict[str, Any] | None
) -> tuple[str, ...]:
    """How a container Compose made for ``svc`` differs now (``detail``: its inspect) from what Compose
    would create from the spec, compared as the observation compares it (``compose_observe.drift``)."""
    if not detail:
        return ()
    image = engine.inspect_image(svc.image)
    return _compose_drift(engine, desired, svc, item.replica, detail, image, EngineFilled(engine=engine))


def _compose_drift(
    engine: Engine,
    desired: DesiredState,
    svc: DesiredService,
    replica: int,
    detail: dict[str, Any],
    image: dict[str, Any] | None,
    filled: EngineFilled,
) -> tuple[str, ...]:
    """How Compose's container ``detail`` of ``svc``'s replica ``replica`` differs from the body Compose
    would create from the spec (``compose_observe.drift``): ``image`` is the engine's record of its image
    (its Id, and its Config: what the container runs where the spec sets nothing), ``filled`` the
    engine's fill of keys left unset."""
    image_id = str(image["Id"]) if image else None
    body, extra = _body(engine, desired, svc, image_id or "", max(1, replica))  # its own name among its aliases
    return tuple(
        C.drift(
            body,
            detail,
            image_id,
            extra,
            addresses=svc.config.get("network_addresses"),
            image_config=image.get("Config") or {} if image else None,
            filled=filled.host(str(detail.get("Image") or ""), body.get("HostConfig") or {}),
        )
    )


def live_drift(
    engine: Engine,
    desired: DesiredState,
    svc: DesiredService,
    item: ObservedContainer,
    detail: dict[str, Any] | None,
) -> tuple[str, ...]:
    """How validator's own container, created from this very configuration (its hash matches), differs
    now from the body it was created with: the label records what was asked, the engine what runs
    (``detail``: its inspect, None when it is gone)."""
    if not 1 <= item.replica <= svc.replicas:
        return ()  # a replica the spec no longer asks for: the plan removes it
    if not detail:
        return ()
    body, extra = _body(engine, desired, svc, item.image_id or "", item.replica)
    # the label records the networks asked at create; the engine, the ones it is on now and the
    # endpoints it holds there (graph cases 01 and graph6 03)
    networks = C.network_drift(body, extra, detail, svc.config.get("network_addresses"))
    return (*C.host_drift(body.get("HostConfig") or {}, detail.get("HostConfig") or {}), *networks)


@dataclass(frozen=True, kw_only=True)
class _ComposeFound:
    services: dict[str, list[ObservedContainer]]  # the containers standing for spec services, by service
    strangers: tuple[Stranger, ...]  # the rest (see ``_compose_stranger``)
    names: dict[str, str]  # ID -> name of every container Compose made for the project, both kinds


def _compose_containers(
    engine: Engine,
    desired: DesiredState,
    ours: set[str],
    composed: list[dict[str, Any]],
    details: Mapping[str, dict[str, Any] | None],
    images: Mapping[str, dict[str, Any] | None],
) -> _ComposeFound:
    """Containers Compose started for services of this project that validator has no container for,
    each with its replica number as Compose labels it; and Compose's containers of the project that
    stand for no service (strangers). ``composed``: the list's summaries of Compose's containers of the
    project (not validator's); ``details`` and ``images``: the observation's inspects."""
    filled = EngineFilled(engine=engine)  # the engine's fill of unset keys, probed once if needed
    out: dict[str, list[ObservedContainer]] = {}
    strangers: list[Stranger] = []
    names: dict[str, str] = {}
    for summary in composed:
        labels = summary.get("Labels") or {}
        service = labels.get(C.SERVICE)
        names[summary["Id"]] = from_summary(summary).name
        what = _compose_stranger(labels, desired.services, ours)
        if what or service is None:
            strangers.append(_compose_stranger_record(summary, what, desired.project))
            continue
        svc = desired.services[service]
        replica = replica_number(labels.get(C.NUMBER))  # as Compose numbers it (validator's label is not there)
        # gone since the list: asked again, so its absence is the engine's error, as it always was
        detail = details.get(summary["Id"]) or engine.inspect(summary["Id"])
        item = from_summary(summary)
        out.setdefault(service, []).append(
            ObservedContainer(
                id=item.id,
                name=item.name,
                service=service,
                config_hash=None,
                config=None,
                image_id=detail.get("Image"),
                state=item.state,
                health=item.health,
                exit_code=item.exit_code,
                owner="compose",
                drift=_compose_drift(engine, desired, svc, replica, detail, images.get(svc.image), filled),
                replica=replica,
                **_start_facts(detail),
            )
        )
    return _ComposeFound(services=out, strangers=tuple(strangers), names=names)


def _compose_stranger(labels: dict[str, str], services: Collection[str], ours: Collection[str]) -> str:
    """Why a container Compose made for the project stands for no service of the spec ("" when it
    stands for one). Rule (Compose's own, checked with its binary): only a service container
    (``oneoff=False``) of a service stands for it; a ``docker compose run`` one-off never does, and
    Compose's ``up`` creates the service's container beside it. A service validator runs itself has
    validator's containers: one Compose made beside them is one more answering for its name."""
    service = labels.get(C.SERVICE)
    if not CL.service_container(labels):
        return f"a docker compose run one-off of service {quoted(service or '?')}"
    if service not in services:
        return f"a container Compose made for service {quoted(service or '?')}, which the spec does not have"
    if service in ours:
        return f"a container Compose made for service {quoted(service)}, which validator runs itself"
    return ""


def _compose_stranger_record(summary: dict[str, Any], what: str, project: str) -> Stranger:
    item = from_summary(summary)
    what = what or "a container Compose made for no service"
    return Stranger(
        id=item.id,
        name=item.name,
        state=item.state,
        what=what,
        why=(
            f"container {item.name} ({what}) is in project {quoted(project)} but stands for no replica of the "
            f"spec's services; validator never removes what Compose made (docker rm -f {item.name})"
        ),
    )


def _host_ports(config: dict[str, Any]) -> set[str]:
    out = set()
    for text in config.get("ports", []):
        binding = PortBinding.parse(text)
        if binding.fixed_host_port is not None:
            out.add(f"{binding.fixed_host_port}/{binding.protocol}")
    return out


def _describe(summary: dict[str, Any], name: str) -> str:
    labels = summary.get("Labels") or {}
    owner = labels.get(L.PROJECT) or labels.get("com.docker.compose.project")
    suffix = f", project {quoted(owner)}" if owner else ""
    return f"container {name} ({summary['Id'][:12]}, image {summary.get('Image', '?')}{suffix})"
