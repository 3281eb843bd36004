"""``localhost`` in a file mounted into a container means the container itself. When that port is
not one the container serves, the author meant another host: warn, and say what to write."""

from __future__ import annotations

import re
from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.lint.stack import config_file_lines, mounted_into
from validator.redact import quoted
from validator.spec.location import Finding, Location

_URL = re.compile(r"\b(?:https?|tcp)://(localhost|127\.0\.0\.1)(?::(\d+))?")


def check(ctx: LintContext) -> Iterator[Finding]:
    published = {
        b.fixed_host_port: name
        for name, svc in ctx.spec.services.items()
        for p in svc.ports
        for b in p.bindings()
        if b.fixed_host_port
    }
    for name, config in ctx.spec.config_keys.items():
        services = mounted_into(ctx, ctx.base_dir / config.path)
        if not services:
            continue
        for service in services:
            own = {b.container_port for p in ctx.spec.services[service].ports for b in p.bindings()}
            for line_no, line in config_file_lines(ctx, name):
                for match in _URL.finditer(line):
                    port = int(match.group(2) or 80)
                    if port in own:
                        continue
                    other = published.get(port)
                    hint = (
                        f"write http://{other}:{port}"
                        if other and other != service
                        else "if it runs on the host, write host.docker.internal (with extra_hosts "
                        "host.docker.internal:host-gateway)"
                    )
                    yield Finding(
                        location=Location(config.path, line_no, match.start() + 1),
                        path=(),
                        message=f"{match.group(0)} inside service {quoted(service)} is that container itself, "
                        f"which does not serve port {port}: {hint}",
                        severity="warning",
                        rule=ctx.rule,
                        file=config.path,
                    )
        for key, assertion in config.keys.items():
            value = assertion.expected if isinstance(assertion.expected, str) else ""
            found = _URL.search(value)
            if found and int(found.group(2) or 80) not in {
                b.container_port for s in services for p in ctx.spec.services[s].ports for b in p.bindings()
            }:
                yield ctx.warning(
                    ("config_keys", name, "keys", key),
                    f"expects {found.group(0)}, which inside {quoted(services[0])} is the container itself",
                )
