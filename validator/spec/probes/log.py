"""The ``log`` probe's fields: a line matching a pattern in the service's log within a time."""

import re
from typing import Literal

from pydantic import Field, field_validator

from validator.redact import quoted
from validator.spec.probes.base import ProbeSpec
from validator.spec.types import Duration


class LogSpec(ProbeSpec):
    kind: Literal["log"]
    service: str
    pattern: str
    within: Duration = Field(30.0, description="How long to follow the log for the line.")

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regex {quoted(value)}: {exc}") from None
        return value
