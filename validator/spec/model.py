"""The spec, version 1: one model for all of ``infra.yaml``.

The probe union is derived from ``validator.spec.probes.MODELS``: a new probe kind needs no change here.
"""

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from validator.redact import quoted
from validator.spec.criteria import Criterion
from validator.spec.files import ConfigFile
from validator.spec.host import Host
from validator.spec.probes import Probe
from validator.spec.pydeps import Python
from validator.spec.resources import ConfigSpec, NetworkSpec, SecretSpec, VolumeSpec
from validator.spec.service import Service
from validator.spec.suites import Suite
from validator.spec.types import Duration, ExtensibleModel, Model, Name, ProjectName

SUPPORTED_VERSIONS = (1,)


def _version(value: Any) -> Any:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if value not in SUPPORTED_VERSIONS or isinstance(value, bool):
        raise ValueError(
            f"unknown spec version {quoted(value)}: "
            "this validator reads version 1 (Compose's obsolete version is a string)"
        )
    return value


def _file_schema(schema: dict[str, Any]) -> None:
    """In a file, ``project`` may be left out: the loader names the project as Compose does."""
    schema["patternProperties"] = {"^x-": {}}
    schema["required"] = [key for key in schema.get("required", []) if key != "project"]
    if not schema["required"]:
        del schema["required"]


def _optional_mapping(value: Any) -> Any:
    return {k: {} if v is None else v for k, v in value.items()} if isinstance(value, dict) else value


class Settings(Model):
    history: str = Field(".validator/history.db", description="SQLite history of every check run.")
    reports: list[str] = Field(
        default_factory=list, description="Default --report values, e.g. 'json=reports/result.json'."
    )
    parallel: int = Field(4, ge=1, le=64, description="Concurrent checks.")
    up_timeout: Duration = Field(600.0, description="Overall bound on reconciling (up).")
    ready_by_exec: bool = Field(
        True,
        description="Services waited on with service_healthy count ready once their own health test passes when "
        "validator runs it by exec right after start; their healthy time stays the engine's health status.",
    )
    secrets: list[str] = Field(
        default_factory=list,
        description="Names of variables or keys whose values are secret (besides any ${VAR} in an environment and any "
        "key named like password/secret/token): never printed, reported or stored.",
    )
    orchestrator: Literal["containers", "swarm"] = Field(
        "containers",
        description="What runs the services: plain containers on one engine, or Swarm services of a stack named "
        "after the project (--orchestrator wins).",
    )
    targets: list[str] = Field(
        default_factory=list,
        description="Docker engines check runs against concurrently (unix://, tcp://, ssh://); --host wins.",
    )
    sample_usage: bool = Field(
        True,
        description="Sample each service's memory and CPU through the engine's stats from up to the verdict "
        "(service.NAME.memory_peak, memory_peak_ratio, cpu_peak, oom_kills); false: those are unavailable.",
    )


class IncludeEntry(Model):
    """The long form of an ``include`` entry, as Compose defines it."""

    path: str | list[str] = Field(description="A compose file, or a list of a file and its overrides.")
    project_directory: str | None = Field(None, description="Base of the included file's relative paths.")
    env_file: str | list[str] | None = Field(None, description="Variables for the included file (default: .env).")


class Spec(ExtensibleModel):
    """Top level of infra.yaml, or of a compose file: every key Compose defines keeps Compose's meaning."""

    model_config = ConfigDict(extra="forbid", defer_build=True, json_schema_extra=_file_schema)

    version: Annotated[
        Literal[1] | None,
        BeforeValidator(_version),
        WithJsonSchema(
            {
                "anyOf": [
                    {"enum": [1, "1"], "description": "This spec's version."},
                    {"type": "string", "description": "Compose's obsolete version: ignored, with a warning."},
                ]
            }
        ),
    ] = None
    project: ProjectName = Field(
        description="Labels everything the engine owns; containers are named <project>-<service>. When left "
        "out: COMPOSE_PROJECT_NAME, then name, then the spec folder's name (validator/spec/project.py)."
    )
    name: str | None = Field(None, description="Compose's project name (normalised as Compose does).")
    # Compose's top-level include: resolved by the loader (validator/spec/include.py) before validation,
    # so this field only describes it (JSON Schema for editors).
    include: list[str | IncludeEntry] | None = Field(None, description="Compose files whose resources join this spec.")
    host: Host = Field(default_factory=Host)
    services: dict[Name, Service] = Field(default_factory=dict)
    # Compose's top-level secrets and configs (files given to services) belong here, beside volumes and
    # networks, with the service model (issue 13b).
    volumes: Annotated[
        dict[Name, VolumeSpec], BeforeValidator(_optional_mapping, json_schema_input_type=dict[str, VolumeSpec | None])
    ] = Field(default_factory=dict)
    networks: Annotated[
        dict[Name, NetworkSpec],
        BeforeValidator(_optional_mapping, json_schema_input_type=dict[str, NetworkSpec | None]),
    ] = Field(default_factory=dict)
    secrets: Annotated[
        dict[Name, SecretSpec], BeforeValidator(_optional_mapping, json_schema_input_type=dict[str, SecretSpec | None])
    ] = Field(default_factory=dict)
    configs: Annotated[
        dict[Name, ConfigSpec], BeforeValidator(_optional_mapping, json_schema_input_type=dict[str, ConfigSpec | None])
    ] = Field(default_factory=dict)
    # Compose's AI models (Docker Model Runner): accepted as Compose defines them, refused by plan and up
    models: Annotated[
        dict[Name, dict[str, Any]],
        BeforeValidator(_optional_mapping, json_schema_input_type=dict[str, dict[str, Any] | None]),
    ] = Field(default_factory=dict)
    config_keys: dict[Name, ConfigFile] = Field(
        default_factory=dict,
        description="Keys that configuration files must hold (named config_keys because top-level `configs` is "
        "Compose's: files given to services).",
    )
    python: Python | None = None
    probes: dict[Name, Probe] = Field(default_factory=dict)
    suites: dict[Name, Suite] = Field(default_factory=dict)
    criteria: dict[Name, Criterion] = Field(default_factory=dict)
    settings: Settings = Field(default_factory=Settings)
