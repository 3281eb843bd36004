"""AlertManager's v1 API was deprecated in 0.16 and removed in 0.27: probes and health checks must use v2."""

from __future__ import annotations

import re
from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.lint.stack import alertmanager_versions
from validator.spec.location import Finding

_V1 = re.compile(r"/api/v1/(status|alerts|silences?|receivers|alerts/groups)\b")


def check(ctx: LintContext) -> Iterator[Finding]:
    versions = alertmanager_versions(ctx)
    if not versions:
        return
    ports = {b.fixed_host_port for name in versions for p in ctx.spec.services[name].ports for b in p.bindings()}
    for name, probe in ctx.spec.probes.items():
        url = getattr(probe, "url", None)
        if not url or not _V1.search(url):
            continue
        port = re.search(r":(\d+)/", url)
        target = (
            probe.service
            if probe.service in versions
            else next((s for s in versions if port and int(port.group(1)) in ports), None)
        )
        if target is None:
            continue
        yield _finding(ctx, ("probes", name, "url"), versions[target], target)
    for service, version in versions.items():
        hc = ctx.spec.services[service].healthcheck
        if hc and hc.test and any(_V1.search(part) for part in hc.test):
            yield _finding(ctx, ("services", service, "healthcheck", "test"), version, service)


def _finding(ctx: LintContext, path: tuple[str, ...], version: tuple[int, int, int], service: str) -> Finding:
    shown = ".".join(map(str, version))
    if version >= (0, 27, 0):
        return ctx.error(path, f"AlertManager {shown} ({service}) has no v1 API (removed in 0.27): use /api/v2/...")
    return ctx.warning(
        path, f"the v1 API of AlertManager {shown} ({service}) is deprecated and removed in 0.27: use /api/v2/..."
    )
