"""Memory limits that together exceed what ``host.memory`` promises."""

from __future__ import annotations

from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.spec.location import Finding
from validator.units import format_size


def check(ctx: LintContext) -> Iterator[Finding]:
    host = ctx.spec.host.memory
    limited = {name: s.memory_limit for name, s in ctx.spec.services.items() if s.memory_limit}
    for name, service in ctx.spec.services.items():
        reservation, limit = service.memory_reservation, service.memory_limit
        if reservation and limit and reservation > limit:
            yield ctx.error(
                ("services", name, "mem_reservation"),
                f"mem_reservation {format_size(reservation)} is above the limit {format_size(limit)}",
            )
    if host is None or not limited:
        return
    total = sum(v for v in limited.values() if v)
    if total > host:
        parts = ", ".join(f"{n} {format_size(v)}" for n, v in limited.items() if v)
        yield ctx.error(
            ("host", "memory"),
            f"services' memory limits sum to {format_size(total)} ({parts}), above host.memory {format_size(host)}",
        )
