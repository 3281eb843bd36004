"""``depends_on``: unknown services, self-dependencies, cycles, ``service_healthy`` on a service that cannot be healthy.

A dependency with ``required: false`` may name a service that is absent (Compose skips it). A
service whose spec has no ``test`` may still turn healthy from its image's HEALTHCHECK, so that is
a warning; only a disabled health check makes ``service_healthy`` impossible.
"""

from __future__ import annotations

from collections.abc import Iterator

from validator.hints import did_you_mean
from validator.lint.context import LintContext
from validator.redact import quoted
from validator.spec.location import Finding
from validator.spec.location import Path as DocPath
from validator.spec.references import service_refs


def check(ctx: LintContext) -> Iterator[Finding]:
    services = ctx.spec.services
    for name, service in services.items():
        for dep, condition in service.depends_on.items():
            path = ctx.member(("services", name, "depends_on"), dep)
            if dep == name:
                yield ctx.error(path, f"service {quoted(name)} depends on itself", key=True)
            elif dep not in services and condition.required:
                hint = did_you_mean(dep, services)
                yield ctx.error(path, f"depends_on names unknown service {quoted(dep)}{hint}", key=True)
            elif dep in services and condition.condition == "service_healthy":
                target = services[dep].healthcheck
                if target is not None and target.disabled:
                    yield ctx.error(
                        path, f"condition service_healthy, but service {quoted(dep)} disables its healthcheck", key=True
                    )
                elif target is None or not target.test:
                    yield ctx.warning(
                        path,
                        f"condition service_healthy, but service {quoted(dep)} has no healthcheck test here: "
                        "its image must define a HEALTHCHECK",
                        key=True,
                    )
    yield from _cycles(ctx)


def _edges(ctx: LintContext, name: str) -> dict[str, DocPath]:
    """The services ``name`` starts after, each with the place that says so: ``depends_on``, then the
    implicit dependencies Compose adds (links, volumes_from, network_mode/pid/ipc ``service:``)."""
    services = ctx.spec.services
    svc = services[name]
    edges = {d: ctx.member(("services", name, "depends_on"), d) for d in svc.depends_on if d in services}
    for ref in service_refs(svc):
        if ref.service in services and ref.service != name:
            edges.setdefault(ref.service, ("services", name, *ref.where))
    return edges


def _cycles(ctx: LintContext) -> Iterator[Finding]:
    services = ctx.spec.services
    edges = {name: _edges(ctx, name) for name in services}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    reported: set[frozenset[str]] = set()
    for start in services:
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, list(edges[start]))]
        trail = [start]
        state[start] = 1
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                trail.pop()
                state[node] = 2
                continue
            nxt = pending.pop()
            if nxt == node:
                continue
            if state.get(nxt) == 1:
                cycle = [*trail[trail.index(nxt) :], nxt]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    path = edges[node][nxt]
                    yield ctx.error(path, f"dependency cycle: {' -> '.join(cycle)}", key=path[-2] == "depends_on")
            elif not state.get(nxt):
                state[nxt] = 1
                trail.append(nxt)
                stack.append((nxt, list(edges[nxt])))
