"""Health checks that can never let the health wait succeed as written.

Docker imposes no order between ``timeout`` and ``interval`` (a probe that outlives its interval
simply delays the next one), and a healthcheck without ``test`` keeps the image's own check, as
Compose does: neither is a finding. What remains is what makes a wait impossible.
"""

from __future__ import annotations

from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.spec.location import Finding

# Docker's default when interval is not set, or set to 0 (the engine reads 0 as "use the default").
ENGINE_DEFAULT_INTERVAL = 30.0


def check(ctx: LintContext) -> Iterator[Finding]:
    for name, service in ctx.spec.services.items():
        hc = service.healthcheck
        if hc is None or hc.disabled:
            continue
        path = ("services", name, "healthcheck")
        interval = hc.interval or ENGINE_DEFAULT_INTERVAL
        if hc.start_interval is not None and hc.start_period is None:
            yield ctx.warning(
                (*path, "start_interval"), "start_interval has effect only during start_period: set start_period too"
            )
        first_probe = hc.start_interval if hc.start_interval and hc.start_period else interval
        if first_probe >= service.health_timeout:
            yield ctx.error(
                (*path, "interval"),
                f"the first health probe runs after {first_probe:g}s, at or beyond health_timeout "
                f"({service.health_timeout:g}s): the wait can never succeed",
            )
