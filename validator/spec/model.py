"""The spec, version 1: one model for all of ``infra.yaml``.

The probe union is derived from ``validator.probes.registry``: a new probe kind needs no change here.
"""

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field, WithJsonSchema

from validator.probes.base import ProbeSpec
from validator.probes.registry import PROBES, probe_module
from validator.spec.criteria import Criterion
from validator.spec.files import ConfigFile
from validator.spec.host import Host
from validator.spec.pydeps import Python
from validator.spec.service import FileObject, NetworkSpec, Service, VolumeSpec
from validator.spec.suites import Suite
from validator.spec.types import Duration, ExtensibleModel, Model, Name, ProjectName

SUPPORTED_VERSIONS = (1,)


def _version(value: Any) -> Any:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if value not in SUPPORTED_VERSIONS or isinstance(value, bool):
        raise ValueError(f"unknown spec version {value!r}: this validator reads version 1")
    return value


def _optional_mapping(value: Any) -> Any:
    return {k: {} if v is None else v for k, v in value.items()} if isinstance(value, dict) else value


if TYPE_CHECKING:
    Probe = ProbeSpec
else:
    _probe_specs = tuple(probe_module(kind).Spec for kind in PROBES)
    Probe = Annotated[Union[_probe_specs], Field(discriminator="kind")]  # noqa: UP007


class Settings(Model):
    history: str = Field(".validator/history.db", description="SQLite history of every check run.")
    reports: list[str] = Field(
        default_factory=list, description="Default --report values, e.g. 'json=reports/result.json'."
    )
    parallel: int = Field(4, ge=1, le=64, description="Concurrent checks.")
    up_timeout: Duration = Field(600.0, description="Overall bound on reconciling (up).")
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


class Spec(ExtensibleModel):
    """Top level of infra.yaml."""

    version: Annotated[Literal[1], BeforeValidator(_version), WithJsonSchema({"enum": [1, "1"]})]
    project: ProjectName = Field(
        description="Labels everything the engine owns; containers are named <project>-<service>."
    )
    host: Host = Field(default_factory=Host)
    services: dict[Name, Service] = Field(default_factory=dict)
    volumes: Annotated[
        dict[Name, VolumeSpec], BeforeValidator(_optional_mapping, json_schema_input_type=dict[str, VolumeSpec | None])
    ] = Field(default_factory=dict)
    networks: Annotated[
        dict[Name, NetworkSpec],
        BeforeValidator(_optional_mapping, json_schema_input_type=dict[str, NetworkSpec | None]),
    ] = Field(default_factory=dict)
    configs: dict[Name, FileObject] = Field(
        default_factory=dict, description="Files given to services (Compose's top-level configs)."
    )
    secrets: dict[Name, FileObject] = Field(
        default_factory=dict,
        description="Secret files given to services (Compose's top-level secrets); their content is never shown.",
    )
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
