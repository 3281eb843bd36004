"""Desired Swarm state: one service spec per spec service, and the stack's overlay networks (pure).

The canonical config is the plain-container one (``validator.engine.desired``: the same fields,
values and hash of read-only mounted files) plus the ``deploy`` section, so ``plan`` explains
a Swarm update with the same words as a container recreate. The engine API body is built from
that canonical config only, never from the spec again, so what is hashed is what is applied.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.engine import labels as L
from validator.engine.body import env_entries
from validator.engine.desired import DesiredNetwork, DesiredService, DesiredState
from validator.engine.provenance import Provenance
from validator.errors import EngineError
from validator.spec.ports import PortBinding
from validator.spec.resources import ConfigSpec, SecretSpec
from validator.spec.service import Service

STACK_LABEL = "com.docker.stack.namespace"  # what `docker stack ls/ps` groups by
_NS = 1_000_000_000


@dataclass(frozen=True, kw_only=True)
class SwarmService:
    name: str  # the spec's service name
    service_name: str  # <project>_<name>, as `docker stack deploy` names it
    image: str
    config: dict[str, Any]
    mounted: dict[str, str]
    config_hash: str
    object_names: dict[str, str]  # "secret:<key>" -> the Swarm secret holding its current content
    healthcheck: bool
    replicas: int | None  # None: mode global, one task per eligible node
    startup_timeout: float
    health_timeout: float
    # the parts of ``config`` that may hold a secret: drift reasons never print their values
    provenance: Provenance = field(default_factory=Provenance)


@dataclass(frozen=True, kw_only=True)
class SwarmObject:
    """A Swarm config or secret the stack needs. A file's object is named after its content
    (``<project>_<key>_<digest>``): Swarm objects are immutable, so new content is a new object
    and the services move to it in a rolling update."""

    kind: str  # "config" or "secret"
    key: str
    name: str
    path: Path | None  # None: external, must exist already

    @property
    def external(self) -> bool:
        return self.path is None


@dataclass(frozen=True, kw_only=True)
class SwarmState:
    project: str
    services: dict[str, SwarmService]
    networks: dict[str, DesiredNetwork]
    spec_files: tuple[str, ...]
    secrets: frozenset[str]
    objects: dict[tuple[str, str], SwarmObject] = field(default_factory=dict)  # (kind, key) -> object
    key: bytes = b""  # the label key (DesiredState.key): the planner compares sealed labels with it


def swarm_state(
    desired: DesiredState,
    services: dict[str, Service],
    declared: Mapping[str, Mapping[str, SecretSpec | ConfigSpec]] | None = None,
    base: Path | None = None,
) -> SwarmState:
    """``declared`` is the spec's top-level ``configs`` and ``secrets``; ``base`` the spec's folder."""
    objects: dict[tuple[str, str], SwarmObject] = {}
    for section, entries in (declared or {}).items():
        kind = section[:-1]
        for key, obj in entries.items():
            if obj.external:
                objects[(kind, key)] = SwarmObject(kind=kind, key=key, name=obj.name or key, path=None)
            else:
                assert obj.file is not None and base is not None
                path = (base / obj.file).resolve()
                digest = _content_digest(path, desired.key)
                objects[(kind, key)] = SwarmObject(
                    kind=kind, key=key, name=f"{desired.project}_{key}_{digest}", path=path
                )
    out = {
        name: swarm_service(desired.project, svc, services[name], objects, key=desired.key)
        for name, svc in desired.services.items()
    }
    return SwarmState(
        project=desired.project,
        services=out,
        networks=desired.networks,
        spec_files=desired.spec_files,
        secrets=desired.secrets,
        objects=objects,
        key=desired.key,
    )


def _content_digest(path: Path, key: bytes) -> str:
    """The content's part of a Swarm object's name (``docker secret ls`` shows it to every engine user): keyed
    with the label key (adversary s9 case 18's class), or a short password in a secret file would be found by
    hashing guesses against the name."""
    try:
        return hmac.new(key, path.read_bytes(), hashlib.sha256).hexdigest()[:12]
    except OSError as exc:
        raise EngineError(f"cannot read {path}: {exc.strerror or exc}") from None


def swarm_service(
    project: str,
    svc: DesiredService,
    service: Service,
    objects: dict[tuple[str, str], SwarmObject] | None = None,
    key: bytes = b"",
) -> SwarmService:
    config = {k: v for k, v in svc.config.items() if k not in ("restart",)}
    # Plain containers get configs and secrets as read-only bind mounts; on Swarm they are
    # Swarm objects, so those mounts go, and the object names (content-addressed) come in.
    targets = {item.split(":")[1] for section in ("configs", "secrets") for item in config.get(section, [])}
    volumes = [m for m in config.get("volumes", []) if not (m.startswith("bind:") and m.split(":")[2] in targets)]
    if volumes:
        config["volumes"] = volumes
    else:
        config.pop("volumes", None)
    # A config's entry names its content-addressed object, so `plan` shows the move; a secret's
    # keeps its key (its digest must not be printed): its content change shows as the mounted
    # file's, and ``object_names`` gives the object to use.
    if "configs" in config:
        config["configs"] = [_with_object(item, "config", objects or {}) for item in config["configs"]]
    object_names = {f"secret:{k}": o.name for (kind, k), o in (objects or {}).items() if kind == "secret"}
    deploy_fields = deploy_config(service)
    if deploy_fields:
        config["deploy"] = deploy_fields
    # keyed like a container's (labels.digest): the config holds the environment's values, secrets among them
    digest = L.digest({"config": config, "mounted": svc.mounted}, key)
    deploy = service.deploy
    # one task per eligible node for mode global; else Compose's count (``scale``, else ``deploy.replicas``)
    replicas = None if deploy is not None and deploy.mode == "global" else service.replicas
    return SwarmService(
        name=svc.name,
        service_name=f"{project}_{svc.name}",
        image=svc.image,
        config=config,
        mounted=dict(svc.mounted),
        config_hash=digest,
        object_names=object_names,
        healthcheck=svc.healthcheck,
        replicas=replicas,
        startup_timeout=svc.startup_timeout,
        health_timeout=svc.health_timeout,
        provenance=svc.provenance,
    )


def _with_object(item: str, kind: str, objects: dict[tuple[str, str], SwarmObject]) -> str:
    """``key:target:uid:gid:mode`` -> ``object-name:target:uid:gid:mode``."""
    key, rest = item.split(":", 1)
    obj = objects.get((kind, key))
    return f"{obj.name if obj else key}:{rest}"


def deploy_config(service: Service) -> dict[str, Any]:
    """The ``deploy`` fields Swarm acts on, with Compose's names, unset ones left out."""
    deploy = service.deploy
    out: dict[str, Any] = {}
    if deploy is not None and deploy.mode == "global":
        out["mode"] = "global"
    elif service.scale is not None or (deploy is not None and deploy.replicas is not None):
        out["replicas"] = service.replicas  # Compose's count: ``scale``, else ``deploy.replicas``
    if deploy is None:
        return out
    reservations = deploy.resources.reservations if deploy.resources else None
    if reservations and reservations.cpus is not None:
        out["reservations.cpus"] = reservations.cpus
    if reservations and reservations.memory is not None:
        out["reservations.memory"] = reservations.memory
    for key in ("restart_policy", "placement", "update_config", "rollback_config"):
        value = getattr(deploy, key)
        if value is not None:
            dumped = value.model_dump(exclude_none=True, exclude_defaults=False)
            out[key] = {k: v for k, v in dumped.items() if v not in ([], {})}
    if deploy.labels:
        out["labels"] = dict(sorted(deploy.labels.items()))
    if deploy.endpoint_mode:
        out["endpoint_mode"] = deploy.endpoint_mode
    return out


def network_body(project: str, net: DesiredNetwork) -> dict[str, Any]:
    """Arguments of create_network for a stack network: overlay (spans nodes), attachable."""
    return {
        "name": net.name,
        "driver": net.driver or "overlay",
        "internal": net.internal,
        "labels": {**net.labels, L.PROJECT: project, L.NETWORK: net.key, STACK_LABEL: project},
        "options": net.options or None,
        "attachable": True,
        "scope": "swarm",
    }


def service_spec(
    svc: SwarmService,
    *,
    project: str,
    image: str,
    spec_files: tuple[str, ...],
    version: str,
    key: bytes,
    object_ids: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The body of POST /services/create (and /update) for one service; ``image`` is pinned (see
    ``validator.swarm.reconcile.pin_image``); ``key`` seals the desired state in its label."""
    cfg = svc.config
    deploy = cfg.get("deploy", {})
    task: dict[str, Any] = {"ContainerSpec": _container_spec(project, svc, image, object_ids), "ForceUpdate": 0}
    resources = _resources(cfg, deploy)
    if resources:
        task["Resources"] = resources
    if "restart_policy" in deploy:
        task["RestartPolicy"] = _restart_policy(deploy["restart_policy"])
    if "placement" in deploy:
        task["Placement"] = _placement(deploy["placement"])
    task["Networks"] = [
        {"Target": name, "Aliases": sorted(set(aliases))} for name, aliases in cfg.get("networks", {}).items()
    ]
    body: dict[str, Any] = {
        "Name": svc.service_name,
        "Labels": _service_labels(svc, project=project, image=image, spec_files=spec_files, version=version, key=key),
        "TaskTemplate": task,
        "Mode": {"Global": {}} if svc.replicas is None else {"Replicated": {"Replicas": svc.replicas}},
    }
    for field_name, api in (("update_config", "UpdateConfig"), ("rollback_config", "RollbackConfig")):
        if field_name in deploy:
            body[api] = _update_config(deploy[field_name])
    endpoint = _endpoint(cfg, deploy)
    if endpoint:
        body["EndpointSpec"] = endpoint
    return body


def _service_labels(
    svc: SwarmService, *, project: str, image: str, spec_files: tuple[str, ...], version: str, key: bytes
) -> dict[str, str]:
    return {
        **svc.config.get("deploy", {}).get("labels", {}),
        STACK_LABEL: project,
        L.PROJECT: project,
        L.SERVICE: svc.name,
        L.CONFIG_HASH: svc.config_hash,
        L.IMAGE_ID: image,
        L.SPEC: ",".join(spec_files),
        L.VERSION: version,
        # keyed hashes, never values (as for containers): the spec's secrets must not sit in a label
        L.CONFIG: json.dumps(
            {"config": L.seal_label(svc.config, key), "mounted": L.seal_all(svc.mounted, key)},
            sort_keys=True,
            separators=(",", ":"),
        ),
    }


def _container_spec(project: str, svc: SwarmService, image: str, object_ids: dict[str, str] | None) -> dict[str, Any]:
    """The task's ContainerSpec. Task containers carry the stack label only, never the project label:
    the plain-container backend lists containers by the project label and must not take Swarm's."""
    cfg = svc.config
    container: dict[str, Any] = {"Image": image, "Labels": {**cfg.get("labels", {}), STACK_LABEL: project}}
    if "entrypoint" in cfg:
        container["Command"] = cfg["entrypoint"]
    if "command" in cfg:
        container["Args"] = cfg["command"]
    if cfg.get("environment"):
        container["Env"] = env_entries(cfg["environment"])
    for key, api in (("working_dir", "Dir"), ("user", "User"), ("hostname", "Hostname"), ("stop_signal", "StopSignal")):
        if key in cfg:
            container[api] = cfg[key]
    for key, api in (("tty", "TTY"), ("stdin_open", "OpenStdin"), ("read_only", "ReadOnly")):
        if cfg.get(key):
            container[api] = True
    if "init" in cfg:
        container["Init"] = bool(cfg["init"])
    if "stop_grace_period" in cfg:
        container["StopGracePeriod"] = int(cfg["stop_grace_period"] * _NS)
    if cfg.get("cap_add"):
        container["CapabilityAdd"] = list(cfg["cap_add"])
    if cfg.get("cap_drop"):
        container["CapabilityDrop"] = list(cfg["cap_drop"])
    if cfg.get("extra_hosts"):
        # Swarm's Hosts entries are /etc/hosts lines: "IP name".
        container["Hosts"] = [f"{h.split(':', 1)[1]} {h.split(':', 1)[0]}" for h in cfg["extra_hosts"]]
    health = _healthcheck(cfg.get("healthcheck"))
    if health is not None:
        container["Healthcheck"] = health
    mounts = _mounts(project, cfg)
    if mounts:
        container["Mounts"] = mounts
    for section, api_key in (("configs", "Config"), ("secrets", "Secret")):
        refs = _object_refs(svc, section, api_key, object_ids or {})
        if refs:
            container[f"{api_key}s"] = refs
    return container


def _object_refs(svc: SwarmService, section: str, api_key: str, object_ids: dict[str, str]) -> list[dict[str, Any]]:
    """The task's Swarm configs or secrets (``section``), each by the object holding its content."""
    refs = []
    for item in svc.config.get(section, []):
        name, target, uid, gid, mode = item.split(":")
        name = svc.object_names.get(f"secret:{name}", name) if section == "secrets" else name
        refs.append(
            {
                "File": {"Name": target, "UID": uid, "GID": gid, "Mode": int(mode, 8)},
                f"{api_key}ID": object_ids.get(name, ""),
                f"{api_key}Name": name,
            }
        )
    return refs


def _healthcheck(hc: Any) -> dict[str, Any] | None:
    if hc == "disabled":
        return {"Test": ["NONE"]}
    if not isinstance(hc, dict):
        return None
    out: dict[str, Any] = {}
    if "test" in hc:
        out["Test"] = hc["test"]
    # start_interval needs API 1.44; the swarm backend targets 1.41 as the container one does.
    for key, api in (("interval", "Interval"), ("timeout", "Timeout"), ("start_period", "StartPeriod")):
        if key in hc:
            out[api] = int(hc[key] * _NS)
    if "retries" in hc:
        out["Retries"] = hc["retries"]
    return out


def _mounts(project: str, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for mount in cfg.get("volumes", []):
        kind, rest = mount.split(":", 1)
        source, target, mode = rest.rsplit(":", 2)
        item: dict[str, Any] = {"Type": kind, "Target": target, "ReadOnly": mode == "ro"}
        if kind == "bind":
            item["Source"] = source
        elif kind == "volume" and source:
            item["Source"] = source
            # Each node creates the named volume on first use; the label keeps it ours.
            item["VolumeOptions"] = {"Labels": {L.PROJECT: project, STACK_LABEL: project}}
        out.append(item)
    for path in cfg.get("tmpfs", []):
        out.append({"Type": "tmpfs", "Target": path.partition(":")[0]})
    return out


def _resources(cfg: dict[str, Any], deploy: dict[str, Any]) -> dict[str, Any]:
    limits: dict[str, Any] = {}
    if "cpus" in cfg:
        limits["NanoCPUs"] = round(cfg["cpus"] * _NS)
    if "mem_limit" in cfg:
        limits["MemoryBytes"] = int(cfg["mem_limit"])
    if "pids_limit" in cfg:
        limits["Pids"] = int(cfg["pids_limit"])
    reservations: dict[str, Any] = {}
    if "reservations.cpus" in deploy:
        reservations["NanoCPUs"] = round(deploy["reservations.cpus"] * _NS)
    memory = deploy.get("reservations.memory", cfg.get("mem_reservation"))
    if memory is not None:
        reservations["MemoryBytes"] = int(memory)
    out = {}
    if limits:
        out["Limits"] = limits
    if reservations:
        out["Reservations"] = reservations
    return out


def _restart_policy(policy: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Condition": policy.get("condition", "any")}
    if "delay" in policy:
        out["Delay"] = int(policy["delay"] * _NS)
    if "max_attempts" in policy:
        out["MaxAttempts"] = policy["max_attempts"]
    if "window" in policy:
        out["Window"] = int(policy["window"] * _NS)
    return out


def _placement(placement: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if placement.get("constraints"):
        out["Constraints"] = list(placement["constraints"])
    if placement.get("preferences"):
        out["Preferences"] = [{"Spread": {"SpreadDescriptor": p["spread"]}} for p in placement["preferences"]]
    if "max_replicas_per_node" in placement:
        out["MaxReplicas"] = placement["max_replicas_per_node"]
    return out


def _update_config(update: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, api in (("parallelism", "Parallelism"), ("max_failure_ratio", "MaxFailureRatio")):
        if key in update:
            out[api] = update[key]
    for key, api in (("delay", "Delay"), ("monitor", "Monitor")):
        if key in update:
            out[api] = int(update[key] * _NS)
    if "failure_action" in update:
        out["FailureAction"] = update["failure_action"]
    if "order" in update:
        out["Order"] = update["order"]
    return out


def _endpoint(cfg: dict[str, Any], deploy: dict[str, Any]) -> dict[str, Any]:
    ports = []
    for text in cfg.get("ports", []):
        binding = PortBinding.parse(text)
        port: dict[str, Any] = {"Protocol": binding.protocol, "TargetPort": binding.container_port}
        if binding.fixed_host_port is not None:
            port["PublishedPort"] = binding.fixed_host_port
        port["PublishMode"] = "ingress"
        ports.append(port)
    out: dict[str, Any] = {}
    if "endpoint_mode" in deploy:
        out["Mode"] = deploy["endpoint_mode"]
    if ports:
        out["Ports"] = ports
    return out
