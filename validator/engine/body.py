"""The Docker API create body for one service, from its canonical config (a pure function)."""

from __future__ import annotations

import json
from typing import Any

from validator.engine import compose_labels as CL
from validator.engine import labels as L
from validator.engine.api_version import START_INTERVAL_API, api_at_least
from validator.engine.compose_fields import apply_fields
from validator.engine.desired import DesiredService
from validator.spec.ports import PortBinding

_NS = 1_000_000_000


def create_body(
    svc: DesiredService,
    *,
    project: str,
    image_id: str,
    spec_files: tuple[str, ...],
    api_version: str,
    version: str,
    replica: int = 1,
    working_dir: str = "",
) -> tuple[dict[str, Any], list[tuple[str, list[str]]]]:
    """(body for POST /containers/create of replica ``replica``, further networks to connect before start).

    Every replica gets the same body but for its replica labels and its own name among its network
    aliases; each joins the service's networks under the service's name too, so the name resolves to
    all of them, as with Compose. Compose's labels (engine/compose_labels.py) sit beside validator's."""
    cfg = svc.config
    labels = _labels(
        svc,
        project=project,
        image_id=image_id,
        spec_files=spec_files,
        version=version,
        replica=replica,
        working_dir=working_dir,
    )
    body: dict[str, Any] = {"Image": cfg["image"], "Labels": labels}
    _process(cfg, body)
    hc = cfg.get("healthcheck")
    if hc == "disabled":
        body["Healthcheck"] = {"Test": ["NONE"]}
    elif isinstance(hc, dict):
        body["Healthcheck"] = _healthcheck(hc, api_version)
    host: dict[str, Any] = {}
    _ports(cfg, body, host)
    apply_fields(cfg, body, host)
    _storage(cfg, host)
    _limits_and_flags(cfg, host)
    body["HostConfig"] = host
    if "network_mode" in cfg:  # host, none, bridge or container:NAME: no networks of the project
        return body, []
    return body, _networking(svc, replica, body, host)


def _labels(
    svc: DesiredService,
    *,
    project: str,
    image_id: str,
    spec_files: tuple[str, ...],
    version: str,
    replica: int,
    working_dir: str,
) -> dict[str, str]:
    """The spec's labels, Compose's, then validator's (its sealed desired state among them)."""
    labels = dict(svc.config.get("labels", {}))
    labels.update(
        CL.container_labels(
            project=project,
            service=svc.name,
            number=replica,
            config_hash=svc.config_hash,
            image_id=image_id,
            depends_on=svc.depends_on,
            working_dir=working_dir,
            spec_files=spec_files,
            version=version,
        )
    )
    labels.update(
        {
            L.PROJECT: project,
            L.SERVICE: svc.name,
            L.REPLICA: str(replica),
            L.CONFIG_HASH: svc.config_hash,
            L.IMAGE_ID: image_id,
            L.SPEC: ",".join(spec_files),
            L.VERSION: version,
            L.CONFIG: json.dumps(svc.sealed, sort_keys=True, separators=(",", ":")),
        }
    )
    return labels


def _process(cfg: dict[str, Any], body: dict[str, Any]) -> None:
    """What the container runs and how: command, environment, user, terminal, stop settings."""
    if "command" in cfg:
        body["Cmd"] = cfg["command"]
    if "entrypoint" in cfg:
        body["Entrypoint"] = cfg["entrypoint"]
    if cfg.get("environment"):
        body["Env"] = env_entries(cfg["environment"])
    for key, api in (
        ("working_dir", "WorkingDir"),
        ("user", "User"),
        ("hostname", "Hostname"),
        ("stop_signal", "StopSignal"),
    ):
        if key in cfg:
            body[api] = cfg[key]
    if cfg.get("tty"):
        body["Tty"] = True
    if cfg.get("stdin_open"):
        body["OpenStdin"] = True
    if "stop_grace_period" in cfg:
        body["StopTimeout"] = round(cfg["stop_grace_period"])


def _healthcheck(hc: dict[str, Any], api_version: str) -> dict[str, Any]:
    check: dict[str, Any] = {}
    if "test" in hc:
        check["Test"] = hc["test"]
    for key, api in (("interval", "Interval"), ("timeout", "Timeout"), ("start_period", "StartPeriod")):
        if key in hc:
            check[api] = int(hc[key] * _NS)
    if "start_interval" in hc and api_at_least(api_version, START_INTERVAL_API):
        check["StartInterval"] = int(hc["start_interval"] * _NS)
    if "retries" in hc:
        check["Retries"] = hc["retries"]
    return check


def _ports(cfg: dict[str, Any], body: dict[str, Any], host: dict[str, Any]) -> None:
    exposed: dict[str, dict[str, Any]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for text in cfg.get("ports", []):
        binding = PortBinding.parse(text)
        key = f"{binding.container_port}/{binding.protocol}"
        exposed[key] = {}
        bindings.setdefault(key, []).append({"HostIp": binding.host_ip or "", "HostPort": binding.host_port or ""})
    if exposed:
        body["ExposedPorts"] = exposed
        host["PortBindings"] = bindings


def _storage(cfg: dict[str, Any], host: dict[str, Any]) -> None:
    """Binds, named and anonymous volumes, tmpfs mounts."""
    binds: list[str] = []
    mounts: list[dict[str, Any]] = []
    tmpfs: dict[str, str] = {}
    for mount in cfg.get("volumes", []):
        kind, rest = mount.split(":", 1)
        source, target, mode = rest.rsplit(":", 2)
        if kind == "bind" or (kind == "volume" and source):
            binds.append(f"{source}:{target}:{mode}")
        elif kind == "volume":
            options = mode.split(",")
            anonymous: dict[str, Any] = {"Type": "volume", "Target": target, "ReadOnly": "ro" in options}
            if "nocopy" in options:
                anonymous["VolumeOptions"] = {"NoCopy": True}
            mounts.append(anonymous)
        else:
            mounts.append(_tmpfs_mount(target, mode.split(",")))
    for path in cfg.get("tmpfs", []):
        target, _, options = path.partition(":")
        tmpfs[target] = options
    if binds:
        host["Binds"] = binds
    if mounts:
        host["Mounts"] = mounts
    if tmpfs:
        host["Tmpfs"] = tmpfs


def carry_anonymous_volumes(body: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """``body`` for the successor of a recreated container (``old``: its inspect, None if unknown)
    with each anonymous volume the old one had at a target the body mounts an anonymous volume too,
    as Compose carries them over on recreate (its ``--renew-anon-volumes`` off): the data stays, and
    no new volume is left behind by each recreate (adversary graph6 case 13). The engine names an
    anonymous volume by a 64-hex ID it chose; a named volume or a bind is the spec's, never carried."""
    mounts = (body.get("HostConfig") or {}).get("Mounts")
    if not mounts or not old:
        return body
    kept = {
        str(m.get("Destination")): str(m.get("Name"))
        for m in old.get("Mounts") or []
        if m.get("Type") == "volume" and _engine_named(str(m.get("Name") or ""))
    }
    carried = [
        {**m, "Source": kept[m["Target"]]}
        if m.get("Type") == "volume" and not m.get("Source") and m.get("Target") in kept
        else m
        for m in mounts
    ]
    return {**body, "HostConfig": {**body["HostConfig"], "Mounts": carried}}


def _engine_named(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def _limits_and_flags(cfg: dict[str, Any], host: dict[str, Any]) -> None:
    for key, api in (
        ("mem_limit", "Memory"),
        ("mem_reservation", "MemoryReservation"),
        ("memswap_limit", "MemorySwap"),
        ("cpu_shares", "CpuShares"),
        ("pids_limit", "PidsLimit"),
        ("shm_size", "ShmSize"),
    ):
        if key in cfg:
            host[api] = int(cfg[key])
    if "cpus" in cfg:
        host["NanoCpus"] = round(cfg["cpus"] * _NS)
    if "init" in cfg:
        host["Init"] = bool(cfg["init"])
    for key, api in (("read_only", "ReadonlyRootfs"), ("privileged", "Privileged")):
        if cfg.get(key):
            host[api] = True
    if cfg.get("extra_hosts"):
        host["ExtraHosts"] = list(cfg["extra_hosts"])
    restart = cfg.get("restart")
    if restart:
        name, _, count = restart.partition(":")
        host["RestartPolicy"] = {"Name": name, "MaximumRetryCount": int(count or 0)}


def _networking(
    svc: DesiredService, replica: int, body: dict[str, Any], host: dict[str, Any]
) -> list[tuple[str, list[str]]]:
    """The first network joined at create (its endpoint in the body); the others, returned, before start."""
    cfg = svc.config
    # Compose's aliases on every network: the container's own name, the service's name, the file's
    name = svc.replica_name(replica)
    networks = [(net, [name, *(a for a in aliases if a != name)]) for net, aliases in cfg.get("networks", {}).items()]
    first, extra = networks[0], networks[1:]
    host["NetworkMode"] = first[0]
    endpoint: dict[str, Any] = {"Aliases": first[1]}
    if "links" in cfg:  # Compose sets links on the endpoint (on the others when they are connected)
        endpoint["Links"] = svc.links(replica)
    addresses = cfg.get("network_addresses", {})
    if first[0] in addresses:
        endpoint["IPAMConfig"] = _ipam(addresses[first[0]])
    body["NetworkingConfig"] = {"EndpointsConfig": {first[0]: endpoint}}
    return extra


def _tmpfs_mount(target: str, options: list[str]) -> dict[str, Any]:
    """A ``volumes`` entry of type tmpfs goes through the Mounts API, as Compose sends it (the ``tmpfs``
    field stays in HostConfig.Tmpfs, as there)."""
    mount: dict[str, Any] = {"Type": "tmpfs", "Target": target, "ReadOnly": "ro" in options}
    settings = dict(option.split("=", 1) for option in options if "=" in option)
    tmpfs = {k: v for k, v in (("SizeBytes", settings.get("size")), ("Mode", settings.get("mode"))) if v is not None}
    if tmpfs:
        mount["TmpfsOptions"] = {k: int(v, 8) if k == "Mode" else int(v) for k, v in tmpfs.items()}
    return mount


def _ipam(address: dict[str, str]) -> dict[str, str]:
    return {api: address[key] for key, api in (("ipv4", "IPv4Address"), ("ipv6", "IPv6Address")) if key in address}


def env_entries(environment: dict[str, str | None]) -> list[str]:
    """The engine's ``Env``: ``KEY=value``, or a bare ``KEY`` for a pass-through variable set nowhere,
    which the engine reads as "remove KEY" (the image's value too), as ``docker compose up`` sends it."""
    return [key if value is None else f"{key}={value}" for key, value in environment.items()]
