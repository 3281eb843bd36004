"""``log``: a line matching a pattern appears in the service's log within a time."""

import re

from validator.probes.base import Outcome, ProbeContext, ProbeSkip
from validator.redact import clip
from validator.spec.probes.log import LogSpec


def run(spec: LogSpec, ctx: ProbeContext) -> Outcome:
    container = ctx.running.get(spec.service)
    if container is None:
        raise ProbeSkip(f"service {spec.service} is not running")
    pattern = re.compile(spec.pattern)
    line = ctx.engine().find_log_line(container, pattern, within=min(spec.within, ctx.remaining()))
    if line is None:
        return Outcome(
            passed=False, expected=f"a log line matching /{spec.pattern}/", actual=f"none within {spec.within:g}s"
        )
    return Outcome(passed=True, expected=f"a log line matching /{spec.pattern}/", actual=clip(line.strip(), 200))
