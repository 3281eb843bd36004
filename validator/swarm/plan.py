"""Observed Swarm state, and the plan: a pure function of (desired, observed) with reasons field
by field in the same words as the container plan (``validator.engine.diff``).

A service whose recorded config, mounted files, pinned image and replica count are unchanged
gets no action: a second ``up`` makes no mutating call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from validator.engine import labels as L
from validator.engine.diff import config_diff, mounted_diff
from validator.redact import quoted
from validator.swarm.desired import SwarmService, SwarmState

Kind = Literal["create-network", "create-config", "create-secret", "create-service", "update-service", "remove-orphan"]


@dataclass(frozen=True, kw_only=True)
class SwarmAction:
    kind: Kind
    target: str
    reasons: tuple[str, ...] = ()
    service: str | None = None

    def describe(self) -> str:
        head = f"{self.kind} {self.target}"
        return head if not self.reasons else head + ": " + "; ".join(self.reasons)


@dataclass(frozen=True, kw_only=True)
class SwarmPlan:
    actions: tuple[SwarmAction, ...]
    conflicts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    unverified: tuple[tuple[str, str], ...] = ()  # (none on Swarm: the PlanView field)
    orphans_running: tuple[tuple[str, str], ...] = ()  # (a stack's orphan services are removed: the PlanView field)
    strangers_running: tuple[tuple[str, str, str], ...] = ()  # (containers only: the PlanView field)

    @property
    def empty(self) -> bool:
        return not self.actions and not self.conflicts

    def for_service(self, service: str) -> SwarmAction | None:
        return next((a for a in self.actions if a.service == service and a.kind.endswith("-service")), None)


@dataclass
class ObservedSwarm:
    services: dict[str, dict[str, Any]] = field(default_factory=dict)  # spec service name -> API object
    orphans: list[dict[str, Any]] = field(default_factory=list)
    foreign_services: list[str] = field(default_factory=list)
    networks: set[str] = field(default_factory=set)  # names of the project's networks
    foreign_networks: set[str] = field(default_factory=set)
    pins: dict[str, str] = field(default_factory=dict)  # image ref -> what tasks will run (see pin_image)
    objects: dict[str, str] = field(default_factory=dict)  # name of a config/secret that exists -> its ID


def seal_with(key: bytes) -> Callable[[object], object]:
    return lambda value: L.seal(value, key)


def recorded(service: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The canonical config and mounted-file hashes ``up`` recorded on the service."""
    try:
        data = json.loads((service["Spec"].get("Labels") or {}).get(L.CONFIG, "{}"))
        return dict(data.get("config") or {}), dict(data.get("mounted") or {})
    except ValueError:
        return {}, {}


def flat(config: dict[str, Any]) -> dict[str, Any]:
    """``deploy`` spread into ``deploy.replicas``, ``deploy.placement.constraints``... so a
    reason names the field that changed, not the whole section."""
    out = {k: v for k, v in config.items() if k != "deploy"}
    for key, value in (config.get("deploy") or {}).items():
        if isinstance(value, dict) and key != "labels":
            for sub, inner in value.items():
                out[f"deploy.{key}.{sub}"] = inner
        else:
            out[f"deploy.{key}"] = value
    return out


def replicas_of(service: dict[str, Any]) -> int | None:
    mode = service["Spec"].get("Mode") or {}
    return None if "Global" in mode else int((mode.get("Replicated") or {}).get("Replicas", 1))


def plan(
    state: SwarmState, observed: ObservedSwarm, *, remove_orphans: bool = False, force_recreate: bool = False
) -> SwarmPlan:
    """A pure function of its arguments (the label key is ``state.key``)."""
    actions: list[SwarmAction] = []
    conflicts = [
        f"service {name} exists but this project does not own it (no {quoted(state.project)} label)"
        for name in sorted(observed.foreign_services)
    ]
    conflicts += [
        f"network {name} exists but this project does not own it (no {quoted(state.project)} label)"
        for name in sorted(observed.foreign_networks)
    ]
    notes: list[str] = []
    for orphan in observed.orphans:
        name = orphan["Spec"]["Name"]
        service = (orphan["Spec"].get("Labels") or {}).get(L.SERVICE)
        why = f"service {quoted(service)} is no longer in the spec"
        if remove_orphans:
            actions.append(SwarmAction(kind="remove-orphan", target=name, reasons=(why,)))
        else:
            notes.append(f"orphan service {name} ({why}); remove it with --remove-orphans")
    for net in sorted(state.networks.values(), key=lambda n: n.name):
        if not net.external and net.name not in observed.networks and net.name not in observed.foreign_networks:
            actions.append(SwarmAction(kind="create-network", target=net.name, reasons=("missing",)))
    actions += _object_actions(state, observed, conflicts)
    unchanged: list[str] = []
    for name in sorted(state.services):
        action = _service_action(state, observed, name, force_recreate=force_recreate, notes=notes)
        if action is not None:
            actions.append(action)
        else:
            unchanged.append(name)
    return SwarmPlan(
        actions=tuple(actions),
        conflicts=tuple(conflicts),
        notes=tuple(dict.fromkeys(notes)),
        order=tuple(sorted(state.services)),
        unchanged=tuple(unchanged),
    )


def _object_actions(state: SwarmState, observed: ObservedSwarm, conflicts: list[str]) -> list[SwarmAction]:
    actions = []
    for (kind, key), obj in sorted(state.objects.items()):
        if obj.name in observed.objects:
            continue
        if obj.external:
            conflicts.append(f"external {kind} {obj.name} does not exist in the swarm")
        else:
            # The object's name carries its content's digest: a missing one is new content.
            # A secret's object name (its digest) is never printed; its file's path is.
            action: Kind = "create-config" if kind == "config" else "create-secret"
            shown = f" as {obj.name}" if kind == "config" else ""
            actions.append(SwarmAction(kind=action, target=key, reasons=(f"content of {obj.path}{shown}",)))
    return actions


def _service_action(
    state: SwarmState, observed: ObservedSwarm, name: str, *, force_recreate: bool, notes: list[str]
) -> SwarmAction | None:
    """Create the service, update it (with why), or nothing (unchanged)."""
    svc = state.services[name]
    pin = observed.pins.get(svc.image, svc.image)
    if pin == svc.image and svc.image not in observed.pins:
        notes.append(f"image {svc.image} is not on this engine: every node pulls it itself")
    if any(m.startswith("bind:") for m in svc.config.get("volumes", [])):
        notes.append(f"{name}: a bind mount reads the filesystem of whichever node runs the task")
    current = observed.services.get(name)
    if current is None:
        return SwarmAction(kind="create-service", target=svc.service_name, reasons=("missing",), service=name)
    reasons = _drift(state, svc, current)
    running_image = current["Spec"]["TaskTemplate"]["ContainerSpec"].get("Image")
    if not reasons and running_image != pin:
        reasons.append(f"image: {svc.image} moved to a new ID")
    live = replicas_of(current)
    if not reasons and live != svc.replicas:
        reasons.append(
            f"deploy.replicas: {'global' if live is None else live} -> "
            f"{'global' if svc.replicas is None else svc.replicas} (changed outside validator)"
        )
    if not reasons and force_recreate:
        reasons.append("--force-recreate")
    if not reasons:
        return None
    return SwarmAction(kind="update-service", target=svc.service_name, reasons=tuple(reasons), service=name)


def _drift(state: SwarmState, svc: SwarmService, current: dict[str, Any]) -> list[str]:
    """How the service's recorded label differs from ``svc``. The label holds keyed hashes
    (validator.engine.labels.seal_label), names too: they are opened with the spec's names, then sealed
    is compared with sealed; an old value is shown only where it is a number or a flag the seal keeps."""
    old_config, old_mounted = recorded(current)
    key = state.key
    old_config = cast(dict[str, Any], L.open_keys(old_config, svc.config, key))
    old_mounted = cast(dict[str, str], L.open_keys(old_mounted, svc.mounted, key))
    sealed = L.seal(flat(svc.config), key)
    reasons = config_diff(
        flat(old_config),
        flat(svc.config),
        state.secrets,
        sealed=cast(dict[str, Any], sealed),
        seal=seal_with(key),
        hidden=svc.provenance,
    )
    return reasons + mounted_diff(old_mounted, cast(dict[str, str], L.seal(svc.mounted, key)))
