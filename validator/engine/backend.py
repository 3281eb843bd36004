"""The orchestrator layer: the one small interface every backend meets, and their registry.

A backend turns a loaded spec into running services on one engine: ``make_plan`` observes and
plans (a true dry run), ``up`` applies the plan and waits until every service is ready, ``down``
removes what the project owns, ``services`` judges what runs for ``check``. Plain containers
(``validator.engine.reconcile``) and Swarm services (``validator.swarm.reconcile``) are the two
today; a Kubernetes backend (docs/scale.md) would be one more module and one more line here.
The modules are imported lazily so that ``lint`` never imports the Docker SDK.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from validator.engine.support import refusals
from validator.errors import SpecError, UsageError
from validator.redact import quoted

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine
    from validator.spec.load import LoadedSpec

BACKENDS: dict[str, str] = {
    "containers": "validator.engine.reconcile",
    "swarm": "validator.swarm.reconcile",
}


class Backend(Protocol):
    def make_plan(
        self,
        loaded: LoadedSpec,
        engine: Engine,
        *,
        remove_orphans: bool = ...,
        force_recreate: bool = ...,
        build: bool = ...,
    ) -> Any: ...

    def up(
        self,
        loaded: LoadedSpec,
        engine: Engine,
        *,
        progress: Callable[[str, str], None],
        remove_orphans: bool = ...,
        force_recreate: bool = ...,
        build: bool = ...,
        timeout: float | None = ...,
        lock_wait: float = ...,
        say: Callable[[str], None] | None = ...,
        lock: bool = ...,
    ) -> Any: ...

    def down(
        self,
        loaded: LoadedSpec,
        engine: Engine,
        *,
        volumes: bool = ...,
        remove_orphans: bool = ...,
        progress: Callable[[str, str], None],
        lock_wait: float = ...,
        say: Callable[[str], None] | None = ...,
    ) -> Any: ...


def orchestrator_of(loaded: LoadedSpec, option: str | None) -> str:
    """The command line's ``--orchestrator``, else ``settings.orchestrator``."""
    name = option or loaded.spec.settings.orchestrator
    if name not in BACKENDS:
        raise UsageError(f"unknown orchestrator {quoted(name)}: use one of {', '.join(BACKENDS)}")
    return name


def backend(
    loaded: LoadedSpec, option: str | None, *, refuse: bool = True, warn: Callable[[str], None]
) -> tuple[str, Backend]:
    """The chosen backend, after refusing (exit 2, located) any field it cannot honour; each warning
    (a field it ignores) goes to ``warn`` (the commands pass their standard-error printer).

    ``down`` passes ``refuse=False``: removing what a spec made must work whatever it asks for."""
    name = orchestrator_of(loaded, option)
    found = refusals(loaded, name) if refuse else []
    refused = [f for f in found if f.severity == "error"]
    if refused:
        raise SpecError(refused)
    for warning in found:
        warn(str(warning))
    return name, cast(Backend, importlib.import_module(BACKENDS[name]))


def add_orchestrator_option(parser: Any) -> None:
    parser.add_argument(
        "--orchestrator",
        choices=tuple(BACKENDS),
        help="what runs the services: plain containers, or Swarm services of a stack named after the project "
        "(default: settings.orchestrator, else containers)",
    )
