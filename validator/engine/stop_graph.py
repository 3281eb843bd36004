"""The stop graph ``down`` and the recreate path of ``up`` walk (engine/stopper.py runs it): which
container stops after which, with what grace and which ``pre_stop`` hooks. A light module of its own:
``down`` builds it from the engine's labels without loading the spec's model (engine/teardown.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


class Stoppable(Protocol):
    """What the graph needs of a container (``observed.ObservedContainer`` is one)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def service(self) -> str | None: ...


@dataclass(frozen=True, kw_only=True)
class StopStep:
    """Stop one container (and remove it unless ``remove`` is off) once every container in ``after``
    is done: the graph ``down`` and the recreate path of ``up`` run in parallel along its edges."""

    container: str  # the container's ID
    name: str
    service: str | None
    timeout: float | None  # seconds of grace before SIGKILL; None: the container's own StopTimeout
    remove: bool = True
    after: tuple[str, ...] = ()  # IDs of the containers that must be gone first
    pre_stop: tuple[dict[str, Any], ...] = ()  # Compose's pre_stop hooks, run in it first (engine/hooks.py)


@dataclass(frozen=True)
class StopNeeds:
    """What stopping one service needs to know: the services it depends on, its grace (None: each
    container's own StopTimeout, as the engine keeps it), its pre_stop hooks."""

    depends_on: frozenset[str]
    timeout: float | None
    pre_stop: tuple[dict[str, Any], ...] = ()


def stop_plan(
    services: Mapping[str, StopNeeds], containers: Iterable[Stoppable], *, keep: frozenset[str] = frozenset()
) -> tuple[StopStep, ...]:
    """Steps stopping ``containers`` in reverse dependency order: a service's container stops only
    after the containers of every service that depends on it (among those being stopped) are gone,
    as Compose orders ``down``. Containers of services no longer in the spec come first: their
    ``depends_on`` is not recorded, so nothing proves they do not depend on a service still there.
    Containers whose IDs are in ``keep`` are stopped but not removed (a restart)."""
    chosen = list(containers)
    by_service: dict[str | None, list[str]] = {}
    for item in chosen:
        by_service.setdefault(item.service if item.service in services else None, []).append(item.id)
    orphans = tuple(sorted(by_service.get(None, [])))
    steps = []
    for item in sorted(chosen, key=lambda c: c.name):
        needs = services.get(item.service or "")
        if item.service is None or needs is None:  # an orphan: its own StopTimeout, no known dependents
            steps.append(StopStep(container=item.id, name=item.name, service=item.service, timeout=None))
            continue
        dependents = sorted(name for name, other in services.items() if item.service in other.depends_on)
        after = orphans + tuple(cid for name in dependents for cid in sorted(by_service.get(name, [])))
        steps.append(
            StopStep(
                container=item.id,
                name=item.name,
                service=item.service,
                timeout=needs.timeout,
                remove=item.id not in keep,
                after=after,
                pre_stop=needs.pre_stop,
            )
        )
    return tuple(steps)
