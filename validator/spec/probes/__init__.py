"""The probe kinds' spec models, below the spec's model (``validator.spec.model`` builds its probe
union from ``MODELS``; the runtime of each kind, above, is ``validator.probes.<kind>``, registered in
``validator.probes.registry``, which a test holds to the same kinds).

A new kind: its model here (one module, one line in ``MODELS``), its runtime module and one line in
the probe registry."""

from typing import TYPE_CHECKING, Annotated, Union, get_args

from pydantic import Field

from validator.spec.probes.alertmanager import AlertmanagerSpec
from validator.spec.probes.base import ProbeSpec
from validator.spec.probes.cdc import CdcSpec
from validator.spec.probes.command import CommandSpec
from validator.spec.probes.container import ContainerSpec
from validator.spec.probes.delta import DeltaSpec
from validator.spec.probes.http import HttpSpec
from validator.spec.probes.log import LogSpec
from validator.spec.probes.mysql import MysqlSpec
from validator.spec.probes.prometheus import PrometheusSpec
from validator.spec.probes.spark import SparkSpec
from validator.spec.probes.tcp import TcpSpec

__all__ = ["MODELS", "Probe", "ProbeSpec", "kind_of"]

# in the order the schema lists them
MODELS: tuple[type[ProbeSpec], ...] = (
    HttpSpec,
    TcpSpec,
    CommandSpec,
    ContainerSpec,
    LogSpec,
    SparkSpec,
    DeltaSpec,
    AlertmanagerSpec,
    PrometheusSpec,
    MysqlSpec,
    CdcSpec,
)


def kind_of(model: type[ProbeSpec]) -> str:
    """The ``kind`` a model is chosen by (its ``Literal``'s one value)."""
    (kind,) = get_args(model.model_fields["kind"].annotation)
    return str(kind)


if TYPE_CHECKING:  # mypy sees the base: what every kind shares
    Probe = ProbeSpec
else:  # the discriminated union of every kind
    Probe = Annotated[Union[MODELS], Field(discriminator="kind")]  # noqa: UP007
