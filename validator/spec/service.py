"""Service blocks: Compose Specification field names, shapes and meaning, plus validator's own timeouts.

Every field of the Compose service reference is accepted here (a valid compose file lints); which
of them ``plan``/``up`` apply and which they refuse as "not supported yet" is decided in
``validator/engine/unsupported.py``.
"""

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from validator.redact import quoted
from validator.spec.mounts import VolumeMount
from validator.spec.ports import Port
from validator.spec.service_parts import BlkioConfig, Device, DeviceRequest, Logging, ServiceFile, Ulimit
from validator.spec.types import (
    KV_SCHEMA,
    ByteSize,
    Command,
    Cpus,
    Duration,
    ExtensibleModel,
    Labels,
    Model,
    ShortForm,
    SwapLimit,
    TextMap,
    key_value_list,
)


def _or_empty(*values: str) -> Any:
    """The JSON Schema of a choice that Compose also takes as '' (read as unset: spec/unset.py)."""
    return WithJsonSchema({"enum": [*values, "", None]})


def _environment(value: Any) -> Any:
    return key_value_list(value, "environment")


Environment = Annotated[dict[str, str | None], BeforeValidator(_environment), WithJsonSchema(KV_SCHEMA)]


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


StrList = Annotated[
    list[str],
    BeforeValidator(_one_or_many),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}),
]


def _extra_hosts(value: Any) -> Any:
    if isinstance(value, list):
        out: dict[str, str] = {}
        for item in value:
            if not isinstance(item, str) or not re.match(r"^[^:=\s]+[:=].+$", item):
                raise ValueError(f"invalid extra_hosts entry {quoted(item)}: expected 'HOST:IP' or 'HOST=IP'")
            sep = "=" if "=" in item else ":"
            host, _, addr = item.partition(sep)
            out[host] = addr
        return out
    return value


ExtraHosts = Annotated[dict[str, str], BeforeValidator(_extra_hosts, json_schema_input_type=list[str] | dict[str, str])]


# What the engine's build reads as a remote context besides a URL with a scheme (docker-py's prefixes)
_REMOTE_CONTEXT = ("git@", "github.com/")


class Build(ShortForm, ExtensibleModel):
    context: str = "."
    dockerfile: str | None = None
    args: Environment = Field(default_factory=dict)
    target: str | None = None
    # Accepted as Compose defines them; plan/up refuse them until the builder passes them on.
    dockerfile_inline: str | None = None
    additional_contexts: Environment = Field(default_factory=dict)
    cache_from: list[str] = Field(default_factory=list)
    cache_to: list[str] = Field(default_factory=list)
    extra_hosts: ExtraHosts = Field(default_factory=dict)
    isolation: str | None = None
    labels: Labels = Field(default_factory=dict)
    network: str | None = None
    no_cache: bool = False
    platforms: list[str] = Field(default_factory=list)
    privileged: bool = False
    pull: bool = False
    secrets: list[ServiceFile] = Field(default_factory=list)
    shm_size: ByteSize | None = None
    ssh: Environment = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    ulimits: dict[str, Ulimit] = Field(default_factory=dict)
    entitlements: list[str] = Field(default_factory=list)
    provenance: str | bool | None = None
    sbom: str | bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"context": value} if isinstance(value, str) else value

    @field_validator("context")
    @classmethod
    def _local(cls, value: str) -> str:
        """A remote context (a Git or HTTP URL, as Compose and the engine accept) is refused here: the
        desired state hashes a context's files and ``up`` builds from a folder, so a URL made ``up``
        crash (adversary s9). The message never quotes the URL: a Git URL often carries a token."""
        if "://" in value or value.startswith(_REMOTE_CONTEXT):
            raise ValueError(
                "a remote build context (a Git or HTTP URL) is not supported: clone it and give its folder, "
                "or build the image and name it in 'image'"
            )
        return value


class Healthcheck(ExtensibleModel):
    test: list[str] | str | None = None
    interval: Duration | None = None
    timeout: Duration | None = None
    retries: Annotated[int, Field(ge=0)] | None = None
    start_period: Duration | None = None
    start_interval: Duration | None = None
    disable: bool = False

    @field_validator("test")
    @classmethod
    def _test(cls, value: list[str] | str | None) -> list[str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            return ["CMD-SHELL", value]
        if not value:
            raise ValueError("healthcheck test is empty")
        if value[0] not in ("NONE", "CMD", "CMD-SHELL"):
            raise ValueError(f"a healthcheck test list starts with CMD, CMD-SHELL or NONE, not {quoted(value[0])}")
        if value[0] != "NONE" and len(value) < 2:
            raise ValueError(f"healthcheck test {value[0]} needs a command after it")
        return value

    @property
    def disabled(self) -> bool:
        return self.disable or (self.test is not None and self.test[0] == "NONE")


Condition = Literal["service_started", "service_healthy", "service_completed_successfully"]


class Dependency(ExtensibleModel):
    condition: Condition = "service_started"
    restart: bool = False
    required: bool = True


def _depends_on(value: Any) -> Any:
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, str):
                raise ValueError("depends_on lists service names; use a mapping for conditions")
            if item in out:
                raise ValueError(f"depends_on names {quoted(item)} twice")
            out[item] = {}
        return out
    if isinstance(value, dict):
        return {k: {} if v is None else v for k, v in value.items()}
    return value


DependsOn = Annotated[
    dict[str, Dependency],
    BeforeValidator(_depends_on, json_schema_input_type=list[str] | dict[str, Dependency | None]),
]


class ServiceNetwork(ExtensibleModel):
    aliases: list[str] = Field(default_factory=list)
    ipv4_address: str | None = None
    ipv6_address: str | None = None
    link_local_ips: list[str] = Field(default_factory=list)
    mac_address: str | None = None
    driver_opts: TextMap = Field(default_factory=dict)
    priority: int | None = None
    gw_priority: int | None = None
    interface_name: str | None = None


def _networks(value: Any) -> Any:
    if isinstance(value, list):
        if not all(isinstance(name, str) for name in value):
            raise ValueError("a list of networks holds network names; give settings as a mapping of names")
        return {name: {} for name in value}
    if isinstance(value, dict):
        return {k: {} if v is None else v for k, v in value.items()}
    return value


ServiceNetworks = Annotated[
    dict[str, ServiceNetwork],
    BeforeValidator(_networks),
    WithJsonSchema({"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]}),
]


class ResourceLimits(Model):
    cpus: Cpus | None = None
    memory: ByteSize | None = None
    pids: int | None = None


class ResourceReservations(Model):
    cpus: Cpus | None = None
    memory: ByteSize | None = None
    generic_resources: list[dict[str, Any]] = Field(default_factory=list)
    devices: list[DeviceRequest] = Field(default_factory=list)


class Resources(Model):
    limits: ResourceLimits | None = None
    reservations: ResourceReservations | None = None


class RestartPolicy(Model):
    """Compose's ``deploy.restart_policy`` (Swarm's task restart policy)."""

    condition: Literal["none", "on-failure", "any"] = "any"
    delay: Duration | None = None
    max_attempts: Annotated[int, Field(ge=0)] | None = None
    window: Duration | None = None


class PlacementPreference(Model):
    spread: str


class Placement(Model):
    constraints: list[str] = Field(default_factory=list)
    preferences: list[PlacementPreference] = Field(default_factory=list)
    max_replicas_per_node: Annotated[int, Field(ge=0)] | None = None


class UpdateConfig(Model):
    """Compose's ``deploy.update_config`` and ``deploy.rollback_config`` (the same shape)."""

    parallelism: Annotated[int, Field(ge=0)] | None = None
    delay: Duration | None = None
    failure_action: Literal["continue", "rollback", "pause"] | None = None
    monitor: Duration | None = None
    max_failure_ratio: Annotated[float, Field(ge=0, le=1)] | None = None
    order: Literal["stop-first", "start-first"] | None = None


class Deploy(Model):
    mode: Annotated[Literal["replicated", "global"], _or_empty("replicated", "global")] = "replicated"
    replicas: Annotated[int, Field(ge=0)] | None = None
    resources: Resources | None = None
    restart_policy: RestartPolicy | None = None
    placement: Placement | None = None
    update_config: UpdateConfig | None = None
    rollback_config: UpdateConfig | None = None
    labels: Labels = Field(default_factory=dict)
    endpoint_mode: Annotated[Literal["vip", "dnsrr"] | None, _or_empty("vip", "dnsrr")] = None

    @model_validator(mode="after")
    def _check(self) -> "Deploy":
        if self.mode == "global" and self.replicas is not None:
            raise ValueError("deploy.replicas cannot be set with mode: global (one task per node)")
        return self


class EnvFile(ShortForm, Model):
    path: str
    required: bool = True
    # Compose's formats: the .env grammar (unset), or raw (``docker run --env-file``: values as written)
    format: Annotated[Literal["raw"] | None, _or_empty("raw")] = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"path": value} if isinstance(value, str) else value


def _env_files(value: Any) -> Any:
    return [value] if isinstance(value, str | dict) else value


_RESTART = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")


def _restart(value: Any) -> Any:
    if value is False:
        return "no"
    if isinstance(value, str) and not _RESTART.match(value):
        raise ValueError(f"invalid restart policy {quoted(value)}: use no, always, on-failure[:N] or unless-stopped")
    return value


# '' is accepted as Compose reads it (unset: "no"); spec/unset.py drops it before validation
Restart = Annotated[
    str,
    BeforeValidator(_restart),
    WithJsonSchema({"type": "string", "pattern": f"^$|{_RESTART.pattern}"}),
]


_PULL_POLICY = re.compile(r"^(always|never|missing|if_not_present|build|daily|weekly|every_[0-9a-z]+|refresh)$")


def _sysctls(value: Any) -> Any:
    out = key_value_list(value, "sysctl")
    if isinstance(out, dict):
        for key, val in out.items():
            if val is None:
                raise ValueError(f"sysctl {quoted(key)} needs a value: write '{key}=VALUE'")
    return out


class Service(ExtensibleModel):
    """A Compose-compatible service; see docs/spec.md for each field's meaning."""

    image: str | None = None
    build: Build | None = None
    command: Command | None = None
    entrypoint: Command | None = None
    environment: Environment = Field(default_factory=dict)
    env_file: Annotated[list[EnvFile], BeforeValidator(_env_files, json_schema_input_type=str | list[EnvFile])] = Field(
        default_factory=list
    )
    ports: list[Port] = Field(default_factory=list)
    expose: list[int | str] = Field(default_factory=list)
    volumes: list[VolumeMount] = Field(default_factory=list)
    volumes_from: list[str] = Field(default_factory=list)
    tmpfs: StrList = Field(default_factory=list)
    secrets: list[ServiceFile] = Field(default_factory=list)
    configs: list[ServiceFile] = Field(default_factory=list)
    healthcheck: Healthcheck | None = None
    depends_on: DependsOn = Field(default_factory=dict)
    mem_limit: ByteSize | None = None
    mem_reservation: ByteSize | None = None
    memswap_limit: SwapLimit | None = None
    mem_swappiness: Annotated[int, Field(ge=0, le=100)] | None = None
    oom_kill_disable: bool | None = None
    oom_score_adj: Annotated[int, Field(ge=-1000, le=1000)] | None = None
    cpus: Cpus | None = None
    cpu_shares: int | None = None
    cpu_period: int | None = None
    cpu_quota: int | None = None
    cpu_rt_period: int | str | None = None  # microseconds (Compose casts to an integer)
    cpu_rt_runtime: int | str | None = None
    cpu_count: int | None = None
    cpu_percent: Annotated[int, Field(ge=0, le=100)] | None = None
    cpuset: str | None = None
    pids_limit: int | None = None
    shm_size: ByteSize | None = None
    blkio_config: BlkioConfig | None = None
    ulimits: dict[str, Ulimit] = Field(default_factory=dict)
    deploy: Deploy | None = None
    scale: Annotated[int, Field(ge=0)] | None = None
    restart: Restart = "no"
    labels: Labels = Field(default_factory=dict)
    label_file: StrList = Field(default_factory=list)
    annotations: Labels = Field(default_factory=dict)
    networks: ServiceNetworks = Field(default_factory=dict)
    network_mode: str | None = None
    links: list[str] = Field(default_factory=list)
    external_links: list[str] = Field(default_factory=list)
    dns: StrList = Field(default_factory=list)
    dns_opt: list[str] = Field(default_factory=list)
    dns_search: StrList = Field(default_factory=list)
    domainname: str | None = None
    mac_address: str | None = None
    working_dir: str | None = None
    user: str | None = None
    group_add: list[str | int] = Field(default_factory=list)
    hostname: str | None = None
    container_name: str | None = None
    extra_hosts: ExtraHosts = Field(default_factory=dict)
    init: bool | None = None
    stop_signal: str | None = None
    stop_grace_period: Duration | None = None
    read_only: bool = False
    privileged: bool = False
    tty: bool = False
    stdin_open: bool = False
    cap_add: list[str] = Field(default_factory=list)
    cap_drop: list[str] = Field(default_factory=list)
    security_opt: list[str] = Field(default_factory=list)
    sysctls: Annotated[dict[str, str], BeforeValidator(_sysctls), WithJsonSchema(KV_SCHEMA)] = Field(
        default_factory=dict
    )
    devices: list[Device] = Field(default_factory=list)
    device_cgroup_rules: list[str] = Field(default_factory=list)
    gpus: list[DeviceRequest] | Literal["all"] | None = None
    logging: Logging | None = None
    platform: str | None = None
    pull_policy: str | None = None
    pull_refresh_after: str | None = None
    profiles: list[str] = Field(default_factory=list)
    pid: str | None = None
    ipc: str | None = None
    uts: str | None = None
    userns_mode: str | None = None
    cgroup: Literal["host", "private"] | None = None
    cgroup_parent: str | None = None
    isolation: str | None = None
    runtime: str | None = None
    storage_opt: TextMap = Field(default_factory=dict)
    credential_spec: dict[str, Any] | None = None
    post_start: list[dict[str, Any]] = Field(default_factory=list)
    pre_stop: list[dict[str, Any]] = Field(default_factory=list)
    models: dict[str, Any] | list[str] | None = None
    provider: dict[str, Any] | None = None
    use_api_socket: bool | None = None
    # Affect only Compose's own client (log attachment, `compose watch`), never the container.
    attach: bool = True
    develop: dict[str, Any] | None = None
    # validator's own fields
    startup_timeout: Duration = Field(60.0, description="Seconds from create to running before the wait fails.")
    health_timeout: Duration = Field(120.0, description="Seconds from running to healthy before the wait fails.")
    restart_grace: Duration | None = Field(
        None,
        description="With a restart policy: how long restarts or 'unhealthy' are tolerated before failing.",
    )

    @model_validator(mode="after")
    def _check(self) -> "Service":
        if not self.image and not self.build and not self.provider:
            raise ValueError("a service needs 'image' or 'build'")
        # Checks across fields (network_mode with networks, scale against deploy.replicas, container_name
        # with several replicas) are lint rules (validator/lint/compose_rules.py): an error here would
        # drop the whole service from the rest of lint's pass.
        return self

    @field_validator("pull_policy")
    @classmethod
    def _pull_policy(cls, value: str | None) -> str | None:
        if value is not None and not _PULL_POLICY.match(value):
            raise ValueError(
                f"invalid pull_policy {quoted(value)}: "
                "use always, never, missing, build, daily, weekly or every_<duration>"
            )
        return value

    @field_validator("expose")
    @classmethod
    def _expose(cls, value: list[int | str]) -> list[int | str]:
        for port in value:
            if not re.fullmatch(r"\d+(-\d+)?(/(tcp|udp|sctp))?", str(port)):
                raise ValueError(f"invalid expose entry {quoted(port)}: expected PORT[-PORT][/PROTOCOL]")
        return value

    @property
    def replicas(self) -> int:
        """Compose's container count: ``scale``, else ``deploy.replicas``, else 1."""
        if self.scale is not None:
            return self.scale
        return self.deploy.replicas if self.deploy and self.deploy.replicas is not None else 1

    @property
    def memory_limit(self) -> int | None:
        limits = self.deploy.resources.limits if self.deploy and self.deploy.resources else None
        return limits.memory if limits and limits.memory is not None else self.mem_limit

    @property
    def cpu_limit(self) -> float | None:
        limits = self.deploy.resources.limits if self.deploy and self.deploy.resources else None
        return limits.cpus if limits and limits.cpus is not None else self.cpus

    @property
    def pids(self) -> int | None:
        limits = self.deploy.resources.limits if self.deploy and self.deploy.resources else None
        return limits.pids if limits and limits.pids is not None else self.pids_limit

    @property
    def memory_reservation(self) -> int | None:
        res = self.deploy.resources.reservations if self.deploy and self.deploy.resources else None
        return res.memory if res and res.memory is not None else self.mem_reservation
