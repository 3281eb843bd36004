"""The ``tcp`` probe's fields: a TCP connection from the host."""

from typing import Literal

from validator.spec.probes.base import ProbeSpec
from validator.spec.types import PortNumber


class TcpSpec(ProbeSpec):
    kind: Literal["tcp"]
    host: str = "127.0.0.1"
    port: PortNumber
