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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from validator import __version__
from validator.engine import compose_observe as C
from validator.engine import labels as L
from validator.engine.desired import DesiredService, DesiredState
from validator.engine.inspect_each import inspect_each
from validator.engine.provenance import Provenance, old_secrets
from validator.engine.unsupported import pull_period
from validator.redact import quoted, register
from validator.spec.ports import PortBinding

if TYPE_CHECKING:
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


@dataclass(frozen=True, kw_only=True)
class ObservedState:
    # per service of the spec, every container found for it, by replica number then name (the planner
    # keeps replicas 1..N and removes the rest: higher numbers after a scale down, duplicates)
    containers: dict[str, tuple[ObservedContainer, ...]] = field(default_factory=dict)
    orphans: list[ObservedContainer] = field(default_factory=list)
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


def observe(engine: Engine, desired: DesiredState) -> ObservedState:
    project = desired.project
    owned = engine.containers(L.project_filter(project))
    found: dict[str, list[ObservedContainer]] = {}
    orphans: list[ObservedContainer] = []
    items = [from_summary(summary) for summary in owned]
    ids = [i.id for i in items if i.service in desired.services]
    details = inspect_each(engine.try_inspect, ids) if ids else {}
    for item in items:
        service = item.service
        if service is not None and service in desired.services:
            detail = details.get(item.id)
            if item.config_hash != desired.services[service].config_hash:
                item = dataclasses.replace(item, inspected=_inspected(detail))
                _register_old(item, desired.services[service], desired.key)
            else:
                svc = desired.services[service]
                item = dataclasses.replace(item, drift=live_drift(engine, desired, svc, item, detail))
            found.setdefault(service, []).append(item)
        else:
            orphans.append(item)
    owned_ids = {c["Id"] for c in owned}
    for service, items in _compose_containers(engine, desired, set(found)).items():
        found[service] = items
        owned_ids |= {item.id for item in items}
    containers = {service: tuple(sorted(items, key=lambda c: (c.replica, c.name))) for service, items in found.items()}
    wanted_names = {name for svc in desired.services.values() for name in svc.names}
    wanted_ports = {port for svc in desired.services.values() for port in _host_ports(svc.config)}
    foreign_names: dict[str, str] = {}
    foreign_ports: dict[str, str] = {}
    if wanted_names or wanted_ports:
        for summary in engine.containers():
            if summary["Id"] in owned_ids:
                continue
            name = (summary.get("Names") or ["/?"])[0].lstrip("/")
            description = _describe(summary, name)
            if name in wanted_names:
                foreign_names[name] = description
            for port in summary.get("Ports") or []:
                if port.get("PublicPort"):
                    key = f"{port.get('PublicPort')}/{port.get('Type', 'tcp')}"
                    if key in wanted_ports:
                        foreign_ports[key] = description
    compose = any(c.owner == "compose" for items in containers.values() for c in items)
    held = _held_resources(engine, desired, project, compose)
    images = {image: engine.image_id(image) for image in {svc.image for svc in desired.services.values()}}
    periodic = {svc.image for svc in desired.services.values() if pull_period(svc.pull_policy) is not None}
    tagged = {image: engine.image_tagged(image) for image in periodic if images.get(image)}
    return ObservedState(
        containers=containers,
        orphans=orphans,
        image_ids=images,
        foreign_names=foreign_names,
        foreign_ports=foreign_ports,
        **held,
        api_version=engine.api_version,
        image_tagged=tagged,
        at=time.time(),
        details={cid: detail for cid, detail in details.items() if detail},
    )


def _held_resources(engine: Engine, desired: DesiredState, project: str, compose: bool) -> dict[str, Any]:
    """The project's networks and volumes (with the engine's record of each), the spec's that another
    project holds, and the external ones missing: ``ObservedState``'s fields of that name."""
    network_records = {n["Name"]: n for n in engine.networks(L.project_filter(project))}
    volume_records = {v["Name"]: v for v in engine.volumes(L.project_filter(project))}
    if compose:
        # the stack Compose made for this project: its network and volumes are there, not in the way
        network_records |= {n["Name"]: n for n in engine.networks(C.compose_filter(project))}
        volume_records |= {v["Name"]: v for v in engine.volumes(C.compose_filter(project))}
    all_networks = {n["Name"] for n in engine.networks()} if desired.networks else set()
    all_volumes = {v["Name"] for v in engine.volumes()} if desired.volumes else set()
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


def with_launches(observed: ObservedState, launched: frozenset[str]) -> ObservedState:
    """``observed`` with each of validator's containers marked launched when its ID is in ``launched``
    (the IDs with a launch record, read by the caller: the planner reads no file)."""
    containers = {
        service: tuple(
            dataclasses.replace(c, launched=c.id in launched) if c.owner == "validator" else c for c in items
        )
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
    from validator import __version__
    from validator.engine.body import create_body

    if not 1 <= item.replica <= svc.replicas:
        return ()  # a replica the spec no longer asks for: the plan removes it
    if not detail:
        return ()
    body, extra = create_body(
        svc,
        project=desired.project,
        image_id=item.image_id or "",
        spec_files=desired.spec_files,
        api_version=engine.api_version,
        version=__version__,
        replica=item.replica,
        working_dir=desired.working_dir,
    )
    # the label records the networks asked at create; the engine, the ones it is on now and the
    # endpoints it holds there (graph cases 01 and graph6 03)
    networks = C.network_drift(body, extra, detail, svc.config.get("network_addresses"))
    return (*C.host_drift(body.get("HostConfig") or {}, detail.get("HostConfig") or {}), *networks)


def _compose_containers(engine: Engine, desired: DesiredState, ours: set[str]) -> dict[str, list[ObservedContainer]]:
    """Containers Compose started for services of this project that validator has no container for,
    each with its replica number as Compose labels it."""
    # lazy: the create body is the applier's, loaded by plan only when Compose's containers are found
    # (tests/unit/engine/test_stopper.py pins what plan and down load)
    from validator.engine.body import create_body

    out: dict[str, list[ObservedContainer]] = {}
    for summary in engine.containers(C.compose_filter(desired.project)):
        labels = summary.get("Labels") or {}
        service = labels.get(C.SERVICE)
        if L.PROJECT in labels or service not in desired.services or service in ours:
            continue  # validator's own (it writes Compose's labels too), or a service it runs
        svc = desired.services[service]
        # the image's record (its Id, and its Config: what the container runs where the spec sets nothing)
        image = engine.inspect_image(svc.image) or {}
        image_id = str(image["Id"]) if image else None
        body, extra = create_body(
            svc=svc,
            project=desired.project,
            image_id=image_id or "",
            spec_files=desired.spec_files,
            api_version=engine.api_version,
            version=__version__,
            replica=max(1, replica_number(labels.get(C.NUMBER))),  # its own name among its aliases
            working_dir=desired.working_dir,
        )
        detail = engine.inspect(summary["Id"])
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
                drift=tuple(
                    C.drift(
                        body,
                        detail,
                        image_id,
                        extra,
                        addresses=svc.config.get("network_addresses"),
                        image_config=image.get("Config") or {} if image else None,
                    )
                ),
                replica=replica_number(labels.get(C.NUMBER)),
            )
        )
    return out


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
