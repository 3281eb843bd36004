"""The ``delta`` probe's fields: a Delta table written, read and its change feed read with delta-rs."""

from typing import Literal

from pydantic import Field

from validator.spec.probes.base import ProbeSpec


class DeltaSpec(ProbeSpec):
    default_timeout = 60.0

    kind: Literal["delta"]
    path: str = Field(description="The Delta tables folder; the probe writes test_<uuid> under it and removes it.")
    keep: bool = Field(False, description="Leave the table behind (for debugging).")
