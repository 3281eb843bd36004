"""The ``container`` probe's fields: running (and healthy), bounded restarts, the limits Docker enforces."""

from typing import Literal

from pydantic import Field

from validator.spec.probes.base import ProbeSpec


class ContainerSpec(ProbeSpec):
    kind: Literal["container"]
    service: str
    healthy: bool | None = Field(None, description="Default: true when the service has a healthcheck.")
    max_restarts: int | None = Field(0, description="Restart count must not exceed this (null: any).")
    limits: bool = Field(True, description="Memory, CPU and pids limits as the spec sets them.")
