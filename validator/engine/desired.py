"""Desired state: what each container, network and volume must be, computed from the spec.

Each service becomes a canonical config with Compose's field names and resolved values (absolute
paths, env files merged, sizes in bytes, durations in seconds). Its hash also covers the content
of every file under a read-only bind mount (configuration the container reads): editing
``alertmanager.yml`` changes the hash, which Compose misses. Read-write binds are data, not
configuration, and are not hashed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.engine import hooks
from validator.engine import labels as L
from validator.engine.compose_fields import (
    CopiedFile,
    build_options,
    completes,
    container_fields,
    file_mounts,
    implicit_dependencies,
    injected_files,
    ipam_body,
    linked,
    restart_policy,
)
from validator.engine.content_hash import MAX_BYTES, Hashed, hash_tree
from validator.engine.provenance import Provenance, of_service
from validator.engine.shared_ns import SharedNamespace, shares_of
from validator.engine.unsupported import require_applicable as require_applicable  # commands import it here
from validator.errors import EngineError
from validator.formats import FormatError, parse_env
from validator.spec.confine import ConfinementError, expand, read_regular, read_text
from validator.spec.environment import EnvFileError, environment_with_sources
from validator.spec.load import LoadedSpec
from validator.spec.model import Spec
from validator.spec.resources import ConfigSpec, SecretSpec
from validator.spec.service import Dependency, Healthcheck, Service, ServiceNetwork


@dataclass(frozen=True, kw_only=True)
class HostDir:
    """A bind's source the applier makes (a folder) before the create, as Compose does."""

    path: str
    read_only: bool


@dataclass(frozen=True, kw_only=True)
class DesiredService:
    name: str
    container: str
    image: str
    config: dict[str, Any]
    mounted: dict[str, str]
    config_hash: str
    depends_on: dict[str, Dependency]
    build: dict[str, Any] | None
    healthcheck: bool
    startup_timeout: float
    health_timeout: float
    restart_grace: float | None
    stop_timeout: float
    # bind sources not there when this was computed, which the applier makes (folders) before the create:
    # recorded once made (``record_made``)
    host_dirs: tuple[HostDir, ...] = ()
    volumes: tuple[str, ...] = ()  # the engine names of the named volumes it mounts (created before it)
    sealed: dict[str, Any] = field(default_factory=dict)  # config and mounted as keyed hashes (the label)
    pull_policy: str = "missing"
    # copied in before start: secrets and configs from environment or content, or files asking for an
    # owner or a mode. Never in the config or its label; their fingerprints are in ``mounted``.
    files: tuple[CopiedFile, ...] = field(default=(), repr=False)
    # Compose's scale / deploy.replicas: the names of the containers that run this config, replica 1
    # first (``container`` is replica 1's); empty for ``scale: 0`` (no container), None for the one
    # container ``container``. Not in the config or its hash, as Compose leaves scale out of its hash:
    # scaling adds or removes containers, never recreates the ones that stay.
    replica_containers: tuple[str, ...] | None = None
    # which parts of ``config`` may hold a secret (by where their value came from): drift reasons never
    # print those values; recorded (sealed names) in the label as ``sealed["secret"]``
    provenance: Provenance = field(default_factory=Provenance)
    # read-only binds whose content is not hashed (beyond the bound, a special file system): compared
    # by path alone, (display path, why); plan says so
    by_path: tuple[tuple[str, str], ...] = ()
    # read-only binds past the content bound compared by each entry's metadata (size, mtime, inode)
    by_metadata: tuple[tuple[str, str], ...] = ()
    # its restart policy leaves a container that exits 0 exited (Compose's containers are judged so)
    completes: bool = False
    # (container, service) of each service ``links`` names: besides the link's own alias, Compose adds
    # ``<service>-<n>`` with n the linking container's number, so each replica's links differ by it
    link_targets: tuple[tuple[str, str], ...] = ()
    # the namespaces its containers share with another container (network_mode/pid/ipc service:/container:):
    # the planner keeps each sharer in its owner's current namespace (engine/shared_ns.py)
    shares: tuple[SharedNamespace, ...] = ()

    @property
    def replicas(self) -> int:
        return 1 if self.replica_containers is None else len(self.replica_containers)

    @property
    def names(self) -> tuple[str, ...]:
        """Every replica's container name, replica 1 first (none for ``scale: 0``)."""
        return (self.container,) if self.replica_containers is None else self.replica_containers

    def links(self, replica: int) -> list[str] | None:
        """The endpoint links of replica ``replica`` (None without links), as Compose writes them."""
        links = self.config.get("links")
        if links is None:
            return None
        return sorted({*links, *(f"{container}:{service}-{replica}" for container, service in self.link_targets)})

    def replica_name(self, number: int) -> str:
        """The container name of replica ``number`` (1..replicas)."""
        return self.replica_containers[number - 1] if self.replica_containers else self.container


@dataclass(frozen=True, kw_only=True)
class DesiredNetwork:
    key: str
    name: str
    driver: str | None = None
    internal: bool = False
    enable_ipv6: bool = False
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    external: bool = False
    attachable: bool = False
    ipam: dict[str, Any] | None = None  # the engine's IPAM body (Driver, Config, Options)


@dataclass(frozen=True, kw_only=True)
class DesiredVolume:
    key: str
    name: str
    driver: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    external: bool = False


@dataclass(frozen=True, kw_only=True)
class DesiredState:
    project: str
    services: dict[str, DesiredService]
    networks: dict[str, DesiredNetwork]
    volumes: dict[str, DesiredVolume]
    spec_files: tuple[str, ...]
    secrets: frozenset[str] = frozenset()
    working_dir: str = ""  # the project's folder (Compose's project.working_dir label)
    # the key the services' labels are sealed with (labels.state_key): the planner opens and compares
    # labels with it, so it is an input of the plan, never read by the planner itself
    key: bytes = b""


def container_name(project: str, service: str, svc: Service) -> str:
    """The name of a service's container (its first replica when it runs several)."""
    return svc.container_name or f"{project}-{service}-1"


def replica_names(project: str, service: str, svc: Service) -> tuple[str, ...]:
    """The container names of a service's replicas, replica 1 first: ``<project>-<service>-<n>`` as
    Compose names them, even a service's only one (or its ``container_name``; with more than one
    replica that is refused when the spec loads, as Compose refuses it).

    Versions before this one named a single replica ``<project>-<service>``: the planner renames such
    a container (engine/planner.py), it does not recreate it for a name."""
    if svc.replicas == 0:
        return ()  # Compose creates none (and removes those that run)
    if svc.container_name:
        return (svc.container_name,)
    return tuple(f"{project}-{service}-{number}" for number in range(1, svc.replicas + 1))


def desired_state(
    loaded: LoadedSpec,
    environ: dict[str, str] | None = None,
    *,
    refuse_unsupported: bool = True,
    key: bytes | None = None,
) -> DesiredState:
    """The desired state of the services active under the enabled profiles, its labels sealed with
    ``key`` (default ``labels.state_key()``; the planner compares with the same key, ``DesiredState.key``).

    ``refuse_unsupported``: raise a located ``SpecError`` for every Compose field the engine would not
    apply (plan and up); ``down`` passes False, since removing what runs needs none of them.
    """
    spec, base = loaded.spec, loaded.base_dir
    env = dict(os.environ if environ is None else environ)
    active = require_applicable(loaded, env, refuse_unsupported=refuse_unsupported)
    # Compose creates only the networks and volumes an enabled service uses (compose-go's
    # WithoutUnnecessaryResources): a profile left out, or a declaration nothing names, creates nothing.
    used_networks, used_volumes = _used(active)
    networks = {
        key: DesiredNetwork(
            key=key,
            name=net.name or f"{spec.project}_{key}",
            driver=net.driver,
            internal=net.internal,
            enable_ipv6=net.enable_ipv6,
            options=dict(net.driver_opts),
            labels=dict(net.labels),
            external=net.external,
            attachable=net.attachable,
            ipam=ipam_body(net.ipam) if net.ipam else None,
        )
        for key, net in spec.networks.items()
        if key in used_networks
    }
    if "default" in used_networks and "default" not in networks:
        networks["default"] = DesiredNetwork(key="default", name=f"{spec.project}_default")
    volumes = {
        key: DesiredVolume(
            key=key,
            name=vol.name or f"{spec.project}_{key}",
            driver=vol.driver,
            options=dict(vol.driver_opts),
            labels=dict(vol.labels),
            external=vol.external,
        )
        for key, vol in spec.volumes.items()
        if key in used_volumes
    }
    project_env = {**loaded.environment, **env}  # what Compose reads secrets' and configs' variables from
    ctx = _Context(
        spec=spec,
        base=base,
        networks=networks,
        volumes=volumes,
        project_env=project_env,
        sources=_Sources.of(loaded),
        key=L.state_key() if key is None else key,
    )
    services = {name: _service(name, svc, ctx) for name, svc in active.items()}
    # a dependency no enabled profile includes is dropped, as Compose drops it (its depends_on label too)
    services = {
        name: dataclasses.replace(svc, depends_on={d: c for d, c in svc.depends_on.items() if d in services})
        for name, svc in services.items()
    }
    return DesiredState(
        project=spec.project,
        services=services,
        networks=networks,
        volumes=volumes,
        spec_files=tuple(loaded.files),
        secrets=frozenset(loaded.secrets()),
        working_dir=str(base),
        key=ctx.key,
    )


def _used(active: Mapping[str, Service]) -> tuple[set[str], set[str]]:
    """The network and volume keys the active services use (``default`` for a service naming no network)."""
    networks: set[str] = set()
    volumes: set[str] = set()
    for svc in active.values():
        if svc.network_mode is None:
            networks |= set(svc.networks) or {"default"}
        volumes |= {m.source for m in svc.volumes if m.type == "volume" and m.source}
    return networks, volumes


@dataclass(frozen=True, kw_only=True)
class _Context:
    """What every service of one desired state is built from, beside the service itself."""

    spec: Spec
    base: Path
    networks: dict[str, DesiredNetwork]
    volumes: dict[str, DesiredVolume]
    project_env: dict[str, str]
    sources: _Sources
    key: bytes  # labels.state_key(), read once by the caller


def _service(name: str, svc: Service, ctx: _Context) -> DesiredService:
    spec, base, project = ctx.spec, ctx.base, ctx.spec.project
    image = svc.image or f"{project}-{name}"
    config: dict[str, Any] = {"image": image}
    _process_fields(svc, config)
    # an included service resolves its variables with its include's own too (the project's win)
    environment, from_file = _environment(
        svc, base, {**ctx.sources.scopes.get(("services", name), {}), **ctx.project_env}, ctx.sources.fence
    )
    if environment:
        config["environment"] = environment
    ports = sorted({str(b) for port in svc.ports for b in port.bindings()})
    if ports:
        config["ports"] = ports
    unhashed = Hashed()  # the read-only binds whose content is not hashed (digests unused)
    mounted, host_dirs, files = _storage_fields(svc, ctx, config, unhashed)
    if svc.healthcheck is not None:
        config["healthcheck"] = _healthcheck_config(svc.healthcheck)
    _scalar_fields(svc, config)
    label_files = _label_files(svc, base, ctx.sources.fence)
    _label_fields(svc, label_files, config)
    config.update(container_fields(svc, lambda other: container_name(project, other, spec.services[other])))
    if svc.network_mode is None:
        _network_fields(name, svc, ctx.networks, config)
    digest = L.digest({"config": config, "mounted": mounted}, ctx.key)
    provenance = of_service(
        name,
        config,
        ctx.sources.interpolated,
        env_file_keys=from_file,
        pass_through=[k for k, v in svc.environment.items() if v is None],
        label_file_keys=label_files,
    )
    return DesiredService(
        name=name,
        container=container_name(project, name, svc),
        image=image,
        config=config,
        mounted=mounted,
        config_hash=digest,
        # Compose adds these implicitly, restarting the sharer when the owner is recreated
        depends_on={**implicit_dependencies(svc), **svc.depends_on},
        build=_build_config(svc, base),
        # Without its own test a healthcheck block only tunes the image's check, which may not exist:
        # waiting for "healthy" is right only when the file names the test.
        healthcheck=svc.healthcheck is not None and not svc.healthcheck.disabled and svc.healthcheck.test is not None,
        startup_timeout=svc.startup_timeout,
        health_timeout=svc.health_timeout,
        restart_grace=svc.restart_grace,
        stop_timeout=svc.stop_grace_period if svc.stop_grace_period is not None else 10.0,
        host_dirs=tuple(host_dirs),
        volumes=tuple(
            ctx.volumes[m.source].name if m.source in ctx.volumes else m.source
            for m in svc.volumes
            if m.type == "volume" and m.source
        ),
        # the provenance record is names only, and outside the hash: recording it changes no container
        sealed={
            "config": L.seal_label(config, ctx.key),
            "mounted": L.seal_all(mounted, ctx.key),
            "secret": provenance.as_label(lambda text: L.seal_text(text, ctx.key)),
        },
        provenance=provenance,
        pull_policy="missing" if svc.pull_policy in (None, "if_not_present") else svc.pull_policy,
        files=tuple(files),
        replica_containers=replica_names(project, name, svc),
        by_path=tuple(sorted(unhashed.by_path.items())),
        by_metadata=tuple(sorted(unhashed.by_metadata.items())),
        completes=completes(svc),
        link_targets=tuple(
            sorted({(container_name(project, other, spec.services[other]), other) for other in linked(svc)})
        ),
        shares=shares_of(
            {"network": svc.network_mode, "pid": svc.pid, "ipc": svc.ipc},
            lambda other: container_name(project, other, spec.services[other]),
            volumes_from=svc.volumes_from,
            own_targets=[m.target for m in svc.volumes if m.target],
        ),
    )


def _process_fields(svc: Service, config: dict[str, Any]) -> None:
    if svc.command is not None:
        config["command"] = svc.command
    if svc.entrypoint is not None:
        config["entrypoint"] = svc.entrypoint


def _storage_fields(
    svc: Service, ctx: _Context, config: dict[str, Any], unhashed: Hashed
) -> tuple[dict[str, str], list[HostDir], list[CopiedFile]]:
    """Volumes, bound configs and secrets, and copied files: their config entries, and the fingerprints
    of what they mount (returned, with the host folders to create and the files to copy in)."""
    spec, base = ctx.spec, ctx.base
    mounts, mounted, host_dirs = _mounts(svc, base, ctx.volumes, unhashed)
    for source, target, secret in file_mounts(spec, svc, base):
        mounts.append(f"bind:{source}:{target}:ro")
        mounted.update(_secret_fingerprint(Path(source), base) if secret else _hash_tree(Path(source), base, unhashed))
    for section in ("configs", "secrets"):
        refs = file_refs(svc, section, getattr(spec, section), base)
        if refs:
            # Plain containers get them as the read-only bind mounts above (what Compose does without
            # Swarm); the Swarm backend turns the same entries into Swarm configs and secrets.
            config[section] = [ref.text for ref in refs]
    files = injected_files(spec, svc, ctx.project_env, base, ctx.sources.scopes)
    for item in files:
        content = item.content
        digest = _fingerprint(content, item.path) if item.secret else hashlib.sha256(content).hexdigest()[:16]
        mounted[f"copied into {item.path}"] = digest
    if files:
        config["injected"] = sorted(item.path for item in files)
    if mounts:
        config["volumes"] = mounts
    if svc.tmpfs:
        config["tmpfs"] = sorted(svc.tmpfs)
    return mounted, host_dirs, files


def _healthcheck_config(hc: Healthcheck) -> str | dict[str, Any]:
    if hc.disabled:
        return "disabled"
    fields = {
        "test": hc.test,
        "interval": hc.interval,
        "timeout": hc.timeout,
        "retries": hc.retries,
        "start_period": hc.start_period,
        "start_interval": hc.start_interval,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _scalar_fields(svc: Service, config: dict[str, Any]) -> None:
    """Limits, process settings, hooks, the restart policy and the flags: each written when set."""
    for key, value in (
        ("mem_limit", svc.memory_limit),
        ("mem_reservation", svc.memory_reservation),
        ("memswap_limit", svc.memswap_limit),
        ("cpus", svc.cpu_limit),
        ("cpu_shares", svc.cpu_shares),
        ("pids_limit", svc.pids),
        ("shm_size", svc.shm_size),
        ("working_dir", svc.working_dir),
        ("user", svc.user),
        ("hostname", svc.hostname),
        ("init", svc.init),
        ("stop_signal", svc.stop_signal),
        ("stop_grace_period", svc.stop_grace_period),
    ):
        if value is not None:
            config[key] = value
    for key in ("post_start", "pre_stop"):
        if getattr(svc, key):
            config[key] = hooks.canonical(getattr(svc, key))
    restart = restart_policy(svc)  # restart, or deploy.restart_policy as Compose maps it
    if restart != "no":
        config["restart"] = restart
    for key, flag in (
        ("read_only", svc.read_only),
        ("privileged", svc.privileged),
        ("tty", svc.tty),
        ("stdin_open", svc.stdin_open),
    ):
        if flag:
            config[key] = True


def _label_fields(svc: Service, label_files: dict[str, str], config: dict[str, Any]) -> None:
    labels = {**label_files, **svc.labels}
    if labels:
        config["labels"] = dict(sorted(labels.items()))
    if svc.extra_hosts:
        config["extra_hosts"] = sorted(f"{h}:{ip}" for h, ip in svc.extra_hosts.items())
    if svc.cap_add:
        config["cap_add"] = sorted(svc.cap_add)
    if svc.cap_drop:
        config["cap_drop"] = sorted(svc.cap_drop)


def _network_fields(name: str, svc: Service, networks: dict[str, DesiredNetwork], config: dict[str, Any]) -> None:
    nets: dict[str, ServiceNetwork | None] = dict(svc.networks) or {"default": None}
    # Compose's order: highest priority first, then by the service's key; the first is joined at create
    ordered = sorted(nets.items(), key=lambda item: (-((item[1].priority or 0) if item[1] else 0), item[0]))
    config["networks"] = {networks[key].name: sorted({name, *(opts.aliases if opts else [])}) for key, opts in ordered}
    addresses = {
        networks[key].name: {k: v for k, v in (("ipv4", o.ipv4_address), ("ipv6", o.ipv6_address)) if v}
        for key, o in svc.networks.items()
        if o.ipv4_address or o.ipv6_address
    }
    if addresses:
        config["network_addresses"] = dict(sorted(addresses.items()))


def _build_config(svc: Service, base: Path) -> dict[str, Any] | None:
    if svc.build is None:
        return None
    return {
        "context": str((base / svc.build.context).resolve()),
        "dockerfile": svc.build.dockerfile,
        "args": {k: v or "" for k, v in svc.build.args.items()},
        "target": svc.build.target,
        "options": build_options(svc.build),
    }


@dataclass(frozen=True, kw_only=True)
class FileRefTarget:
    """A config or secret as one service sees it: where, whose, and the file it comes from."""

    key: str
    target: str
    uid: str
    gid: str
    mode: int
    path: Path | None  # None for an external one (Swarm only)

    @property
    def text(self) -> str:
        return f"{self.key}:{self.target}:{self.uid}:{self.gid}:{self.mode:o}"


def file_refs(
    svc: Service, section: str, declared: Mapping[str, SecretSpec | ConfigSpec], base: Path
) -> list[FileRefTarget]:
    """A service's ``configs`` or ``secrets`` with Compose's defaults: a config lands at
    ``/<name>``, a secret at ``/run/secrets/<name>`` (a relative secret target is under it);
    owned by root, mode 0444."""
    out = []
    for ref in getattr(svc, section):
        obj = declared.get(ref.source)
        if obj is None:
            continue  # lint reports the undeclared name
        target = ref.target or ref.source
        if section == "secrets" and not target.startswith("/"):
            target = f"/run/secrets/{target}"
        elif not target.startswith("/"):
            target = f"/{target}"
        path = (base / obj.file).resolve() if obj.file else None
        mode = ref.mode if ref.mode is not None else 0o444  # an octal string was read as octal by the model
        out.append(
            FileRefTarget(key=ref.source, target=target, uid=ref.uid or "0", gid=ref.gid or "0", mode=mode, path=path)
        )
    return sorted(out, key=lambda r: r.target)


@dataclass(frozen=True, kw_only=True)
class _Sources:
    """What the spec's loading recorded about where values came from, for ``Provenance``."""

    interpolated: Mapping[tuple[Any, ...], str]
    fence: Path
    # (section, name) -> an include's own variables, for what that include brought in
    scopes: Mapping[tuple[str, str], Mapping[str, str]]

    @classmethod
    def of(cls, loaded: LoadedSpec) -> _Sources:
        return cls(
            interpolated=dict(loaded.doc.interpolated),
            fence=loaded.fence,
            scopes=loaded.doc.scopes,
        )


def _label_files(svc: Service, base: Path, fence: Path) -> dict[str, str]:
    """Labels from ``label_file`` entries (``KEY=value`` lines, as env files), in order; ``labels`` win.
    Read confined to the project and bounded (lint has refused a path outside already)."""
    out: dict[str, str] = {}
    for name in svc.label_file:
        try:
            values = parse_env(read_text(base / expand(name), fence, 1024 * 1024))
        except ConfinementError as exc:
            raise EngineError(f"cannot read label_file {exc}") from None
        except (OSError, FormatError) as exc:
            raise EngineError(f"cannot read label_file {name}: {exc}") from None
        out.update({k: v or "" for k, v in values.items()})
    return out


def _environment(
    svc: Service, base: Path, project_env: Mapping[str, str], fence: Path
) -> tuple[dict[str, str | None], set[str]]:
    """The container's variables as Compose computes them (``validator.spec.environment``): pass-through
    names and ``${VAR}`` in env files read the project's variables (``.env`` too); None is a bare name.
    Also the names an ``env_file`` set (their values may be secrets: drift reasons hide them)."""
    try:
        return environment_with_sources(svc, base, project_env, fence)
    except EnvFileError as exc:
        raise EngineError(str(exc)) from None


def _mounts(
    svc: Service, base: Path, volumes: dict[str, DesiredVolume], unhashed: Hashed
) -> tuple[list[str], dict[str, str], list[HostDir]]:
    mounts: list[str] = []
    mounted: dict[str, str] = {}
    host_dirs: list[HostDir] = []
    for mount in svc.volumes:
        mode = ",".join(mount.modes())
        if mount.type == "bind":
            assert mount.source is not None
            source = (base / os.path.expanduser(mount.source)).resolve()
            mounts.append(f"bind:{source}:{mount.target}:{mode}")
            mounted.update(_bind_record(source, base, mount.read_only, unhashed))
            if mount.create_host_path and not source.exists():
                host_dirs.append(HostDir(path=str(source), read_only=mount.read_only))
        elif mount.type == "volume":
            name = volumes[mount.source].name if mount.source in volumes else (mount.source or "")
            mounts.append(f"volume:{name}:{mount.target}:{mode}")
        else:
            options = [mode]
            if mount.tmpfs and mount.tmpfs.size is not None:
                options.append(f"size={mount.tmpfs.size}")
            if mount.tmpfs and mount.tmpfs.mode is not None:
                # Compose hands the number to the engine as a file mode (YAML 1777 is decimal, as there)
                options.append(f"mode={mount.tmpfs.mode:o}")
            mounts.append(f"tmpfs::{mount.target}:{','.join(options)}")
    return mounts, mounted, host_dirs


def _bind_record(source: Path, base: Path, read_only: bool, unhashed: Hashed) -> dict[str, str]:
    """What a bind's source is recorded by: a read-only one by its content, a read-write one by which
    file or folder it is (``_bound_source``)."""
    return _hash_tree(source, base, unhashed) if read_only else _bound_source(source, base)


def record_made(svc: DesiredService, base: Path, key: bytes) -> DesiredService:
    """``svc`` once its ``host_dirs`` are made (the applier makes them just before the create): each
    recorded as it is now, so the label written at create holds what the next look computes from the
    same folder (recorded while missing, the first look after would take the new folder for a change
    and recreate the container once). The hash and the sealed record follow."""
    if not svc.host_dirs:
        return svc
    mounted = dict(svc.mounted)
    unhashed = Hashed()  # a folder just made is empty: hashed in full
    for made in svc.host_dirs:
        source = Path(made.path)
        mounted.pop(_display(source, base), None)  # the record of the missing path ("missing")
        mounted.update(_bind_record(source, base, made.read_only, unhashed))
    if mounted == svc.mounted:
        return svc
    sealed = {**svc.sealed, "mounted": L.seal_all(mounted, key)} if svc.sealed else svc.sealed
    digest = L.digest({"config": svc.config, "mounted": mounted}, key)
    return dataclasses.replace(svc, mounted=mounted, config_hash=digest, sealed=sealed, host_dirs=())


def _bound_source(source: Path, base: Path) -> dict[str, str]:
    """Rule (adversary graph6 case 07, graph7 case 03): a read-write bind's source, a regular file or a
    folder, is recorded by which one it is (device and inode), not by its content, which the container
    may write. The engine binds the inode the path names at create; an editor or ``sed -i`` writes a
    new file and renames it over the path, a deploy or a fresh checkout moves a folder away and makes
    a new one (``mv site site.old; mkdir site``): the container keeps the old one (its old content)
    while the path names another. Then the identity differs and the container is recreated. An inode
    is not reused while the container holds it. A path not there yet is recorded once the applier
    made it (``record_made``); any other kind (a socket, a device) is not recorded."""
    try:
        found = source.stat()
    except OSError:
        return {}
    if stat.S_ISREG(found.st_mode):
        kind = "file"
    elif stat.S_ISDIR(found.st_mode):
        kind = "folder"
    else:
        return {}
    return {f"{_display(source, base)} (the {kind} bound read-write)": f"{kind} {found.st_dev}:{found.st_ino}"}


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _hash_tree(source: Path, base: Path, unhashed: Hashed) -> dict[str, str]:
    """Content hashes of what a read-only bind holds (bounded: engine/content_hash.py); a mount
    compared by metadata or by path alone is added to ``unhashed`` with why."""
    hashed = hash_tree(source, _display(source, base))
    unhashed.by_path.update(hashed.by_path)
    unhashed.by_metadata.update(hashed.by_metadata)
    return hashed.digests


SECRET_ROUNDS = 100_000


def _secret_fingerprint(path: Path, base: Path) -> dict[str, str]:
    """A secret's content drives recreation like any mounted file's, but its fingerprint is stored in a
    container label: a slow salted hash (PBKDF2), so a short password cannot be guessed from it by
    hashing a dictionary, as a plain SHA-256 prefix would allow. Read only when it is a regular file
    under the content bound (a FIFO or a device is never opened)."""
    try:
        content = read_regular(path, MAX_BYTES)
    except ConfinementError as exc:
        return {_display(path, base): f"not read: {exc.reason}"}
    except OSError as exc:
        return {_display(path, base): f"unreadable:{exc.errno}"}
    return {_display(path, base): _fingerprint(content, str(path))}


def _fingerprint(content: bytes, where: str) -> str:
    salt = b"validator-secret:" + where.encode()
    return "pbkdf2:" + hashlib.pbkdf2_hmac("sha256", content, salt, SECRET_ROUNDS).hex()[:16]
