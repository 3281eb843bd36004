"""What every orchestrator offers ``check``, ``plan``, ``up`` and ``down``, as typed records.

A backend turns a loaded spec into running services on one engine: ``make_plan`` observes and plans
(a true dry run), ``up`` applies the plan and waits until every service is ready, ``down`` removes
what the project owns, ``services`` is ``check``'s service stage (reconcile, plan or only look, then
one result per service). The plan and up records of each backend differ in their detail (containers,
Swarm services): these protocols name what the commands and ``check`` read of them, and mypy checks
every backend against them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from validator.core.result import Result
    from validator.core.run import ServiceTimeline
    from validator.engine.ahead import LookAhead
    from validator.engine.apply import ServiceResult
    from validator.engine.docker_api import Engine
    from validator.engine.teardown import DownResult
    from validator.spec.load import LoadedSpec
    from validator.spec.location import Finding

Mode = Literal["up", "no-up", "plan"]
Progress = Callable[[str, str], None]


class PlannedAction(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def reasons(self) -> tuple[str, ...]: ...
    @property
    def service(self) -> str | None: ...


class PlanView(Protocol):
    """A plan as the commands print it and ``check`` judges it (drift)."""

    @property
    def actions(self) -> Sequence[PlannedAction]: ...
    @property
    def conflicts(self) -> tuple[str, ...]: ...
    @property
    def notes(self) -> tuple[str, ...]: ...
    @property
    def order(self) -> tuple[str, ...]: ...
    @property
    def unchanged(self) -> tuple[str, ...]: ...
    @property
    def unverified(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def orphans_running(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def strangers_running(self) -> tuple[tuple[str, str, str], ...]: ...
    @property
    def empty(self) -> bool: ...


class Planned(Protocol):
    @property
    def plan(self) -> PlanView: ...


class UpOutcome(Protocol):
    """What ``up`` did: the plan it applied and each service's outcome."""

    @property
    def plan(self) -> PlanView: ...
    @property
    def services(self) -> Mapping[str, ServiceResult]: ...
    @property
    def duration(self) -> float: ...
    @property
    def ok(self) -> bool: ...


@dataclass(kw_only=True)
class ServiceStage:
    """``check``'s service stage: one result per service (and the drift results), the running container
    of each service on this engine (probes exec in it, read its logs), and when each service started."""

    results: list[Result] = field(default_factory=list)
    running: dict[str, str] = field(default_factory=dict)
    timeline: list[ServiceTimeline] = field(default_factory=list)
    # (service, container) -> how the files up copied into it differ now (engine/copies.py), read again
    # at check's last observation; None: nothing copied, or a backend that copies nothing
    copies_now: Callable[[str, str], list[str]] | None = None


class Backend(Protocol):
    @property
    def name(self) -> str: ...  # its key in the registry, and the name --orchestrator takes

    @property
    def unit(self) -> str: ...  # what it runs, for messages: "container", "service"

    @property
    def unfollowed(self) -> str: ...  # why the run watcher and the usage sampler cannot follow it ("": they can)

    @property
    def down_by_name(self) -> bool: ...  # down works from the project's name alone (down -p, no full load)

    @property
    def refuses_compose_fields(self) -> bool: ...  # refuses Compose fields plain containers do not apply yet

    def connect(self, host: str | None) -> Engine: ...

    def refusals(self, loaded: LoadedSpec) -> list[Finding]:
        """One located finding per field it cannot honour (an error) or ignores (a warning)."""
        ...

    def make_plan(
        self,
        loaded: LoadedSpec,
        engine: Engine,
        *,
        remove_orphans: bool = ...,
        force_recreate: bool = ...,
        build: bool = ...,
    ) -> Planned: ...

    def up(
        self,
        loaded: LoadedSpec,
        engine: Engine,
        *,
        progress: Progress,
        remove_orphans: bool = ...,
        force_recreate: bool = ...,
        build: bool = ...,
        timeout: float | None = ...,
        lock_wait: float = ...,
        say: Callable[[str], None] | None = ...,
        lock: bool = ...,
        on_done: Callable[[ServiceResult], None] | None = ...,
        ahead: LookAhead | None = ...,
    ) -> UpOutcome: ...

    def down(
        self,
        loaded: LoadedSpec,
        engine: Engine,
        *,
        volumes: bool = ...,
        remove_orphans: bool = ...,
        progress: Progress,
        lock_wait: float = ...,
        say: Callable[[str], None] | None = ...,
    ) -> DownResult: ...

    def services(
        self,
        loaded: LoadedSpec,
        engine: Engine,
        *,
        mode: Mode,
        remove_orphans: bool,
        build: bool,
        timeout: float | None,
        say: Progress,
        stage: Callable[[str], None],
        on_done: Callable[[ServiceResult], None] | None,
    ) -> ServiceStage:
        """``check``'s service stage for ``mode`` up, no-up or plan."""
        ...
