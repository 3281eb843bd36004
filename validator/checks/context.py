"""What a static check stage is given, and what it must offer (``run``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from validator.core.result import Result
from validator.spec.load import LoadedSpec

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine


@dataclass(frozen=True, kw_only=True)
class CheckContext:
    loaded: LoadedSpec
    engine: Engine | None
    # where the engine is (``--host``, ``DOCKER_HOST`` or the default socket), connected or not: a
    # stage measuring "the host" must know whether this machine is that host
    engine_at: str


class Stage(Protocol):
    def run(self, ctx: CheckContext) -> Iterable[Result]: ...
