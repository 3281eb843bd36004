"""``log``: a line matching a pattern appears in the service's log within a time."""

import re
from typing import Literal

from pydantic import Field, field_validator

from validator.probes.base import Outcome, ProbeContext, ProbeSkip, ProbeSpec
from validator.redact import clip, quoted
from validator.spec.types import Duration


class Spec(ProbeSpec):
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


def run(spec: Spec, ctx: ProbeContext) -> Outcome:
    container = ctx.running.get(spec.service)
    if container is None:
        raise ProbeSkip(f"service {spec.service} is not running")
    pattern = re.compile(spec.pattern)
    line = ctx.engine().find_log_line(container, pattern, within=min(spec.within, ctx.remaining()))
    if line is None:
        return Outcome(False, f"a log line matching /{spec.pattern}/", f"none within {spec.within:g}s")
    return Outcome(True, f"a log line matching /{spec.pattern}/", clip(line.strip(), 200))
