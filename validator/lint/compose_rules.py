"""What Compose refuses when it loads a project, located (Compose names no line, and stops at the first):

- ``network_mode`` together with ``networks``; ``scale`` and ``deploy.replicas`` that differ;
  ``container_name`` on a service that runs several containers. These are lint rules rather than
  model checks so that one of them never hides the rest of the service's findings (compose-go's own
  full example has ``network_mode`` with ``networks`` *and* ``depends_on`` services it never defines).
- ``links``, ``volumes_from``, ``network_mode``/``pid``/``ipc: service:NAME`` naming a service the
  spec does not define, or the service itself ("depends on undefined service", "dependency cycle").
- Two services with one ``container_name``.

(Missing env and label files: lint/compose_files.py.) Compose checks the services its enabled
profiles select; lint cannot know the profiles a run will enable, so a duplicate name that exists
only when a profile is enabled is a warning naming that profile.
"""

from __future__ import annotations

from collections.abc import Iterator

from validator.hints import did_you_mean
from validator.lint.context import LintContext
from validator.redact import quoted
from validator.spec.location import Finding
from validator.spec.references import service_refs
from validator.spec.service import Service


def check(ctx: LintContext) -> Iterator[Finding]:
    for name, svc in ctx.spec.services.items():
        yield from _fields(ctx, name, svc)
        yield from _references(ctx, name, svc)
    yield from _container_names(ctx)


def _fields(ctx: LintContext, name: str, svc: Service) -> Iterator[Finding]:
    at = ("services", name)
    if svc.network_mode is not None and svc.networks:
        yield ctx.error((*at, "network_mode"), "network_mode and networks cannot be used together (Compose refuses it)")
    replicas = svc.deploy.replicas if svc.deploy else None
    if svc.scale is not None and replicas is not None and svc.scale != replicas:
        yield ctx.error(
            (*at, "scale"), f"scale ({svc.scale}) and deploy.replicas ({replicas}) differ (Compose refuses it)"
        )
    if svc.container_name and svc.replicas > 1:
        # every replica is a container of its own, and a container name names one (Compose refuses it)
        field = "scale" if svc.scale is not None else "deploy.replicas"
        yield ctx.error(
            (*at, "container_name"),
            f"container_name cannot be set with {field} {svc.replicas}: a container name is unique",
        )


def _references(ctx: LintContext, name: str, svc: Service) -> Iterator[Finding]:
    services = ctx.spec.services
    for ref in service_refs(svc):
        path = ("services", name, *ref.where)
        if ref.service == name:
            yield ctx.error(path, f"{ref.field} names service {quoted(name)} itself (Compose: a dependency cycle)")
        elif ref.service not in services:
            hint = did_you_mean(ref.service, services)
            yield ctx.error(path, f"{ref.field} names unknown service {quoted(ref.service)}{hint}")


def _container_names(ctx: LintContext) -> Iterator[Finding]:
    first: dict[str, str] = {}
    for name, svc in ctx.spec.services.items():
        if not svc.container_name:
            continue
        other = first.setdefault(svc.container_name, name)
        if other == name:
            continue
        shared = _together(ctx.spec.services[other], svc)
        if shared is None:
            continue  # only two different profiles enabled at once bring both: too far-fetched to report
        message = (
            f"service {quoted(other)} has container_name {quoted(svc.container_name)} too: a container name is unique"
        )
        path = ("services", name, "container_name")
        if shared:
            yield ctx.warning(path, f"{message} (when profile {quoted(shared)} is enabled)")
        else:
            yield ctx.error(path, message)


def _together(one: Service, two: Service) -> str | None:
    """When both run: "" by default, else the one profile that enables both; None when none does."""
    if not one.profiles and not two.profiles:
        return ""
    if not one.profiles or not two.profiles:
        return (two.profiles or one.profiles)[0]
    common = [p for p in one.profiles if p in two.profiles]
    return common[0] if common else None
