"""``command``: run a command inside a service's container; expect an exit code and output."""

import re

from validator.probes.base import Outcome, ProbeContext, ProbeSkip
from validator.redact import quoted, tail
from validator.spec.probes.command import CommandSpec


def run(spec: CommandSpec, ctx: ProbeContext) -> Outcome:
    container = ctx.running.get(spec.service)
    if container is None:
        raise ProbeSkip(f"service {spec.service} is not running")
    code, output = ctx.engine().exec(
        container, spec.command, user=spec.user, timeout=min(spec.timeout, ctx.remaining())
    )
    if code != spec.exit_code:
        return Outcome(
            passed=False, expected=f"exit {spec.exit_code}", actual=f"exit {code}", message=tail(output.strip(), 300)
        )
    if spec.output_regex and not re.search(spec.output_regex, output):
        return Outcome(
            passed=False, expected=f"output matching /{spec.output_regex}/", actual=quoted(tail(output.strip(), 120))
        )
    return Outcome(
        passed=True, expected=f"exit {spec.exit_code}", actual=f"exit {code}", message=tail(output.strip(), 120)
    )
