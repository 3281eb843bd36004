"""Compose's container-level fields beyond the core set: spec -> canonical config -> create body.

Each field keeps its Compose name in the canonical config (so ``plan`` names it and the hash covers
it) and is written to the engine the way Compose writes it: ``expose`` to ``ExposedPorts``,
``ulimits`` to ``HostConfig.Ulimits``, ``network_mode: service:db`` to ``container:<db's container>``,
file-based ``secrets`` and ``configs`` as read-only bind mounts (Compose without Swarm does the same)
at ``/run/secrets/<name>`` and ``/<name>`` unless a ``target`` is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.errors import EngineError
from validator.spec.confine import ConfinementError, expand, read_regular
from validator.spec.model import Spec
from validator.spec.resources import ConfigSpec, Ipam
from validator.spec.service import Build, Dependency, Service
from validator.spec.service_parts import DeviceRequest, ServiceFile
from validator.units import parse_duration

# config key -> HostConfig key, for values passed through as they are
_HOST_FIELDS = (
    ("network_mode", "NetworkMode"),
    ("pid", "PidMode"),
    ("ipc", "IpcMode"),
    ("uts", "UTSMode"),
    ("userns_mode", "UsernsMode"),
    ("cgroup", "CgroupnsMode"),
    ("cgroup_parent", "CgroupParent"),
    ("isolation", "Isolation"),
    ("runtime", "Runtime"),
    ("cpuset", "CpusetCpus"),
    ("cpu_period", "CpuPeriod"),
    ("cpu_quota", "CpuQuota"),
    ("mem_swappiness", "MemorySwappiness"),
    ("oom_kill_disable", "OomKillDisable"),
    ("oom_score_adj", "OomScoreAdj"),
    ("security_opt", "SecurityOpt"),
    ("sysctls", "Sysctls"),
    ("dns", "Dns"),
    ("dns_search", "DnsSearch"),
    ("dns_opt", "DnsOptions"),
    ("group_add", "GroupAdd"),
    ("device_cgroup_rules", "DeviceCgroupRules"),
    ("storage_opt", "StorageOpt"),
    ("volumes_from", "VolumesFrom"),
    ("cpu_rt_period", "CpuRealtimePeriod"),
    ("cpu_rt_runtime", "CpuRealtimeRuntime"),
)
# config key -> container Config key
_CONFIG_FIELDS = (("domainname", "Domainname"), ("mac_address", "MacAddress"))


def container_fields(svc: Service, container_of: Callable[[str], str]) -> dict[str, Any]:
    """The canonical config entries of these fields; unset fields are left out (hash stays stable)."""
    out: dict[str, Any] = {}
    for key in ("network_mode", "pid", "ipc"):
        value = getattr(svc, key)
        if value is not None:
            # Compose resolves a service reference to that service's container.
            out[key] = f"container:{container_of(value[8:])}" if value.startswith("service:") else value
    _plain_fields(svc, out)
    links = _links(svc, container_of)
    if links:
        out["links"] = links
    for key in ("cpu_rt_period", "cpu_rt_runtime"):
        value = getattr(svc, key)
        if value is not None:  # microseconds, as Compose casts them
            out[key] = value if isinstance(value, int) else round(parse_duration(value) * 1_000_000)
    if svc.volumes_from:
        out["volumes_from"] = [_volumes_from(entry, container_of) for entry in svc.volumes_from]
    _device_and_logging_fields(svc, out)
    return out


def _plain_fields(svc: Service, out: dict[str, Any]) -> None:
    """Fields copied as they are (a value, a list, a sorted mapping), when set."""
    for key in (
        "uts",
        "userns_mode",
        "cgroup",
        "cgroup_parent",
        "isolation",
        "runtime",
        "cpuset",
        "cpu_period",
        "cpu_quota",
        "mem_swappiness",
        "oom_kill_disable",
        "oom_score_adj",
        "platform",
        "domainname",
        "mac_address",
    ):
        value = getattr(svc, key)
        if value is not None:
            out[key] = value
    for key in ("security_opt", "dns", "dns_search", "dns_opt", "device_cgroup_rules"):
        if getattr(svc, key):
            out[key] = list(getattr(svc, key))
    if svc.group_add:
        out["group_add"] = [str(g) for g in svc.group_add]
    for key in ("sysctls", "storage_opt"):
        if getattr(svc, key):
            out[key] = dict(sorted(getattr(svc, key).items()))
    if svc.expose:
        out["expose"] = sorted({port for entry in svc.expose for port in expand_ports(str(entry))})
    if svc.ulimits:
        out["ulimits"] = {name: [u.soft, u.hard] for name, u in sorted(svc.ulimits.items())}


def _links(svc: Service, container_of: Callable[[str], str]) -> list[str]:
    """SERVICE[:ALIAS] -> the engine's CONTAINER:ALIAS, plus the container's own name (as Compose adds);
    external links (CONTAINER[:ALIAS] of containers outside the project) as they are."""
    links: set[str] = set()
    for link in svc.links:
        service, _, alias = link.partition(":")
        container = container_of(service)
        links |= {f"{container}:{alias or service}", f"{container}:{container}"}
    links |= {f"{name}:{alias or name}" for name, _, alias in (e.partition(":") for e in svc.external_links)}
    return sorted(links)


def _device_and_logging_fields(svc: Service, out: dict[str, Any]) -> None:
    if svc.logging is not None:
        out["logging"] = {"driver": svc.logging.driver or "", "options": dict(sorted(svc.logging.options.items()))}
    if svc.blkio_config is not None:
        out["blkio_config"] = svc.blkio_config.model_dump(exclude_defaults=True)
    requests = device_requests(svc)
    if requests:
        out["device_requests"] = requests
    if svc.devices:
        out["devices"] = [f"{d.source}:{d.target or d.source}:{d.permissions}" for d in svc.devices]


def restart_policy(svc: Service) -> str:
    """The restart policy Compose gives a plain container, as ``name[:count]``. ``deploy.restart_policy``
    wins over ``restart``: condition ``none`` is ``no``, ``any`` is ``always``, ``on-failure`` keeps
    ``max_attempts`` as its count; a policy that names no condition is the engine's empty policy (no
    restart), as Compose 2.40 writes it (checked against its binary). ``delay`` and ``window`` are
    Swarm's: the engine has no field for them (engine/support.py warns)."""
    policy = svc.deploy.restart_policy if svc.deploy else None
    if policy is None:
        return svc.restart
    if "condition" not in policy.model_fields_set:
        return "no"
    name = {"none": "no", "any": "always", "on-failure": "on-failure"}[policy.condition]
    return f"{name}:{policy.max_attempts}" if name == "on-failure" and policy.max_attempts else name


def completes(svc: Service) -> bool:
    """Whether a container of the service that exits 0 stays exited (its restart policy does not
    restart it on success): such a container is a completed one-shot job, not a failure."""
    return restart_policy(svc).partition(":")[0] in ("no", "on-failure")


def jobs(depends_on: Iterable[Mapping[str, Dependency | None]]) -> frozenset[str]:
    """THE definition of a one-shot job, used by plan, up and check alike: a service another service
    waits on with ``service_completed_successfully`` (given every service's ``depends_on``). Only then
    is an exit 0 its completion (success, not run again). A restart policy the file writes out
    (``restart: "no"``, ``on-failure``, ``deploy.restart_policy``) does not make one: it is also the
    default, and a server that stops cleanly exits 0 too (adversary graph5 case 06)."""
    return frozenset(
        dep
        for deps in depends_on
        for dep, cond in deps.items()
        if cond is not None and cond.condition == "service_completed_successfully"
    )


def _volumes_from(entry: str, container_of: Callable[[str], str]) -> str:
    """``SERVICE[:ro|rw]`` or ``container:NAME[:ro|rw]`` -> the engine's ``CONTAINER[:ro|rw]``.

    Compose drops the mode (its containers get the volumes read-write); validator keeps what the
    file says, as ``docker run --volumes-from`` does."""
    if entry.startswith("container:"):
        return entry.partition(":")[2]
    name, _, mode = entry.partition(":")
    return container_of(name) + (f":{mode}" if mode else "")


def device_requests(svc: Service) -> list[dict[str, Any]]:
    """``gpus`` and ``deploy.resources.reservations.devices`` as the engine's DeviceRequests, as Compose
    writes them: a count of ``all`` (or no count and no device IDs) is -1, gpus add the ``gpu`` capability."""
    reservations = svc.deploy.resources.reservations if svc.deploy and svc.deploy.resources else None
    wanted: list[tuple[DeviceRequest, bool]] = [(d, False) for d in (reservations.devices if reservations else [])]
    if svc.gpus == "all":
        wanted.append((DeviceRequest(count="all"), True))
    elif svc.gpus:
        wanted += [(d, True) for d in svc.gpus]
    out = []
    for device, gpu in wanted:
        every = device.count == "all" or (device.count is None and not device.device_ids)
        count = -1 if every else int(device.count or 0)
        capabilities = (
            [*device.capabilities, "gpu"] if gpu and "gpu" not in device.capabilities else device.capabilities
        )
        out.append(
            {
                "Driver": device.driver or "",
                "Count": count,
                "DeviceIDs": list(device.device_ids),
                "Capabilities": [list(capabilities)],
                "Options": dict(device.options),
            }
        )
    return out


def linked(svc: Service) -> list[str]:
    """The services ``links`` names (``SERVICE[:ALIAS]``)."""
    return [link.partition(":")[0] for link in svc.links]


def implicit_dependencies(svc: Service) -> dict[str, Dependency]:
    """The dependencies Compose adds to a service's ``depends_on`` (compose-go, checked against the
    binary's ``depends_on`` label): started first, and restarted with the referenced service for
    ``links`` and ``service:`` namespaces; ``volumes_from`` without the restart."""
    shared = {entry.split(":")[0] for entry in svc.volumes_from if not entry.startswith("container:")}
    out: dict[str, Dependency] = {}
    for ref in service_references(svc):  # compose-go adds links and namespaces first: they win
        out.setdefault(ref, Dependency(restart=ref not in shared or ref in _restarting(svc)))
    return out


def _restarting(svc: Service) -> set[str]:
    """Services named by ``links`` or a ``service:`` namespace (Compose restarts the dependent with them)."""
    modes = [getattr(svc, key) or "" for key in ("network_mode", "pid", "ipc")]
    return {m[8:] for m in modes if m.startswith("service:")} | set(linked(svc))


def service_references(svc: Service) -> list[str]:
    """Services this one must start after, as Compose orders them: ``network_mode``/``pid``/``ipc`` of
    ``service:NAME``, ``volumes_from`` services (``NAME[:ro]``; ``container:NAME`` is not a service) and
    ``links``."""
    refs = [getattr(svc, key) or "" for key in ("network_mode", "pid", "ipc")]
    shared = [entry.split(":")[0] for entry in svc.volumes_from if not entry.startswith("container:")]
    linked = [link.partition(":")[0] for link in svc.links]
    return [ref[8:] for ref in refs if ref.startswith("service:")] + shared + linked


def expand_ports(entry: str) -> list[str]:
    """``3000`` -> ``["3000/tcp"]``, ``5000-5001/udp`` -> one key per port, as ``docker run --expose`` writes them."""
    ports, _, protocol = entry.partition("/")
    low, _, high = ports.partition("-")
    return [f"{port}/{protocol or 'tcp'}" for port in range(int(low), int(high or low) + 1)]


@dataclass(frozen=True, kw_only=True)
class CopiedFile:
    """A secret or config copied into a created container before it starts, as Compose injects one."""

    path: str  # absolute, in the container
    content: bytes = field(repr=False)
    uid: int = 0
    gid: int = 0
    mode: int = 0o444
    secret: bool = False


# bytes read from a secret or config file that is copied in (one a container reads whole)
MAX_COPIED = 8 * 1024 * 1024


def _owned(ref: ServiceFile) -> bool:
    """Whether the entry asks for an owner or a mode: then the file is copied in with them (a bind
    mount keeps the host file's); Compose 2.40 ignores them on a file with a warning."""
    return ref.uid is not None or ref.gid is not None or ref.mode is not None


def _place(ref: ServiceFile, secret: bool) -> str:
    """Where Compose puts it without Swarm: a secret under /run/secrets unless the target is absolute,
    a config at its target or ``/<name>``."""
    if secret:
        target = ref.target or ref.source
        return target if target.startswith("/") else f"/run/secrets/{target}"
    target = ref.target or f"/{ref.source}"
    return target if target.startswith("/") else f"/{target}"


def file_mounts(spec: Spec, svc: Service, base: Path) -> list[tuple[str, str, bool]]:
    """(host file, container path, is a secret) of the service's file-based secrets and configs that
    are bind-mounted (read-only): those that ask for no owner or mode."""
    out: list[tuple[str, str, bool]] = []
    # Only file-based entries are mounted; the others are refused before this runs, except for down,
    # which has no use for them.
    for secret, refs, declared in ((True, svc.secrets, spec.secrets), (False, svc.configs, spec.configs)):
        for ref in refs:
            entry = declared[ref.source]
            if entry.file is not None and not _owned(ref):
                out.append((_host_file(base, entry.file), _place(ref, secret), secret))
    return out


def injected_files(
    spec: Spec,
    svc: Service,
    environment: Mapping[str, str],
    base: Path,
    scopes: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
) -> list[CopiedFile]:
    """The secrets and configs copied into the container before it starts, as Compose does without
    Swarm: from ``environment`` or ``content``, with their ``uid``, ``gid`` and ``mode`` (default root,
    0444); and, beyond Compose, a file-based one that asks for an owner or a mode (Compose 2.40 bind-
    mounts it and ignores them): read here, bounded, regular files only. ``scopes``: the variables an
    include adds for what it brings (``Document.scopes``), beneath ``environment``."""
    scopes = scopes or {}
    out: list[CopiedFile] = []
    for secret, refs, declared in ((True, svc.secrets, spec.secrets), (False, svc.configs, spec.configs)):
        for ref in refs:
            entry = declared[ref.source]
            content: bytes | None = None
            if entry.file is not None:
                if not _owned(ref):
                    continue
                try:
                    content = read_regular(Path(_host_file(base, entry.file)), MAX_COPIED)
                except (ConfinementError, OSError) as exc:
                    why = exc.reason if isinstance(exc, ConfinementError) else exc.strerror
                    raise EngineError(f"cannot read the file of {ref.source} ({entry.file}): {why}") from None
            elif isinstance(entry, ConfigSpec) and entry.content is not None:
                content = entry.content.encode()
            elif entry.environment is not None:
                section = "secrets" if secret else "configs"
                variables = {**scopes.get((section, ref.source), {}), **environment}
                content = variables.get(entry.environment, "").encode()
            if content is None:
                continue
            out.append(
                CopiedFile(
                    path=_place(ref, secret),
                    content=content,
                    uid=int(ref.uid or 0),
                    gid=int(ref.gid or 0),
                    mode=ref.mode if ref.mode is not None else 0o444,
                    secret=secret,
                )
            )
    return out


def _host_file(base: Path, file: str) -> str:
    return str((base / expand(file)).resolve())


def apply_fields(cfg: dict[str, Any], body: dict[str, Any], host: dict[str, Any]) -> None:
    """Write these fields of the canonical config into the create body and its HostConfig."""
    for key, api in _HOST_FIELDS:
        if key in cfg:
            host[api] = cfg[key]
    for key, api in _CONFIG_FIELDS:
        if key in cfg:
            body[api] = cfg[key]
    if "expose" in cfg:
        body.setdefault("ExposedPorts", {}).update({port: {} for port in cfg["expose"]})
    if "ulimits" in cfg:
        host["Ulimits"] = [{"Name": n, "Soft": soft, "Hard": hard} for n, (soft, hard) in cfg["ulimits"].items()]
    if "logging" in cfg:
        host["LogConfig"] = {"Type": cfg["logging"]["driver"], "Config": cfg["logging"]["options"]}
    for key, api in (("cap_add", "CapAdd"), ("cap_drop", "CapDrop")):
        if key in cfg:  # Compose writes capabilities with their CAP_ prefix, as the engine reports them
            host[api] = [c if c == "ALL" or c.startswith("CAP_") else f"CAP_{c}" for c in cfg[key]]
    blkio = cfg.get("blkio_config", {})
    if "weight" in blkio:
        host["BlkioWeight"] = blkio["weight"]
    for key, api, value in (
        ("weight_device", "BlkioWeightDevice", "weight"),
        ("device_read_bps", "BlkioDeviceReadBps", "rate"),
        ("device_write_bps", "BlkioDeviceWriteBps", "rate"),
        ("device_read_iops", "BlkioDeviceReadIOps", "rate"),
        ("device_write_iops", "BlkioDeviceWriteIOps", "rate"),
    ):
        if key in blkio:
            host[api] = [{"Path": d["path"], value.capitalize(): d[value]} for d in blkio[key]]
    if "device_requests" in cfg:
        host["DeviceRequests"] = cfg["device_requests"]
    if "devices" in cfg:
        host["Devices"] = [
            {"PathOnHost": src, "PathInContainer": dst, "CgroupPermissions": perm}
            for src, dst, perm in (d.split(":") for d in cfg["devices"])
        ]


def ipam_body(ipam: Ipam) -> dict[str, Any]:
    """Compose's ``ipam`` block as the engine's network-create IPAM body."""
    pools = [
        {
            api: value
            for api, value in (
                ("Subnet", pool.subnet),
                ("IPRange", pool.ip_range),
                ("Gateway", pool.gateway),
                ("AuxiliaryAddresses", pool.aux_addresses or None),
            )
            if value is not None
        }
        for pool in ipam.config
    ]
    return {"Driver": ipam.driver or "default", "Config": pools, "Options": dict(ipam.options) or None}


# build key -> docker-py build argument; engine/unsupported.py refuses the keys not listed here
BUILD_OPTIONS = {
    "cache_from": "cache_from",
    "labels": "labels",
    "network": "network_mode",
    "no_cache": "nocache",
    "pull": "pull",
    "extra_hosts": "extra_hosts",
    "shm_size": "shmsize",
    "isolation": "isolation",
    "platforms": "platform",
    "tags": "tags",
}


def build_options(build: Build) -> dict[str, Any]:
    """The build keys beyond context, dockerfile, args and target that the file sets, for the builder."""
    out: dict[str, Any] = {}
    for key in sorted(build.model_fields_set & set(BUILD_OPTIONS)):
        value = getattr(build, key)
        if key == "platforms":
            value = value[0] if value else None  # one platform: the builder builds one image
        if value not in (None, [], {}):
            out[BUILD_OPTIONS[key]] = value
    return out
