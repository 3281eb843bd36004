"""The one place probe kinds are registered: one typed entry per kind, that mypy checks (the runner
takes the kind's own spec model; ``shares`` reads it). A new kind is its spec model
(``validator.spec.probes``), its runtime module here, and one line below.

Runtime modules are imported with this registry (``check`` and ``lint`` read the declared metrics),
so they keep heavy imports (requests, the Docker SDK, pyspark, mysql-connector, deltalake) inside
``run``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from validator.core.metrics import Declared
from validator.probes import (
    alertmanager,
    cdc,
    command,
    container,
    delta,
    http,
    log,
    mysql,
    prometheus,
    spark,
    tcp,
)
from validator.probes.base import Outcome, ProbeContext
from validator.spec.probes import MODELS, ProbeSpec, kind_of
from validator.spec.probes.alertmanager import AlertmanagerSpec
from validator.spec.probes.cdc import CdcSpec
from validator.spec.probes.command import CommandSpec
from validator.spec.probes.container import ContainerSpec
from validator.spec.probes.delta import DeltaSpec
from validator.spec.probes.http import HttpSpec
from validator.spec.probes.log import LogSpec
from validator.spec.probes.mysql import MysqlSpec
from validator.spec.probes.prometheus import PrometheusSpec
from validator.spec.probes.spark import SparkSpec
from validator.spec.probes.spark_driver import spark_master
from validator.spec.probes.tcp import TcpSpec

S = TypeVar("S", bound=ProbeSpec)


@dataclass(frozen=True, kw_only=True)
class ProbeKind(Generic[S]):
    """A probe kind: its spec model, what runs one attempt of it, the metrics its outcomes carry
    besides ``duration`` and ``passed`` (``probe.<name>.<field>``, known to lint and the criteria),
    the resource its probes take turns on (probes whose ``shares`` give the same key run one at a
    time; None: none), and whether it runs inside a service's container through the engine (else on
    this host)."""

    spec: type[S]
    run: Callable[[S, ProbeContext], Outcome]
    metrics: tuple[Declared, ...] = ()
    shares: Callable[[S], str | None] | None = None
    in_container: bool = False

    @property
    def kind(self) -> str:
        return kind_of(self.spec)

    def shared_resource(self, spec: ProbeSpec) -> str | None:
        """The key of the resource ``spec`` (a probe of this kind) takes turns on, if any."""
        if self.shares is None or not isinstance(spec, self.spec):
            return None
        return self.shares(spec)


# one line a kind; a tuple (not a dict literal typed ProbeKind[Any]) so that mypy infers each
# entry's spec model and checks its runner and ``shares`` against it
_KINDS = (
    ProbeKind(spec=HttpSpec, run=http.run),
    ProbeKind(spec=TcpSpec, run=tcp.run),
    ProbeKind(spec=CommandSpec, run=command.run, in_container=True),
    ProbeKind(spec=ContainerSpec, run=container.run, metrics=container.METRICS, in_container=True),
    ProbeKind(spec=LogSpec, run=log.run, in_container=True),
    ProbeKind(spec=SparkSpec, run=spark.run, metrics=spark.METRICS, shares=spark_master),
    ProbeKind(spec=DeltaSpec, run=delta.run),
    ProbeKind(spec=AlertmanagerSpec, run=alertmanager.run),
    ProbeKind(spec=PrometheusSpec, run=prometheus.run),
    ProbeKind(spec=MysqlSpec, run=mysql.run),
    ProbeKind(spec=CdcSpec, run=cdc.run, metrics=cdc.METRICS, shares=spark_master),
)

PROBES: Mapping[str, ProbeKind[Any]] = {entry.kind: entry for entry in _KINDS}


def _same_kinds() -> None:
    """The spec's union and this registry name the same kinds (a model without a runtime would
    validate and then fail at check time; a runtime without a model could never be chosen)."""
    models = {kind_of(model) for model in MODELS}
    if models != set(PROBES):
        raise RuntimeError(f"probe kinds differ: spec models {sorted(models)}, registry {sorted(PROBES)}")


_same_kinds()
