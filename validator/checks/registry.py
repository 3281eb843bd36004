"""The one place check stages are registered. Static stages read only the spec and the host (they
run concurrently, before reconciling); each is a module with ``run(ctx) -> Iterable[Result]``.
Probe kinds are registered in ``validator.probes.registry``; reporters in ``validator.reporters``."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

from validator.core.result import Result
from validator.spec.load import LoadedSpec

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine

STATIC_STAGES: dict[str, str] = {
    "host": "validator.checks.preflight",
    "config": "validator.checks.configs",
    "python": "validator.checks.pydeps",
}


@dataclass
class CheckContext:
    loaded: LoadedSpec
    engine: Engine | None


class Stage(Protocol):
    @staticmethod
    def run(ctx: CheckContext) -> Iterable[Result]: ...


def stage(name: str) -> Stage:
    return cast(Stage, importlib.import_module(STATIC_STAGES[name]))
