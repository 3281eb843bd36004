"""Judge containers that ``docker compose up`` started from the same file, without touching them.

Compose marks its containers with ``com.docker.compose.project`` and ``.service``; validator writes
those labels too (engine/compose_labels.py), so a container of Compose's is one that carries them and
none of validator's own; validator never changes it. To say whether one is what the spec asks
for, the body validator would send to create it is compared with what the engine reports for the
running container (``docker inspect``), field by field, naming fields and keys, never values
(environment values may be secrets).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from validator.engine.compose_fields import expand_ports
from validator.engine.compose_labels import NETWORK as NETWORK
from validator.engine.compose_labels import NUMBER as NUMBER
from validator.engine.compose_labels import PROJECT as PROJECT
from validator.engine.compose_labels import SERVICE as SERVICE
from validator.engine.compose_labels import VOLUME as VOLUME

# HostConfig keys compared by their own rule below, or set by validator only for its own bookkeeping.
# VolumesFrom names containers (Compose writes IDs): what it brings is compared as mounts.
_HOST_SPECIAL = {"PortBindings", "Binds", "Mounts", "Tmpfs", "NetworkMode", "RestartPolicy", "Init", "VolumesFrom"}
# Container Config keys compared as they are.
_CONFIG_PLAIN = (
    ("Cmd", "command"),
    ("Entrypoint", "entrypoint"),
    ("WorkingDir", "working_dir"),
    ("User", "user"),
    ("Hostname", "hostname"),
    ("Domainname", "domainname"),
    ("StopSignal", "stop_signal"),
    ("StopTimeout", "stop_grace_period"),
    ("Tty", "tty"),
    ("OpenStdin", "stdin_open"),
)


def compose_filter(project: str) -> dict[str, list[str]]:
    return {"label": [f"{PROJECT}={project}"]}


def env_mapping(entries: list[str]) -> dict[str, str | None]:
    """The engine's ``Env`` as a mapping; a bare ``KEY`` (a variable removed in the container) is None."""
    out: dict[str, str | None] = {}
    for item in entries:
        key, sep, value = item.partition("=")
        out[key] = value if sep else None
    return out


def drift(
    body: dict[str, Any], detail: dict[str, Any], image_id: str | None, extra_networks: Collection[str] = ()
) -> list[str]:
    """How the container ``detail`` differs from the create ``body`` (empty: it is what the spec asks);
    ``extra_networks``: the networks the body does not name that it joins before its start."""
    config = detail.get("Config") or {}
    host = detail.get("HostConfig") or {}
    want_host = body.get("HostConfig") or {}
    reasons: list[str] = []
    if image_id is not None and detail.get("Image") != image_id:
        reasons.append(f"image: {body['Image']} is not the image the container runs")
    for key, field in _CONFIG_PLAIN:
        if key in body and body[key] != config.get(key):
            reasons.append(f"{field} differs")
    env = env_mapping(config.get("Env") or [])
    for name, value in env_mapping(body.get("Env") or []).items():
        if name not in env or env[name] != value:
            # a bare name (None) is one the container must not have a value for: Compose writes it bare too
            reasons.append(f"environment: {name} differs" if name in env else f"environment: {name} is missing")
    labels = config.get("Labels") or {}
    for name, value in (body.get("Labels") or {}).items():
        # the tools' own bookkeeping (validator's, and the Compose labels it writes) is not the spec's
        if not name.startswith(("dev.validator.", "com.docker.compose.")) and labels.get(name) != value:
            reasons.append(f"label {name} differs")
    # Compose passes expose entries as written ("3000", "5000-5001/udp"); compare them port by port
    exposed = {port for key in config.get("ExposedPorts") or {} for port in expand_ports(key)}
    missing_ports = set(body.get("ExposedPorts") or {}) - exposed
    reasons += [f"expose: {port} is not exposed" for port in sorted(missing_ports)]
    if "Healthcheck" in body and _health(body["Healthcheck"]) != _health(config.get("Healthcheck") or {}):
        reasons.append("healthcheck differs")
    reasons += host_drift(want_host, host)
    if _ports(want_host) != _ports(host):
        reasons.append("ports differ")
    want_mounts, have_mounts = _wanted_mounts(want_host), _mounts(detail)
    for target in sorted(set(want_mounts) | set(have_mounts)):
        if want_mounts.get(target) != have_mounts.get(target):
            reasons.append(f"volumes: {target} differs" if target in have_mounts else f"volumes: {target} is missing")
    if "NetworkingConfig" not in body and want_host.get("NetworkMode") != host.get("NetworkMode"):
        reasons.append("network_mode differs")
    reasons += network_drift(body, extra_networks, detail)
    return reasons


def network_drift(body: dict[str, Any], extra_networks: Collection[str], detail: dict[str, Any]) -> list[str]:
    """Rule: a container is attached to exactly the networks the spec gives it, no fewer (taken off one,
    it cannot reach what the spec says it reaches) and no more (put on another, its isolation is gone),
    whoever attached or detached it since the create (``docker network connect``/``disconnect``).
    ``body``: the create body, ``extra_networks``: the others it joins before its start, ``detail``: its
    inspect. A container sharing another's network stack (``container:``) has none of its own: skipped."""
    want = wanted_networks(body, extra_networks)
    if want is None:
        return []
    have = set((detail.get("NetworkSettings") or {}).get("Networks") or {})
    # network names come from the spec or the engine's list, never from a value: safe to say
    return [f"networks: not attached to {name}" for name in sorted(want - have)] + [
        f"networks: attached to {name}, which the spec does not give it" for name in sorted(have - want)
    ]


def wanted_networks(body: dict[str, Any], extra_networks: Collection[str]) -> set[str] | None:
    """The engine's names of the networks the container must be on; None when it has none of its own."""
    endpoints = (body.get("NetworkingConfig") or {}).get("EndpointsConfig")
    if endpoints is not None:
        return set(endpoints) | set(extra_networks)
    mode = str((body.get("HostConfig") or {}).get("NetworkMode") or "default")
    if ":" in mode:
        return None  # container:ID (network_mode: service:/container:) lives in another's namespace
    # bridge, host, none or a network named by network_mode: the engine lists that one ("default" is bridge)
    return {"bridge" if mode == "default" else mode}


def host_drift(want_host: dict[str, Any], host: dict[str, Any]) -> list[str]:
    """How the live ``HostConfig`` differs from the create body's, for the keys the body sets (mounts,
    ports and networks aside): what ``docker update`` changes in place (restart policy, memory, CPUs,
    pids, blkio weight) and what the engine discarded at create (a limit this kernel cannot apply)."""
    reasons = []
    for key, value in want_host.items():
        if key not in _HOST_SPECIAL and _norm(host.get(key), key) != _norm(value, key):
            have = host.get(key)
            # only numbers are shown: other host settings (log options, devices) may carry data
            shown = isinstance(value, int | float) and isinstance(have, int | float | None)
            reasons.append(f"{key}: {value} wanted, the container has {have or 0}" if shown else f"{key} differs")
    if _init(want_host) != _init(host):
        reasons.append("init differs")
    if _restart(want_host) != _restart(host):
        reasons.append(f"restart: {_restart(want_host)} wanted, container has {_restart(host)}")
    return reasons


# Namespaces shared with another container ("container:<name or ID>").
_SHARED = {"IpcMode", "PidMode", "UTSMode", "CgroupnsMode"}
# Lists whose order carries no meaning, which validator writes sorted and Compose as the file lists them.
_UNORDERED = {"Ulimits", "CapAdd", "CapDrop", "ExtraHosts", "Devices", "GroupAdd", "SecurityOpt", "DeviceCgroupRules"}


def _norm(value: Any, key: str = "") -> Any:
    """The engine reports unset lists and maps as null or empty, and numbers as it stored them."""
    if value in (None, [], {}, "", 0, False):
        return None
    if key in _SHARED and isinstance(value, str) and value.startswith("container:"):
        return "container:"  # the engine writes the container's ID where the body names it
    if key in _UNORDERED and isinstance(value, list):
        return sorted(value, key=lambda item: json.dumps(item, sort_keys=True))
    return value


def _init(host: dict[str, Any]) -> bool:
    return bool(host.get("Init"))


def _restart(host: dict[str, Any]) -> str:
    policy = host.get("RestartPolicy") or {}
    name = policy.get("Name") or "no"
    return f"{name}:{policy.get('MaximumRetryCount')}" if name == "on-failure" else name


def _health(check: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in check.items() if v not in (None, 0, [])}


def _ports(host: dict[str, Any]) -> set[tuple[str, str, str]]:
    out = set()
    for port, bindings in (host.get("PortBindings") or {}).items():
        for binding in bindings or []:
            out.add((port, binding.get("HostIp") or "", binding.get("HostPort") or ""))
    return out


def _wanted_mounts(host: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Container path -> (source, writable) from validator's create body."""
    out: dict[str, tuple[str, bool]] = {}
    for bind in host.get("Binds") or []:
        source, target, mode = bind.rsplit(":", 2)
        out[target] = (source, "ro" not in mode.split(","))
    for mount in host.get("Mounts") or []:
        out[mount["Target"]] = ("tmpfs" if mount["Type"] == "tmpfs" else "", not mount.get("ReadOnly"))
    for target, options in (host.get("Tmpfs") or {}).items():
        out[target] = ("tmpfs", "ro" not in str(options).split(","))
    return out


def _mounts(detail: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Container path -> (source, writable) as the engine reports it (anonymous volumes: no source)."""
    out: dict[str, tuple[str, bool]] = {}
    for mount in detail.get("Mounts") or []:
        kind = mount.get("Type")
        if kind == "bind":
            source = mount.get("Source", "")
        elif kind == "volume":
            name = mount.get("Name", "")
            # an anonymous volume is named by a 64-hex ID the engine chose
            source = "" if len(name) == 64 and all(c in "0123456789abcdef" for c in name) else name
        else:
            source = "tmpfs"
        out[mount.get("Destination", "")] = (source, bool(mount.get("RW")))
    for target, options in ((detail.get("HostConfig") or {}).get("Tmpfs") or {}).items():
        out[target] = ("tmpfs", "ro" not in str(options).split(","))
    return out
