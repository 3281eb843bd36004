"""Two services (or two mappings) publishing the same host port on the same host IP."""

from __future__ import annotations

from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.redact import quoted
from validator.spec.location import Finding

_ANY = {None, "0.0.0.0", "::"}


def check(ctx: LintContext) -> Iterator[Finding]:
    seen: dict[tuple[int, str], list[tuple[str | None, str, int]]] = {}
    for name, service in ctx.spec.services.items():
        for index, port in enumerate(service.ports):
            for binding in port.bindings():
                host_port = binding.fixed_host_port
                if host_port is None:
                    continue
                key = (host_port, binding.protocol)
                for other_ip, other_service, _ in seen.get(key, []):
                    if binding.host_ip == other_ip or binding.host_ip in _ANY or other_ip in _ANY:
                        where = f"{binding.host_ip or '*'}:{host_port}/{binding.protocol}"
                        yield ctx.error(
                            ("services", name, "ports", index),
                            f"host port {where} is already published by service {quoted(other_service)}",
                        )
                        break
                seen.setdefault(key, []).append((binding.host_ip, name, index))
