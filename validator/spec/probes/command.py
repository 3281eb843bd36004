"""The ``command`` probe's fields: a command inside a service's container, its exit code and output."""

from typing import Literal

from pydantic import Field

from validator.spec.probes.base import ProbeSpec
from validator.spec.types import Command


class CommandSpec(ProbeSpec):
    kind: Literal["command"]
    service: str
    command: Command
    user: str | None = None
    exit_code: int = 0
    output_regex: str | None = Field(None, description="Regex searched in stdout+stderr.")
