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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from validator.engine.compose_fields import expand_ports
from validator.engine.compose_labels import NETWORK as NETWORK
from validator.engine.compose_labels import NUMBER as NUMBER
from validator.engine.compose_labels import PROJECT as PROJECT
from validator.engine.compose_labels import SERVICE as SERVICE
from validator.engine.compose_labels import VOLUME as VOLUME

# HostConfig keys compared by their own rule below, or set by validator only for its own bookkeeping.
# VolumesFrom names containers (Compose writes IDs): what it brings is compared as mounts. Links:
# Compose writes legacy links here, validator on the network endpoint, where they are compared.
_HOST_SPECIAL = {
    "PortBindings",
    "Binds",
    "Mounts",
    "Tmpfs",
    "NetworkMode",
    "RestartPolicy",
    "Init",
    "VolumesFrom",
    "Links",
}
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

# The keys of those the engine takes from the image where the create body leaves them unset.
_FROM_IMAGE = frozenset({"Cmd", "Entrypoint", "WorkingDir", "User"})


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
    body: dict[str, Any],
    detail: dict[str, Any],
    image_id: str | None,
    extra: Sequence[tuple[str, Sequence[str]]] = (),
    *,
    addresses: Mapping[str, Mapping[str, str]] | None = None,
    image_config: Mapping[str, Any] | None = None,
    filled: Mapping[str, Any] | None = None,
) -> list[str]:
    """How the container ``detail`` differs from the create ``body`` (empty: it is what the spec asks);
    ``extra``: the networks the body does not name that it joins before its start, with their aliases;
    ``addresses``: the spec's fixed addresses by network; ``image_config``: the image's ``Config``,
    what the container runs where the body sets nothing (``_process_drift``); ``filled``: the
    ``HostConfig`` the engine makes of a body that sets none of the engine-filled keys (``host_drift``)."""
    config = detail.get("Config") or {}
    host = detail.get("HostConfig") or {}
    want_host = body.get("HostConfig") or {}
    reasons: list[str] = []
    if image_id is not None and detail.get("Image") != image_id:
        reasons.append(f"image: {body['Image']} is not the image the container runs")
    reasons += _process_drift(body, config, image_config)
    reasons += _env_drift(body, config, image_config)
    labels = config.get("Labels") or {}
    for name, value in (body.get("Labels") or {}).items():
        # the tools' own bookkeeping (validator's, and the Compose labels it writes) is not the spec's
        if not name.startswith(("dev.validator.", "com.docker.compose.")) and labels.get(name) != value:
            reasons.append(f"label {name} differs")
    # Compose passes expose entries as written ("3000", "5000-5001/udp"); compare them port by port
    exposed = {port for key in config.get("ExposedPorts") or {} for port in expand_ports(key)}
    missing_ports = set(body.get("ExposedPorts") or {}) - exposed
    reasons += [f"expose: {port} is not exposed" for port in sorted(missing_ports)]
    if image_config is not None:
        reasons += _unset_config_drift(body, detail, image_config)
    reasons += host_drift(want_host, host, filled)
    if _ports(want_host) != _ports(host):
        reasons.append("ports differ")
    want_mounts, have_mounts = _wanted_mounts(want_host), _mounts(detail)
    for target in sorted(set(want_mounts) | set(have_mounts)):
        if want_mounts.get(target) != have_mounts.get(target):
            reasons.append(f"volumes: {target} differs" if target in have_mounts else f"volumes: {target} is missing")
    if "NetworkingConfig" not in body and want_host.get("NetworkMode") != host.get("NetworkMode"):
        reasons.append("network_mode differs")
    reasons += network_drift(body, extra, detail, addresses)
    return reasons


def _env_drift(body: dict[str, Any], config: Mapping[str, Any], image: Mapping[str, Any] | None) -> list[str]:
    """Every variable the body sets, with its value; and, in full (adversary graph6 01's rule), no other
    than the image's as the image sets it: a container made from an older file whose ``environment``
    the spec dropped (or ``docker run -e``) is not the service's. ``image``: the image's ``Config``;
    None (unknown): only the body's variables. Names only, never values (they may be secrets)."""
    env = env_mapping(config.get("Env") or [])
    wanted = env_mapping(body.get("Env") or [])
    reasons = []
    for name, value in wanted.items():
        if name not in env or env[name] != value:
            # a bare name (None) is one the container must not have a value for: Compose writes it bare too
            reasons.append(f"environment: {name} differs" if name in env else f"environment: {name} is missing")
    if image is not None:
        from_image = env_mapping(image.get("Env") or [])
        for name in sorted(set(env) - set(wanted)):
            if name not in from_image:
                reasons.append(f"environment: {name} is set, the spec does not set it")
            elif env[name] != from_image[name]:
                reasons.append(f"environment: {name} differs from the image's, the spec does not set it")
    return reasons


def _process_drift(body: dict[str, Any], config: Mapping[str, Any], image: Mapping[str, Any] | None) -> list[str]:
    """Rule (adversary graph6 case 01): what the container runs is compared in full. A key the body
    sets must hold its value; one it leaves unset, what the engine takes from the image for it (its
    CMD, none when the body sets an entrypoint, as the engine drops the image's CMD then; ENTRYPOINT,
    WORKDIR, USER, HEALTHCHECK). So a container of the service made with another command (``docker
    compose run web sh``) is not the service's. ``image``: the image's ``Config``; None (unknown):
    only the keys the body sets."""
    reasons = []
    for key, field in _CONFIG_PLAIN:
        if key in body:
            if body[key] != config.get(key):
                reasons.append(f"{field} differs")
        elif image is not None and key in _FROM_IMAGE:
            default = None if key == "Cmd" and body.get("Entrypoint") else image.get(key)
            if _norm(config.get(key)) != _norm(default):
                reasons.append(f"{field} differs (the spec sets none: the image's is wanted)")
    if "Healthcheck" in body:
        if _health(body["Healthcheck"]) != _health(config.get("Healthcheck") or {}):
            reasons.append("healthcheck differs")
    elif image is not None and _health(image.get("Healthcheck") or {}) != _health(config.get("Healthcheck") or {}):
        reasons.append("healthcheck differs (the spec sets none: the image's is wanted)")
    return reasons


def _unset_config_drift(body: dict[str, Any], detail: Mapping[str, Any], image: Mapping[str, Any]) -> list[str]:
    """Rule (adversary graph7 case 02, the container's ``Config``): a Compose container, which carries no
    record of the file it was made from, holds on each key the body leaves unset what the engine makes
    of a body without it: no stop timeout, terminal or open stdin; the image's stop signal (or none);
    its own short ID as host name and no domain name (with a shared network stack, the host's or the
    namespace owner's, which the engine copies: not compared); no label but the image's and Compose's
    own; no exposed port but the spec's, its published ports' and the image's. So an older file's
    ``labels`` (a proxy's routing), ``tty``, ``hostname`` or ``expose`` the spec dropped is drift.
    Names only, never values."""
    config = detail.get("Config") or {}
    reasons = []
    for key, field in _CONFIG_EMPTY:
        if key not in body and _norm(config.get(key)) is not None:
            reasons.append(f"{field} is set, the spec sets none")
    if "StopSignal" not in body and config.get("StopSignal") not in (None, "", image.get("StopSignal")):
        reasons.append("stop_signal differs (the spec sets none: the image's is wanted)")
    mode = str((detail.get("HostConfig") or {}).get("NetworkMode") or "")
    shared_stack = mode == "host" or mode.startswith("container:")
    if "Hostname" not in body and not shared_stack and config.get("Hostname") not in (None, "", _short(detail)):
        reasons.append("hostname is set, the spec sets none")
    if "Domainname" not in body and not shared_stack and config.get("Domainname"):
        reasons.append("domainname is set, the spec sets none")
    wanted, from_image = body.get("Labels") or {}, image.get("Labels") or {}
    for name, value in sorted((config.get("Labels") or {}).items()):
        if name in wanted or name.startswith("com.docker.compose."):
            continue
        if name not in from_image:
            reasons.append(f"label {name} is set, the spec does not set it")
        elif value != from_image[name]:
            reasons.append(f"label {name} differs from the image's, the spec does not set it")
    allowed = {port for key in [*(body.get("ExposedPorts") or {}), *(image.get("ExposedPorts") or {})]
               for port in expand_ports(key)}  # fmt: skip
    exposed = {port for key in config.get("ExposedPorts") or {} for port in expand_ports(key)}
    reasons += [f"expose: {port} is exposed, the spec does not expose it" for port in sorted(exposed - allowed)]
    return reasons


def _short(detail: Mapping[str, Any]) -> str:
    container_id = str(detail.get("Id") or "")
    return container_id[:12]


# Container Config keys the engine leaves empty where the body sets none.
_CONFIG_EMPTY = (
    ("StopTimeout", "stop_grace_period"),
    ("Tty", "tty"),
    ("OpenStdin", "stdin_open"),
)


def network_drift(
    body: dict[str, Any],
    extra: Sequence[tuple[str, Sequence[str]]],
    detail: dict[str, Any],
    addresses: Mapping[str, Mapping[str, str]] | None = None,
) -> list[str]:
    """Rule: a container is attached to exactly the networks the spec gives it, no fewer (taken off one,
    it cannot reach what the spec says it reaches) and no more (put on another, its isolation is gone),
    whoever attached or detached it since the create (``docker network connect``/``disconnect``); and
    on each, its endpoint is the one the spec asks for (``endpoint_drift``). ``body``: the create body,
    ``extra``: the other networks it joins before its start with their aliases, ``detail``: its
    inspect, ``addresses``: the spec's fixed addresses by network. A container sharing another's
    network stack (``container:``) has none of its own: skipped."""
    want = wanted_networks(body, [net for net, _ in extra])
    if want is None:
        return []
    networks = (detail.get("NetworkSettings") or {}).get("Networks") or {}
    have = set(networks)
    # network names come from the spec or the engine's list, never from a value: safe to say
    return (
        [f"networks: not attached to {name}" for name in sorted(want - have)]
        + [f"networks: attached to {name}, which the spec does not give it" for name in sorted(have - want)]
        + endpoint_drift(wanted_endpoints(body, extra, addresses or {}), networks, str(detail.get("Id") or ""))
    )


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """What the spec asks of a container's endpoint on one network."""

    aliases: frozenset[str]
    links: frozenset[str]
    ipv4: str
    ipv6: str


def wanted_endpoints(
    body: dict[str, Any], extra: Sequence[tuple[str, Sequence[str]]], addresses: Mapping[str, Mapping[str, str]]
) -> dict[str, Endpoint]:
    """Network -> the endpoint the spec asks for: the create body's first network, then the ones
    connected before the start (the same links, the spec's address on each); none with network_mode."""
    endpoints = (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}
    out = {}
    for name, config in endpoints.items():
        ipam = config.get("IPAMConfig") or {}
        out[name] = Endpoint(
            aliases=frozenset(config.get("Aliases") or ()),
            links=frozenset(config.get("Links") or ()),
            ipv4=ipam.get("IPv4Address") or "",
            ipv6=ipam.get("IPv6Address") or "",
        )
    links = frozenset(link for config in endpoints.values() for link in config.get("Links") or ())
    for name, aliases in extra:
        address = addresses.get(name) or {}
        out[name] = Endpoint(
            aliases=frozenset(aliases), links=links, ipv4=address.get("ipv4") or "", ipv6=address.get("ipv6") or ""
        )
    return out


def endpoint_drift(wanted: Mapping[str, Endpoint], networks: Mapping[str, Any], container_id: str) -> list[str]:
    """Rule (adversary graph6 case 03): on each network of the spec the container answers to exactly
    the aliases the spec gives it (Compose's: its own name, its service's, the file's), holds the
    links and the fixed address the spec gives, and no other. ``docker network disconnect`` then
    ``connect`` keeps the network but drops all of them: its name no longer resolves. The engine adds
    the container's short ID as an alias of its own (API < 1.45): not the spec's, not drift. Compose
    makes the same endpoints (checked against the 2.40 binary), so both tools' containers are judged alike."""
    reasons = []
    for name, want in sorted(wanted.items()):
        endpoint = networks.get(name)
        if endpoint is None:
            continue  # not attached: said above
        aliases = set(endpoint.get("Aliases") or ()) - {container_id[:12]}
        # aliases and links are names the spec gives (or engine names): safe to say; extras are counted
        if want.aliases - aliases:
            reasons.append(f"networks: {name}: aliases missing: {', '.join(sorted(want.aliases - aliases))}")
        if aliases - want.aliases:
            reasons.append(f"networks: {name}: {len(aliases - want.aliases)} alias(es) the spec does not give it")
        if set(endpoint.get("Links") or ()) != want.links:
            reasons.append(f"networks: {name}: links differ")
        ipam = endpoint.get("IPAMConfig") or {}
        for field, address, key in (
            ("ipv4_address", want.ipv4, "IPv4Address"),
            ("ipv6_address", want.ipv6, "IPv6Address"),
        ):
            if (ipam.get(key) or "") != address:
                reasons.append(
                    f"networks: {name}: {field} {address} wanted, the endpoint has another"
                    if address
                    else f"networks: {name}: a fixed {field} the spec does not give it"
                )
    return reasons


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


def host_drift(want_host: dict[str, Any], host: dict[str, Any], filled: Mapping[str, Any] | None = None) -> list[str]:
    """How the live ``HostConfig`` differs from the create body's (mounts, ports and networks aside).

    Rule (adversary graph6 case 02): every key is compared, not only the ones the body sets. A key the
    body leaves unset must hold what the engine reports for a container created without it: empty (no
    limit, no flag: null, 0, false, "" or []), as measured on engine 20.10 with validator's own body
    and Compose's; so a limit written later in place (``docker update --memory/--cpus/--pids-limit``,
    the restart policy) is drift whether or not the spec sets one. Two kinds of keys are exceptions:
    those the engine fills from its own configuration (``ENGINE_FILLED``: compared only where the body
    sets them; none of them can change after the create, ``docker update`` changes only resources and
    the restart policy), and ``MemorySwap``, which the engine derives from ``Memory`` when unset. A key
    the engine does not report at all (an older engine) has nothing to compare. Also catches what the
    engine discarded at create (a limit this kernel cannot apply).

    Rule (adversary graph7 case 02): the exemption of the engine-filled keys holds only for a container
    whose label hash covers the body it was made with (validator's own). ``filled`` given (a Compose
    container, made from a file validator never saw): each engine-filled key the body leaves unset must
    hold what the engine fills for a body without it (``filled``: a probe's ``HostConfig``,
    engine/engine_filled.py), as ``docker compose up`` of the current file would make it; a container
    made from an older file with ``ulimits``, ``ipc: host`` or ``logging`` the spec dropped is not the
    service's. The client's own keys (``_CLIENT_SIDE``) stay exempt."""
    reasons = []
    keys = set(want_host) | (set(host) - ENGINE_FILLED)
    for key in sorted(keys - _HOST_SPECIAL):
        if key not in want_host and key not in host:
            continue
        value = want_host[key] if key in want_host else _unset_default(key, host)
        if _norm(host.get(key), key) != _norm(value, key):
            reasons.append(_host_reason(key, value if key in want_host else None, host.get(key)))
    if filled is not None:
        reasons += _filled_drift(want_host, host, filled)
    if _init(want_host) != _init(host):
        reasons.append("init differs")
    if _restart(want_host) != _restart(host):
        reasons.append(f"restart: {_restart(want_host)} wanted, container has {_restart(host)}")
    return reasons


# HostConfig keys whose value the engine takes from its own configuration when the create body leaves
# them unset (its log driver, default IPC and cgroup namespace modes, /dev/shm size, runtime, the /proc
# paths it masks; its ``default-ulimits``, merged in at start; ``label=disable`` it adds to SecurityOpt
# on an SELinux host for a privileged container), or reports as it likes (terminal size, the ID file,
# Windows isolation). The engine here sets none of those two, but one configured so would make every
# container drift at every ``up``: for validator's own containers, whose label hash covers the body,
# not worth it for keys nothing can change after the create. A Compose container is compared on them
# with what the engine fills (``_filled_drift``).
ENGINE_FILLED = frozenset(
    {
        "LogConfig",
        "IpcMode",
        "CgroupnsMode",
        "ShmSize",
        "Runtime",
        "MaskedPaths",
        "ReadonlyPaths",
        "ConsoleSize",
        "ContainerIDFile",
        "Isolation",
        "Ulimits",
        "SecurityOpt",
    }
)


# Of those, the ones the client writes as it likes and that change nothing the container does: the
# terminal's size at create (``docker run -t`` writes the caller's), the file the CLI wrote the ID to.
_CLIENT_SIDE = frozenset({"ConsoleSize", "ContainerIDFile"})


def _filled_drift(want_host: Mapping[str, Any], host: Mapping[str, Any], filled: Mapping[str, Any]) -> list[str]:
    """The engine-filled keys the body leaves unset whose live value is not the engine's fill."""
    reasons = []
    for key in sorted(ENGINE_FILLED - _CLIENT_SIDE - set(want_host)):
        have, default = host.get(key), filled.get(key)
        if _norm(have, key) == _norm(default, key):
            continue
        # numbers only are shown: log options, security options may carry data
        numbers = isinstance(have, int | None) and isinstance(default, int | None)
        shown = f" ({default or 0} wanted, the container has {have or 0})" if numbers else ""
        reasons.append(f"{key} differs from what the engine makes of a spec that sets none{shown}")
    return reasons


def _unset_default(key: str, host: dict[str, Any]) -> Any:
    """What the engine holds for ``key`` on a container created without it."""
    memory = host.get("Memory") or 0
    if key == "MemorySwap" and memory > 0:
        # the engine's rule: swap twice the memory limit (-1, unlimited, where the kernel has no swap
        # accounting); a memory limit itself is compared as its own key
        return host.get("MemorySwap") if host.get("MemorySwap") in (-1, 2 * memory) else 2 * memory
    return None


def _host_reason(key: str, value: Any, have: Any) -> str:
    # only numbers are shown: other host settings (log options, devices) may carry data
    if isinstance(value, int | float | None) and isinstance(have, int | float | None):
        if value is None:
            return f"{key}: the spec sets none, the container has {have}"
        return f"{key}: {value} wanted, the container has {have or 0}"
    return f"{key} differs"


# Namespaces shared with another container ("container:<name or ID>").
_SHARED = {"IpcMode", "PidMode", "UTSMode", "CgroupnsMode"}
# Limits where -1 means none, as 0 (or null) does.
_UNLIMITED = {"PidsLimit", "MemorySwap"}
# Lists whose order carries no meaning, which validator writes sorted and Compose as the file lists them.
_UNORDERED = {"Ulimits", "CapAdd", "CapDrop", "ExtraHosts", "Devices", "GroupAdd", "SecurityOpt", "DeviceCgroupRules"}


def _norm(value: Any, key: str = "") -> Any:
    """The engine reports unset lists and maps as null or empty, and numbers as it stored them."""
    if value in (None, [], {}, "", 0, False) or (key in _UNLIMITED and value == -1):
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
