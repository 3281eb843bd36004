"""``command``: run a command inside a service's container; expect an exit code and output."""

import re
from typing import Literal

from pydantic import Field

from validator.probes.base import Outcome, ProbeContext, ProbeSkip, ProbeSpec
from validator.redact import quoted, tail
from validator.spec.types import Command


class Spec(ProbeSpec):
    kind: Literal["command"]
    service: str
    command: Command
    user: str | None = None
    exit_code: int = 0
    output_regex: str | None = Field(None, description="Regex searched in stdout+stderr.")


def run(spec: Spec, ctx: ProbeContext) -> Outcome:
    container = ctx.running.get(spec.service)
    if container is None:
        raise ProbeSkip(f"service {spec.service} is not running")
    code, output = ctx.engine().exec(
        container, spec.command, user=spec.user, timeout=min(spec.timeout, ctx.remaining())
    )
    if code != spec.exit_code:
        return Outcome(False, f"exit {spec.exit_code}", f"exit {code}", tail(output.strip(), 300))
    if spec.output_regex and not re.search(spec.output_regex, output):
        return Outcome(False, f"output matching /{spec.output_regex}/", quoted(tail(output.strip(), 120)))
    return Outcome(True, f"exit {spec.exit_code}", f"exit {code}", tail(output.strip(), 120))
