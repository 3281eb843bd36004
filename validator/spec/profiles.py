"""Compose profiles: which services are active.

As in Compose, a service without ``profiles`` is always active; one with profiles is active when
one of them is enabled. Profiles are enabled by ``--profile`` (repeatable) or, without it, by
``COMPOSE_PROFILES`` (comma-separated, from the environment or the ``.env`` file); ``*`` enables
all. The CLI option writes ``COMPOSE_PROFILES`` so both reach the same place (and the suites that
``check`` runs see the same profiles).
"""

from __future__ import annotations

from collections.abc import Mapping

from validator.spec.service import Service

ENV = "COMPOSE_PROFILES"


def enabled(environment: Mapping[str, str]) -> frozenset[str]:
    return frozenset(p.strip() for p in environment.get(ENV, "").split(",") if p.strip())


def active(services: Mapping[str, Service], environment: Mapping[str, str]) -> dict[str, Service]:
    """The services that run under the enabled profiles, in the spec's order."""
    on = enabled(environment)
    return {
        name: svc
        for name, svc in services.items()
        if not svc.profiles or "*" in on or any(profile in on for profile in svc.profiles)
    }
