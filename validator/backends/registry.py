"""The orchestrators, registered in one place: a name, and how to load its backend.

Each backend is imported when chosen, never at load: ``lint`` never imports the Docker SDK, and
``plan`` and ``down`` of plain containers never load the applier (the Swarm backend imports it).
A new backend is one module meeting ``protocol.Backend`` plus one loader and one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from validator.errors import SpecError, UsageError
from validator.redact import quoted

if TYPE_CHECKING:
    from validator.backends.protocol import Backend
    from validator.spec.load import LoadedSpec


def _containers() -> Backend:
    from validator.backends.containers import ContainersBackend  # lazy: see the module's docstring

    return ContainersBackend()


def _swarm() -> Backend:
    from validator.backends.swarm import SwarmBackend  # lazy: see the module's docstring

    return SwarmBackend()


REGISTRY: dict[str, Callable[[], Backend]] = {
    "containers": _containers,
    "swarm": _swarm,
}
DEFAULT = "containers"  # settings.orchestrator's default (spec/model.py; tests/unit/test_backends.py pins both)


def get(name: str) -> Backend:
    """The backend registered as ``name`` (a usage error, exit 2, for a name not registered)."""
    load = REGISTRY.get(name)
    if load is None:
        raise UsageError(f"unknown orchestrator {quoted(name)}: use one of {', '.join(REGISTRY)}")
    return load()


def known(name: str | None) -> Backend | None:
    """The backend registered as ``name``, None for no name or an unknown one (the spec's
    validation says so, located)."""
    load = REGISTRY.get(name) if name is not None else None
    return load() if load is not None else None


def orchestrator_of(loaded: LoadedSpec, option: str | None) -> str:
    """The command line's ``--orchestrator``, else ``settings.orchestrator``."""
    return option or loaded.spec.settings.orchestrator


def backend(loaded: LoadedSpec, option: str | None, *, refuse: bool = True, warn: Callable[[str], None]) -> Backend:
    """The chosen backend, after refusing (exit 2, located) any field it cannot honour; each warning
    (a field it ignores) goes to ``warn`` (the commands pass their standard-error printer).

    ``down`` passes ``refuse=False``: removing what a spec made must work whatever it asks for."""
    chosen = get(orchestrator_of(loaded, option))
    found = chosen.refusals(loaded) if refuse else []
    refused = [f for f in found if f.severity == "error"]
    if refused:
        raise SpecError(refused)
    for warning in found:
        warn(str(warning))
    return chosen


def add_orchestrator_option(parser: Any) -> None:
    parser.add_argument(
        "--orchestrator",
        choices=tuple(REGISTRY),
        help="what runs the services: plain containers, or Swarm services of a stack named after the project "
        f"(default: settings.orchestrator, else {DEFAULT})",
    )
