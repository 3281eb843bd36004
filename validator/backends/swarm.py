"""Swarm services of a stack named after the project, on a Swarm manager (validator.swarm).

Loaded only when chosen (registry.py): the Swarm reconciler records its outcomes in the applier's
``ServiceResult``, so importing it loads the applier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from validator.backends.drift import drift_results
from validator.backends.protocol import Mode, Progress, ServiceStage
from validator.checks.services import not_reconciled
from validator.core.result import Result
from validator.engine.ahead import LookAhead
from validator.engine.apply import ServiceResult
from validator.engine.docker_api import Engine
from validator.engine.teardown import DownResult
from validator.errors import EngineError
from validator.spec.load import LoadedSpec
from validator.spec.location import Finding
from validator.swarm import reconcile as R
from validator.swarm.support import swarm_refusals


@dataclass(frozen=True, kw_only=True)
class SwarmBackend:
    name: str = "swarm"
    unit: str = "service"
    unfollowed: str = "the sampler follows plain containers only, not Swarm tasks"
    down_by_name: bool = False  # a stack's services, networks, configs and secrets: down reads the spec
    refuses_compose_fields: bool = False  # its own refusals (swarm/support.py) say what Swarm cannot honour

    def connect(self, host: str | None) -> Engine:
        return Engine.connect(host)

    def refusals(self, loaded: LoadedSpec) -> list[Finding]:
        return swarm_refusals(loaded)

    def make_plan(
        self,
        loaded: LoadedSpec,
        engine: Engine,
        *,
        remove_orphans: bool = False,
        force_recreate: bool = False,
        build: bool = False,
    ) -> R.Planned:
        return R.make_plan(loaded, engine, remove_orphans=remove_orphans, force_recreate=force_recreate, build=build)

    def up(
        self,
        loaded: LoadedSpec,
        engine: Engine,
        *,
        progress: Progress,
        remove_orphans: bool = False,
        force_recreate: bool = False,
        build: bool = False,
        timeout: float | None = None,
        lock_wait: float = 600.0,
        say: Callable[[str], None] | None = None,
        lock: bool = True,
        on_done: Callable[[ServiceResult], None] | None = None,  # Swarm reports every service at the end
        ahead: LookAhead | None = None,  # containers inspected ahead: a swarm's services are its tasks, unused
    ) -> R.SwarmUpResult:
        return R.up(
            loaded,
            engine,
            progress=progress,
            remove_orphans=remove_orphans,
            force_recreate=force_recreate,
            build=build,
            timeout=timeout,
            lock_wait=lock_wait,
            say=say,
            lock=lock,
        )

    def down(
        self,
        loaded: LoadedSpec,
        engine: Engine,
        *,
        volumes: bool = False,
        remove_orphans: bool = False,
        progress: Progress,
        lock_wait: float = 600.0,
        say: Callable[[str], None] | None = None,
    ) -> DownResult:
        return R.down(
            loaded,
            engine,
            volumes=volumes,
            remove_orphans=remove_orphans,
            progress=progress,
            lock_wait=lock_wait,
            say=say,
        )

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
        """Reconcile (or plan, or only look), then one result per service with its replica metrics; an
        under-replicated service fails naming the missing tasks and the engine's reasons."""
        stage("swarm services" + {"up": " (up)", "plan": " (plan only)"}.get(mode, " (--no-up)"))
        extra: list[Result] = []
        actions: dict[str, str | None] = {}
        messages: dict[str, str] = {}
        if mode in ("plan", "no-up"):  # --no-up judges drift too: what runs must be what the spec says
            planned = R.make_plan(loaded, engine, remove_orphans=remove_orphans)
            extra = drift_results(loaded, planned.plan)
        else:
            try:
                result = R.up(loaded, engine, progress=say, remove_orphans=remove_orphans, timeout=timeout, lock=False)
            except EngineError as exc:
                extra = [not_reconciled(loaded, exc)]
            else:
                actions = {name: r.action for name, r in result.services.items()}
                messages = {name: r.message for name, r in result.services.items() if r.status != "ready"}
        views, ids = R.current_views(loaded, engine)
        results, running = R.service_results(loaded, engine, views, actions, messages, ids)
        return ServiceStage(results=extra + results, running=running)
