"""Plain containers on one engine (validator.engine): the default backend.

Loaded at import: the reconciler; the applier and the waiter only when ``up`` runs (engine/reconcile.py),
so ``plan`` and ``down`` never load them; the service checks only when ``check`` judges services.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from validator.backends.protocol import Mode, Progress, ServiceStage
from validator.engine import labels as L
from validator.engine import reconcile
from validator.engine.copies import copies_differ
from validator.engine.docker_api import Engine
from validator.engine.observed import strangers_now
from validator.engine.reconcile import Planned
from validator.engine.support import container_refusals
from validator.engine.teardown import DownResult
from validator.errors import EngineError
from validator.spec.load import LoadedSpec
from validator.spec.location import Finding
from validator.spec.profiles import active

if TYPE_CHECKING:
    from validator.core.run import ServiceTimeline
    from validator.engine.ahead import LookAhead
    from validator.engine.apply import ServiceResult, UpResult
    from validator.engine.compose_fields import CopiedFile


@dataclass(frozen=True, kw_only=True)
class ContainersBackend:
    name: str = "containers"
    unit: str = "container"
    unfollowed: str = ""
    down_by_name: bool = True
    refuses_compose_fields: bool = True

    def connect(self, host: str | None) -> Engine:
        return Engine.connect(host)

    def refusals(self, loaded: LoadedSpec) -> list[Finding]:
        return container_refusals(loaded)

    def make_plan(
        self,
        loaded: LoadedSpec,
        engine: Engine,
        *,
        remove_orphans: bool = False,
        force_recreate: bool = False,
        build: bool = False,
    ) -> Planned:
        return reconcile.make_plan(
            loaded, engine, remove_orphans=remove_orphans, force_recreate=force_recreate, build=build
        )

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
        on_done: Callable[[ServiceResult], None] | None = None,
        rerun_jobs: bool = False,
        ahead: LookAhead | None = None,
    ) -> UpResult:
        return reconcile.up(
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
            on_done=on_done,
            rerun_jobs=rerun_jobs,
            ahead=ahead,
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
        return reconcile.down(
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
        """Plan (drift only), look (--no-up: what runs, and its drift from the spec), or up, each
        service judged as soon as up reports it (``on_done``)."""
        # lazy: judging services is check's alone; plan, up and down load none of it
        from validator.backends.drift import drift_results, orphan_results, stranger_results, unverified_results
        from validator.checks import services as S

        if mode != "up":
            # judging what runs includes whether it is what the spec says: a container whose command,
            # environment or ports drifted is not the infrastructure the spec describes (plan exits 1 on it)
            stage(
                "drift (plan only, nothing changes)"
                if mode == "plan"
                else "services as they run now, and drift from the spec (--no-up)"
            )
            planned = self.make_plan(loaded, engine, remove_orphans=remove_orphans)
            results, running = S.observed(loaded, engine)
            copied = {name: svc.files for name, svc in planned.desired.services.items() if svc.files}
            return ServiceStage(
                results=drift_results(loaded, planned.plan) + results,
                running=running,
                copies_now=_copies_now(engine, copied) if mode == "no-up" else None,
            )
        stage("reconcile (up)")
        bound = timeout if timeout is not None else loaded.spec.settings.up_timeout
        until = time.strftime("%H:%M:%S %Z", time.localtime(time.time() + bound))
        say("wait", f"for up (every service ready): at most {bound:g}s, until {until}")
        try:
            result = self.up(
                loaded,
                engine,
                progress=say,
                remove_orphans=remove_orphans,
                build=build,
                timeout=timeout,
                lock=False,
                on_done=on_done,
                # a job that completed in an earlier run proves nothing about this one: run again
                rerun_jobs=True,
            )
        except EngineError as exc:
            results, running = S.observed(loaded, engine)
            return ServiceStage(results=[S.not_reconciled(loaded, exc), *results], running=running)
        results, running = S.from_up(loaded, result, engine)
        # up leaves Compose's containers as they are: what it cannot verify of them stays unknown
        results += unverified_results(loaded, result.plan) + orphan_results(result.plan)
        results += stranger_results(result.plan, _strangers_now(loaded, engine))
        return ServiceStage(
            results=results, running=running, timeline=_timeline(result), copies_now=_copies_now(engine, result.copied)
        )


def _copies_now(engine: Engine, copied: dict[str, tuple[CopiedFile, ...]]) -> Callable[[str, str], list[str]] | None:
    """How a service's container holds the files up copied into it, read when check judges it at its
    last observation (engine/copies.py); None when nothing is copied."""
    if not copied:
        return None

    def now(service: str, container: str) -> list[str]:
        files = copied.get(service, ())
        if not files:
            return []
        # a container docker compose started (judged beside validator's) holds no copy of validator's
        labels = ((engine.try_inspect(container) or {}).get("Config") or {}).get("Labels") or {}
        return copies_differ(engine, files, container) if L.PROJECT in labels else []

    return now


def _strangers_now(loaded: LoadedSpec, engine: Engine) -> list[tuple[str, str, str]] | None:
    """The running strangers once up is over (one may have joined the project's network during its
    walk); None when the engine does not answer (the plan's, from before the walk, stand then)."""
    spec = loaded.spec
    external = [net.name or f"{spec.project}_{key}" for key, net in spec.networks.items() if net.external]
    try:
        found = strangers_now(
            engine, project=spec.project, services=list(active(spec.services, loaded.environment)), external=external
        )
    except EngineError:
        return None
    return [(s.name, s.what, s.why) for s in found if s.runs]


def _timeline(result: UpResult) -> list[ServiceTimeline]:
    from validator.core.run import ServiceTimeline  # lazy: check's record (see services above)

    out = []
    for name in result.plan.order:
        r = result.services.get(name)
        if r and r.timing:
            out.append(
                ServiceTimeline(
                    service=name,
                    requested_at=r.timing.requested_at,
                    running_at=r.timing.running_at,
                    healthy_at=r.timing.healthy_at,
                )
            )
    return out
