"""Health checks that cannot work as written, or that make the health wait slower than it must be."""

from __future__ import annotations

from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.spec.location import Finding

ENGINE_DEFAULT_INTERVAL = 30.0
ENGINE_DEFAULT_TIMEOUT = 30.0


def check(ctx: LintContext) -> Iterator[Finding]:
    for name, service in ctx.spec.services.items():
        hc = service.healthcheck
        if hc is None or hc.disabled:
            continue
        path = ("services", name, "healthcheck")
        interval = hc.interval if hc.interval is not None else ENGINE_DEFAULT_INTERVAL
        timeout = hc.timeout if hc.timeout is not None else ENGINE_DEFAULT_TIMEOUT
        if hc.test is None:
            yield ctx.error(path, "healthcheck without 'test' (set test, or disable: true)")
        if timeout >= interval and (hc.timeout is not None or hc.interval is not None):
            yield ctx.error(
                (*path, "timeout"),
                f"healthcheck timeout ({timeout:g}s) must be shorter than its interval ({interval:g}s)",
            )
        if hc.interval is not None and hc.interval == 0:
            yield ctx.error((*path, "interval"), "healthcheck interval must be above 0")
        if hc.start_interval is not None and hc.start_period is None:
            yield ctx.warning(
                (*path, "start_interval"), "start_interval has effect only during start_period: set start_period too"
            )
        first_probe = hc.start_interval if hc.start_interval is not None and hc.start_period else interval
        if first_probe >= service.health_timeout:
            yield ctx.error(
                (*path, "interval"),
                f"the first health probe runs after {first_probe:g}s, at or beyond health_timeout "
                f"({service.health_timeout:g}s): the wait can never succeed",
            )
