"""What every probe kind shares: the spec fields, the outcome record and the context a probe runs in."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import Field, model_validator

from validator.spec.types import Duration, Model

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine
    from validator.spec.model import Spec


class ProbeSpec(Model):
    """Fields every probe has; each kind adds its own and a ``kind: Literal[...]``."""

    description: str | None = None
    service: str | None = Field(
        None, description="The service it needs: when that service is not running, the probe is skipped."
    )
    timeout: Duration = Field(10.0, description="The whole probe, retries included, is cut here.")
    retries: int = Field(0, ge=0, description="Further attempts after a failure.")
    retry_interval: Duration = Field(1.0, description="Pause before the first retry; doubles each time.")
    expect: Literal["pass", "fail"] = Field(
        "pass", description="'fail': a known failure (shown as xfail); passing is then an error."
    )
    reason: str | None = Field(None, description="Why a probe is expected to fail (required with expect: fail).")

    @model_validator(mode="after")
    def _reason(self) -> "ProbeSpec":
        if self.expect == "fail" and not self.reason:
            raise ValueError("expect: fail needs a 'reason' saying why the failure is expected")
        return self


@dataclass
class Outcome:
    """What one attempt of a probe observed."""

    passed: bool
    expected: str = ""
    actual: str = ""
    message: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    # whether it got an answer from its target at all (a refused or dropped connection is no answer):
    # an expected failure must be one observed (checks/probes.py)
    reached: bool = True


class ProbeSkip(Exception):
    """The probe cannot run here (its target is absent); the message says why."""


@dataclass
class ProbeContext:
    """Everything a probe may use; Docker is reached only through ``engine``."""

    spec: "Spec"
    base_dir: Path
    deadline: float
    engine_factory: "Callable[[], Engine] | None" = None
    running: dict[str, str] = field(default_factory=dict)  # service -> container id
    _engine: "Engine | None" = None

    def engine(self) -> "Engine":
        if self._engine is None:
            if self.engine_factory is None:
                raise ProbeSkip("no Docker engine in this run")
            self._engine = self.engine_factory()
        return self._engine

    def host_address(self) -> str:
        """Where containers reach this host (servers a container must call back listen there)."""
        from validator.engine.docker_api import host_address_for_containers

        return host_address_for_containers(self.engine() if self.engine_factory else None)

    def remaining(self) -> float:
        import time

        return max(0.0, self.deadline - time.monotonic())


class ProbeModule(Protocol):
    Spec: type[ProbeSpec]

    @staticmethod
    def run(spec: Any, ctx: ProbeContext) -> Outcome: ...
