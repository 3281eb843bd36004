"""``delta``: write, append to and read back a Delta table with Change Data Feed enabled, read the
change feed, clean up — with ``deltalake`` (delta-rs), which needs no JAR."""

from typing import Literal

from pydantic import Field

from validator.probes.base import ProbeSpec


class Spec(ProbeSpec):
    kind: Literal["delta"]
    path: str = Field(description="The Delta tables folder; the probe writes test_<uuid> under it and removes it.")
    keep: bool = Field(False, description="Leave the table behind (for debugging).")
    timeout: float = 60.0
