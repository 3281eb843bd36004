"""What every probe kind's runtime shares: the outcome record and the context a probe runs in (the
fields every kind shares are ``validator.spec.probes.base.ProbeSpec``)."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from validator.probes.seams import (
    ChildSparkJobs,
    Http,
    MySql,
    MysqlConnector,
    ProbeEngine,
    RequestsHttp,
    SocketTcp,
    SparkJobs,
    Tcp,
)

if TYPE_CHECKING:
    from validator.spec.model import Spec


@dataclass(kw_only=True)
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
    # the URL whose answer was judged when it is not the one the spec names (a redirect followed):
    # its peer is judged as the spec's is (checks/peer.py)
    answered_by: str = ""


@dataclass
class Findings:
    """What a probe of several steps saw (its actual) and found wrong (its message)."""

    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def outcome(self, expected: str) -> Outcome:
        return Outcome(
            passed=not self.problems, expected=expected, actual="; ".join(self.steps), message="; ".join(self.problems)
        )


class ProbeSkip(Exception):
    """The probe cannot run here (its target is absent); the message says why."""


@dataclass(kw_only=True)
class ProbeContext:
    """Everything a probe may use: what it observes, it reaches through ``http``, ``tcp``, ``mysql``,
    ``spark_jobs`` and ``engine`` (Docker, made on first use), which tests replace with fakes."""

    spec: "Spec"
    base_dir: Path
    deadline: float
    engine_factory: Callable[[], ProbeEngine] | None = None
    running: dict[str, str] = field(default_factory=dict)  # service -> container id
    http: Http = field(default_factory=RequestsHttp)
    tcp: Tcp = field(default_factory=SocketTcp)
    mysql: MySql = field(default_factory=MysqlConnector)
    spark_jobs: SparkJobs = field(default_factory=ChildSparkJobs)
    _engine: ProbeEngine | None = None

    def engine(self) -> ProbeEngine:
        if self._engine is None:
            if self.engine_factory is None:
                raise ProbeSkip("no Docker engine in this run")
            self._engine = self.engine_factory()
        return self._engine

    def host_address(self) -> str:
        """Where containers reach this host (servers a container must call back listen there): the
        bridge gateway (``host-gateway``), else loopback when no engine is known (then only
        processes on this host connect back), as ``engine.docker_api.host_address_for_containers``."""
        return (self.engine().bridge_gateway() if self.engine_factory else None) or "127.0.0.1"

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())
