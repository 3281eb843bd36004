"""Why ``plan``/``up`` cannot apply a spec: undefined references, services that profiles leave out, and
the one list of Compose fields that lint accepts but the engine does not apply yet.

A valid compose file lints as it is; a field the engine would not apply as Compose does is refused
here with a located "not supported yet: FIELD" error instead of being silently ignored, so a green
``up`` never stands for a container that lacks what the file asked for. Presence is judged by what
the file wrote (pydantic's ``model_fields_set``) with a value that asks for something, so neither a
default nor ``privileged: false`` trips a refusal.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from validator.engine.compose_fields import BUILD_OPTIONS
from validator.errors import SpecError
from validator.redact import quoted
from validator.spec import profiles
from validator.spec.environment import missing_files
from validator.spec.load import LoadedSpec
from validator.spec.model import Spec
from validator.spec.service import Service
from validator.units import parse_duration

Path = tuple[Any, ...]

# Service fields with no engine work yet (each would change the container, or needs another engine or
# a plugin), with why when it is not plain missing work.
SERVICE_FIELDS = {
    "annotations": "annotations (engine API 1.43)",
    "cpu_count": "cpu_count (Windows engines)",
    "cpu_percent": "cpu_percent (Windows engines)",
    "credential_spec": "credential_spec (Windows engines)",
    "models": "models (Docker Model Runner)",
    "provider": "provider (Compose provider plugins)",
    "pull_refresh_after": "pull_refresh_after",
    "use_api_socket": "use_api_socket",
}
# What the builder passes (engine/compose_fields.py BUILD_OPTIONS); the rest would change the image.
BUILD_APPLIED = frozenset({"context", "dockerfile", "args", "target", *BUILD_OPTIONS})
NETWORK_APPLIED = frozenset({"aliases", "ipv4_address", "ipv6_address", "priority"})
MOUNT_TYPES = ("bind", "volume", "tmpfs")
# refresh compares with the registry's digest, which needs a registry.
PULL_POLICIES = ("always", "never", "missing", "if_not_present", "build", "daily", "weekly")


def pull_period(policy: str | None) -> float | None:
    """Seconds after which ``daily``, ``weekly`` or ``every_<duration>`` pulls again; None for the others."""
    if policy == "daily":
        return 86400.0
    if policy == "weekly":
        return 7 * 86400.0
    if policy and policy.startswith("every_"):
        try:
            return parse_duration(policy[6:])
        except ValueError:
            return None
    return None


def _set(model: BaseModel | None, name: str) -> bool:
    """Written in the file with a value that asks for something (``privileged: false`` asks nothing)."""
    return (
        model is not None and name in model.model_fields_set and getattr(model, name) not in (None, False, "", [], {})
    )


def refusals(spec: Spec, services: dict[str, Service]) -> Iterator[tuple[Path, str]]:
    """(path in the file, what is not supported) for every field the engine would not apply."""
    for name, svc in services.items():
        yield from _service(("services", name), svc, spec)
    used_secrets = {ref.source for svc in services.values() for ref in svc.secrets}
    used_configs = {ref.source for svc in services.values() for ref in svc.configs}
    for kind, entries, used in (("secrets", spec.secrets, used_secrets), ("configs", spec.configs, used_configs)):
        for key, entry in entries.items():
            if key not in used:
                continue
            for field in ("external", "driver", "template_driver"):
                if _set(entry, field):
                    yield (kind, key, field), f"{kind}.{field} (Swarm's)"
    for key in spec.models:
        yield ("models", key), "models (Docker Model Runner)"
    for key, net in spec.networks.items():
        if net.enable_ipv4 is False:  # true is what every network has; false (no IPv4) needs API 1.47
            yield ("networks", key, "enable_ipv4"), "networks.enable_ipv4: false (engine API 1.47)"


def _service(at: Path, svc: Service, spec: Spec) -> Iterator[tuple[Path, str]]:
    for field, what in SERVICE_FIELDS.items():
        if _set(svc, field):
            yield (*at, field), what
    for field in ("links", "external_links"):
        if getattr(svc, field) and svc.network_mode is not None:
            yield (*at, field), f"{field} with a network_mode"
    yield from _build(at, svc)
    deploy = svc.deploy
    if deploy is not None:
        reservations = deploy.resources.reservations if deploy.resources else None
        for field in ("generic_resources",):  # Swarm's
            if _set(reservations, field):
                yield (*at, "deploy", "resources", "reservations", field), f"deploy.resources.reservations.{field}"
    if svc.pull_policy is not None and svc.pull_policy not in PULL_POLICIES and pull_period(svc.pull_policy) is None:
        yield (*at, "pull_policy"), f"pull_policy {svc.pull_policy}"
    for key, opts in svc.networks.items():
        for field in sorted(opts.model_fields_set - NETWORK_APPLIED):
            if _set(opts, field):
                yield (*at, "networks", key, field), f"networks.{field}"
    yield from _mounts(at, svc)


def _build(at: Path, svc: Service) -> Iterator[tuple[Path, str]]:
    if svc.build is None:
        return
    for field in sorted(svc.build.model_fields_set - BUILD_APPLIED):
        if _set(svc.build, field):
            yield (*at, "build", field), f"build.{field}"
    if len(svc.build.platforms) > 1:
        yield (*at, "build", "platforms"), "build.platforms with several platforms (one image is built)"


def _mounts(at: Path, svc: Service) -> Iterator[tuple[Path, str]]:
    """Volumes of a type or with a field the engine here cannot mount; file owners that are not numbers."""
    for index, mount in enumerate(svc.volumes):
        if mount.type not in MOUNT_TYPES:
            yield (*at, "volumes", index, "type"), f"volumes type {mount.type}"
        if _set(mount.volume, "subpath"):
            yield (*at, "volumes", index, "volume", "subpath"), "volumes volume.subpath (engine API 1.45)"
    for kind in ("secrets", "configs"):
        for index, ref in enumerate(getattr(svc, kind)):
            for field in ("uid", "gid"):
                value = getattr(ref, field)
                if value is not None and not value.isdigit():  # the copied file's owner is a number
                    yield (*at, kind, index, field), f"{kind}.{field} {quoted(value)} (a number is needed)"


def require_applicable(
    loaded: LoadedSpec, environ: dict[str, str] | None = None, *, refuse_unsupported: bool = True
) -> dict[str, Service]:
    """The active services, or a ``SpecError`` with every located reason the engine cannot apply the
    spec: undefined references, dependencies left out by profiles and (for plan and up) fields it
    does not apply yet. Commands call it before contacting Docker: a spec problem is exit 2, never 3."""
    env = dict(os.environ if environ is None else environ)
    project_env = {**loaded.environment, **env}
    active = profiles.active(loaded.spec.services, project_env)
    problems = _references(loaded.spec, active, project_env, loaded.doc.scopes)
    if refuse_unsupported:
        problems += [(path, f"not supported yet: {what}") for path, what in refusals(loaded.spec, active)]
        problems += _held_by_one(active)
        # what up reads to create the containers (down reads none of it, and goes ahead without)
        problems += [
            (("services", name, *missing.where), missing.message)
            for name, svc in active.items()
            for missing in missing_files(svc, loaded.base_dir)
        ]
    if problems:
        raise SpecError(
            sorted(
                (loaded.doc.finding(path, message, key=True, rule="engine") for path, message in problems),
                key=lambda f: f.sort_key(),
            )
        )
    return active


def _held_by_one(active: dict[str, Service]) -> list[tuple[Path, str]]:
    """What one container holds, asked of a scaled service: a fixed host port (or a range narrower
    than its replicas), a fixed network address or MAC address. The second replica would fail at its
    start ("port is already allocated", "Address already in use") after the first ones run, as with
    Compose; said before anything starts instead."""
    out: list[tuple[Path, str]] = []
    for name, svc in active.items():
        if svc.replicas <= 1:
            continue
        at = ("services", name)
        for index, port in enumerate(svc.ports):
            for binding in port.bindings():
                low, _, high = (binding.host_port or "").partition("-")
                if not low.isdigit():
                    continue  # no host port: the engine picks a free one per container
                count = int(high) - int(low) + 1 if high.isdigit() else 1
                if count < svc.replicas:
                    holders = f"{count} container{'s' if count != 1 else ''}"
                    why = (
                        f"host port {binding.host_port} can be held by {holders} and the service runs "
                        f"{svc.replicas} replicas: leave the host port out, or give a range of {svc.replicas} ports"
                    )
                    out.append(((*at, "ports", index), why))
                    break
        fixed: list[tuple[Path, str]] = [((*at, "mac_address"), "mac_address")] if svc.mac_address else []
        for key, opts in svc.networks.items():
            for field in ("ipv4_address", "ipv6_address"):  # (a network's mac_address is refused above)
                if getattr(opts, field):
                    fixed.append(((*at, "networks", key, field), f"networks.{key}.{field}"))
        for path, what in fixed:
            out.append((path, f"{what} is one container's and the service runs {svc.replicas} replicas"))
    return out


def _references(
    spec: Spec, active: dict[str, Service], env: dict[str, str], scopes: Mapping[tuple[str, str], Mapping[str, str]]
) -> list[tuple[tuple[Any, ...], str]]:
    """Located problems Compose reports when it loads the project: undefined secrets and configs,
    and active services that need a service its profiles leave out. ``scopes``: the variables an
    include adds for what it brings (``Document.scopes``)."""
    out: list[tuple[tuple[Any, ...], str]] = []
    for name, svc in active.items():
        at = ("services", name)
        for kind, declared in (("secrets", spec.secrets), ("configs", spec.configs)):
            for index, ref in enumerate(getattr(svc, kind)):
                if ref.source not in declared:
                    out.append(
                        ((*at, kind, index), f"{kind} {quoted(ref.source)} is not declared under top-level {kind}")
                    )
                elif (
                    (variable := declared[ref.source].environment) is not None
                    and variable not in env
                    and variable not in scopes.get((kind, ref.source), {})
                ):
                    where = (kind, ref.source, "environment")
                    out.append((where, f"variable {variable} is not set (service {name} uses this {kind[:-1]})"))
        needed: list[tuple[tuple[str | int, ...], str]] = [
            (("depends_on", dep), dep) for dep, cond in svc.depends_on.items() if cond.required
        ]
        for key in ("network_mode", "pid", "ipc"):
            value = getattr(svc, key) or ""
            if value.startswith("service:"):
                needed.append(((key,), value.partition(":")[2]))
        for index, entry in enumerate(svc.volumes_from):
            if not entry.startswith("container:"):
                needed.append((("volumes_from", index), entry.partition(":")[0]))
        needed += [(("links", index), link.partition(":")[0]) for index, link in enumerate(svc.links)]
        for path, dep in needed:
            if dep in spec.services and dep not in active:
                out.append(
                    ((*at, *path), f"needs service {quoted(dep)}, which no enabled profile includes (--profile)")
                )
            elif dep not in spec.services and path[0] != "depends_on":
                out.append(((*at, *path), f"service {quoted(dep)} is not defined"))
            elif path[0] != "depends_on" and dep in active and active[dep].replicas == 0:
                # a dependent does not wait for it (as with Compose), but sharing or linking needs a container
                out.append(((*at, *path), f"needs a container of service {quoted(dep)}, which runs none (scale 0)"))
    return out
