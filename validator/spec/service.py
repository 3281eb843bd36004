"""Service blocks: Compose Specification field names and meaning, plus validator's own timeouts."""

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from validator.spec.ports import Port
from validator.spec.types import (
    ByteSize,
    Command,
    Cpus,
    Duration,
    ExtensibleModel,
    Model,
    ShortForm,
    key_value_list,
)

_KV_SCHEMA = {
    "anyOf": [
        {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
        {"type": "array", "items": {"type": "string"}},
    ]
}


def _environment(value: Any) -> Any:
    return key_value_list(value, "environment")


def _labels(value: Any) -> Any:
    out = key_value_list(value, "label")
    if isinstance(out, dict):
        return {k: "" if v is None else v for k, v in out.items()}
    return out


Environment = Annotated[dict[str, str | None], BeforeValidator(_environment), WithJsonSchema(_KV_SCHEMA)]
Labels = Annotated[dict[str, str], BeforeValidator(_labels), WithJsonSchema(_KV_SCHEMA)]


class Build(ShortForm, Model):
    context: str = "."
    dockerfile: str | None = None
    args: Environment = Field(default_factory=dict)
    target: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"context": value} if isinstance(value, str) else value


class Healthcheck(Model):
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
            raise ValueError(f"a healthcheck test list starts with CMD, CMD-SHELL or NONE, not {value[0]!r}")
        if value[0] != "NONE" and len(value) < 2:
            raise ValueError(f"healthcheck test {value[0]} needs a command after it")
        return value

    @property
    def disabled(self) -> bool:
        return self.disable or (self.test is not None and self.test[0] == "NONE")


Condition = Literal["service_started", "service_healthy", "service_completed_successfully"]


class Dependency(Model):
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
                raise ValueError(f"depends_on names {item!r} twice")
            out[item] = {}
        return out
    if isinstance(value, dict):
        return {k: {} if v is None else v for k, v in value.items()}
    return value


DependsOn = Annotated[
    dict[str, Dependency],
    BeforeValidator(_depends_on, json_schema_input_type=list[str] | dict[str, Dependency | None]),
]


class BindOptions(Model):
    create_host_path: bool = True
    selinux: Literal["z", "Z"] | None = None
    propagation: str | None = None


class VolumeOptions(Model):
    nocopy: bool = False


class TmpfsOptions(Model):
    size: ByteSize | None = None


class VolumeMount(ShortForm, Model):
    """One mount (the long syntax; the short ``SRC:DST[:MODE]`` is parsed into it)."""

    type: Literal["bind", "volume", "tmpfs"] = "volume"
    source: str | None = None
    target: str
    read_only: bool = False
    bind: BindOptions | None = None
    volume: VolumeOptions | None = None
    tmpfs: TmpfsOptions | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_syntax(cls, value: Any) -> Any:
        return parse_short_volume(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> "VolumeMount":
        if not self.target.startswith("/"):
            raise ValueError(f"mount target {self.target!r} must be an absolute path in the container")
        if self.type == "bind" and not self.source:
            raise ValueError("a bind mount needs a source path")
        return self

    @property
    def create_host_path(self) -> bool:
        return self.bind.create_host_path if self.bind else True


def is_host_path(source: str) -> bool:
    return source.startswith((".", "/", "~"))


def parse_short_volume(text: str) -> dict[str, Any]:
    parts = text.split(":")
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0]}
    if len(parts) > 3 or not parts[0] or not parts[1]:
        raise ValueError(f"invalid volume {text!r}: expected SOURCE:TARGET[:MODE]")
    source, target = parts[0], parts[1]
    out: dict[str, Any] = {"type": "bind" if is_host_path(source) else "volume", "source": source, "target": target}
    if len(parts) == 3:
        for mode in parts[2].split(","):
            if mode == "ro":
                out["read_only"] = True
            elif mode in ("z", "Z"):
                out["bind"] = {"selinux": mode}
            elif mode not in ("rw", "cached", "delegated", "consistent", "nocopy"):
                raise ValueError(f"invalid volume mode {mode!r} in {text!r}: use ro or rw")
    if out["type"] == "volume" and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", source):
        raise ValueError(f"invalid volume source {source!r}: a host path starts with '.', '/' or '~'")
    return out


class ServiceNetwork(Model):
    aliases: list[str] = Field(default_factory=list)
    ipv4_address: str | None = None


def _networks(value: Any) -> Any:
    if isinstance(value, list):
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
    mode: Literal["replicated", "global"] = "replicated"
    replicas: Annotated[int, Field(ge=0)] | None = None
    resources: Resources | None = None
    restart_policy: RestartPolicy | None = None
    placement: Placement | None = None
    update_config: UpdateConfig | None = None
    rollback_config: UpdateConfig | None = None
    labels: Labels = Field(default_factory=dict)
    endpoint_mode: Literal["vip", "dnsrr"] | None = None

    @model_validator(mode="after")
    def _check(self) -> "Deploy":
        if self.mode == "global" and self.replicas is not None:
            raise ValueError("deploy.replicas cannot be set with mode: global (one task per node)")
        return self


class FileObject(Model):
    """A top-level ``configs`` or ``secrets`` entry (Compose's shape): a file given to services."""

    file: str | None = None
    external: bool = False
    name: str | None = None

    @model_validator(mode="after")
    def _check(self) -> "FileObject":
        if not self.external and not self.file:
            raise ValueError("needs 'file' (a path beside the spec) or 'external: true'")
        if self.external and self.file:
            raise ValueError("an external config or secret has no 'file'")
        return self


def _file_mode(value: Any) -> Any:
    # YAML 1.2 (this loader, editors) reads 0440 as decimal 440 and YAML 1.1 as octal 288; an
    # octal string ("0440", "0o440") means the same everywhere, as does the number 0o440.
    if isinstance(value, str):
        digits = value.lower().removeprefix("0o")
        if not digits or any(c not in "01234567" for c in digits):
            raise ValueError(f"file mode {value!r} is not an octal number like '0440'")
        return int(digits, 8)
    return value


FileMode = Annotated[
    int,
    Field(ge=0, le=0o7777),
    BeforeValidator(_file_mode),
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^(0o)?[0-7]+$"}]}),
]


class FileRef(ShortForm, Model):
    """A service's ``configs`` or ``secrets`` item: the short ``NAME`` or the long form."""

    source: str
    target: str | None = None
    uid: str | None = None
    gid: str | None = None
    mode: FileMode | None = None

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"source": value} if isinstance(value, str) else value


class EnvFile(ShortForm, Model):
    path: str
    required: bool = True

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {"path": value} if isinstance(value, str) else value


def _extra_hosts_before(value: Any) -> Any:
    return _extra_hosts(value)


def _env_files(value: Any) -> Any:
    return [value] if isinstance(value, str | dict) else value


_RESTART = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")


def _restart(value: Any) -> Any:
    if value is False:
        return "no"
    if isinstance(value, str) and not _RESTART.match(value):
        raise ValueError(f"invalid restart policy {value!r}: use no, always, on-failure[:N] or unless-stopped")
    return value


Restart = Annotated[str, BeforeValidator(_restart), WithJsonSchema({"type": "string", "pattern": _RESTART.pattern})]


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
    volumes: list[VolumeMount] = Field(default_factory=list)
    tmpfs: list[str] = Field(default_factory=list)
    healthcheck: Healthcheck | None = None
    depends_on: DependsOn = Field(default_factory=dict)
    mem_limit: ByteSize | None = None
    mem_reservation: ByteSize | None = None
    memswap_limit: ByteSize | None = None
    cpus: Cpus | None = None
    cpu_shares: int | None = None
    pids_limit: int | None = None
    shm_size: ByteSize | None = None
    deploy: Deploy | None = None
    restart: Restart = "no"
    labels: Labels = Field(default_factory=dict)
    networks: ServiceNetworks = Field(default_factory=dict)
    working_dir: str | None = None
    user: str | None = None
    hostname: str | None = None
    container_name: str | None = None
    extra_hosts: Annotated[
        dict[str, str], BeforeValidator(_extra_hosts_before, json_schema_input_type=list[str] | dict[str, str])
    ] = Field(default_factory=dict)
    init: bool | None = None
    stop_signal: str | None = None
    stop_grace_period: Duration | None = None
    read_only: bool = False
    privileged: bool = False
    tty: bool = False
    stdin_open: bool = False
    cap_add: list[str] = Field(default_factory=list)
    cap_drop: list[str] = Field(default_factory=list)
    configs: list[FileRef] = Field(default_factory=list)
    secrets: list[FileRef] = Field(default_factory=list)
    # validator's own fields
    startup_timeout: Duration = Field(60.0, description="Seconds from create to running before the wait fails.")
    health_timeout: Duration = Field(120.0, description="Seconds from running to healthy before the wait fails.")
    restart_grace: Duration | None = Field(
        None,
        description="With a restart policy: how long restarts or 'unhealthy' are tolerated before failing.",
    )

    @model_validator(mode="after")
    def _check(self) -> "Service":
        if not self.image and not self.build:
            raise ValueError("a service needs 'image' or 'build'")
        return self

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


def _extra_hosts(value: Any) -> Any:
    if isinstance(value, list):
        out: dict[str, str] = {}
        for item in value:
            if not isinstance(item, str) or not re.match(r"^[^:=\s]+[:=].+$", item):
                raise ValueError(f"invalid extra_hosts entry {item!r}: expected 'HOST:IP' or 'HOST=IP'")
            sep = "=" if "=" in item else ":"
            host, _, addr = item.partition(sep)
            out[host] = addr
        return out
    return value


class VolumeSpec(Model):
    driver: str | None = None
    driver_opts: dict[str, str] = Field(default_factory=dict)
    labels: Labels = Field(default_factory=dict)
    external: bool = False
    name: str | None = None


class NetworkSpec(Model):
    driver: str | None = None
    driver_opts: dict[str, str] = Field(default_factory=dict)
    labels: Labels = Field(default_factory=dict)
    external: bool = False
    internal: bool = False
    enable_ipv6: bool = False
    name: str | None = None
