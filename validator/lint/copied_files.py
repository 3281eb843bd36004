"""A secret or config copied into the container beneath a mount made at its start (a tmpfs, the
runtime's /dev, /proc, /sys, the engine's /etc/hosts): an error, as the container never sees it.

Plain containers (and docker compose without Swarm) copy such a file into the created container before
its start; the mount comes over it at the start, and nothing says so (validator.spec.copied says why no
read-back through the engine can tell). A Swarm service mounts its secrets and configs instead, so the
rule holds for plain containers only (``settings.orchestrator``; lint reads no command line).
"""

from __future__ import annotations

from collections.abc import Iterator

from validator.lint.context import LintContext
from validator.redact import quoted
from validator.spec.copied import hidden
from validator.spec.location import Finding


def check(ctx: LintContext) -> Iterator[Finding]:
    if ctx.spec.settings.orchestrator == "swarm":
        return
    for name, svc in ctx.spec.services.items():
        for item, cover in hidden(ctx.spec, svc):
            yield ctx.error(
                ("services", name, item.kind, item.index),
                f"{item.kind[:-1]} {quoted(item.source)} is copied to {item.path} before the start, and "
                f"{cover.what} is mounted over it at the start: the container never sees it (docker compose "
                f"hides it the same way); give it a target outside {cover.target}",
            )
