"""When each probe of ``check`` starts: a probe that declares ``service:`` starts the moment ``up``
knows that service's outcome, while the rest of ``up`` still waits; every other probe (and any
whose service ``up`` never reported) starts once ``up`` is over. At most ``settings.parallel`` run
at once. Results come back in the spec's order, whatever order they finished in.

The evidence rule stays the one ``run_probe`` applies: a probe runs only against a service whose
container is running, and under ``up`` only against one that became ready; otherwise it is a skip
naming the reason, with its metrics unavailable — never a pass."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from validator.checks.probes import run_probe
from validator.core.result import Result
from validator.probes.base import ProbeContext
from validator.probes.registry import PROBES
from validator.probes.seams import SharedSparkJobs

if TYPE_CHECKING:
    from validator.engine.apply import ServiceResult
    from validator.engine.docker_api import Engine
    from validator.probes.seams import ProbeEngine
    from validator.spec.load import LoadedSpec

    # mypy's proof that the engine ``check`` hands the probes meets their seam
    _MEETS_THE_SEAM: type[ProbeEngine] = Engine


class ProbeSchedule:
    def __init__(
        self,
        loaded: LoadedSpec,
        engine: Any,
        parallel: int,
        cancel: threading.Event,
        say: Callable[[str, str], None] | None = None,
    ) -> None:
        self.loaded = loaded
        self.engine = engine
        self.cancel = cancel
        self.say = say
        self.pool = ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="probe")
        self.lock = threading.Lock()
        self.futures: dict[str, Future[Result]] = {}
        self.running: dict[str, str] = {}  # service -> container id, as each outcome came in
        self.unready: dict[str, str] = {}  # service -> why up could not make it ready
        self.turns: dict[str, _Turns] = {}  # shared resource -> whose turn it is, and the driver they share
        self.deadlines: dict[str, float] = {}  # probe -> when it ends at the latest (wall clock)

    def service_done(self, outcome: ServiceResult) -> None:
        """``up``'s word on one service (called from that service's thread): its probes start now."""
        name = outcome.name
        detail = self.engine.try_inspect(outcome.container) if outcome.container else None
        with self.lock:
            if detail and (detail.get("State") or {}).get("Running"):
                self.running[name] = outcome.container or ""
            if outcome.status != "ready":
                self.unready[name] = f"service {name} did not become ready: {outcome.message or outcome.status}"
            waiting = [
                probe
                for probe, spec in self.loaded.spec.probes.items()
                if getattr(spec, "service", None) == name and probe not in self.futures
            ]
            if waiting and self.say is not None:
                state = "not ready" if name in self.unready else "ready"
                self.say("probes", f"{name} {state}: starting {', '.join(waiting)}")
            for probe in waiting:
                self._submit(probe)

    def finish(self, running: dict[str, str], unready: dict[str, str] | None = None) -> list[Result]:
        """``up`` is over (or there was none): start every probe not started yet with what is running
        now, wait for all, and return their results in the spec's order."""
        with self.lock:
            for name, container in running.items():
                self.running.setdefault(name, container)
            for name, why in (unready or {}).items():
                self.unready.setdefault(name, why)
            for probe in self.loaded.spec.probes:
                if probe not in self.futures:
                    self._submit(probe)
        pending_now = [probe for probe, future in self.futures.items() if not future.done()]
        if pending_now and self.say is not None:
            until = time.strftime("%H:%M:%S %Z", time.localtime(max(self.deadlines[p] for p in pending_now)))
            self.say("wait", f"for the probes ({', '.join(pending_now)}): at most until {until}")
        try:
            # each probe is bounded by its own timeout; a stopped run (cancel) stops waiting at once
            # and keeps what finished (the caller makes the rest errors: run/stopped.py)
            pending = set(self.futures.values())
            while pending and not self.cancel.is_set():
                _, pending = wait(pending, timeout=0.2)
            return list(self.done().values())
        finally:
            self.pool.shutdown(wait=False)

    def done(self) -> dict[str, Result]:
        """The probes that finished, by name, in the spec's order."""
        return {
            probe: future.result()
            for probe in self.loaded.spec.probes
            if (future := self.futures.get(probe)) is not None and future.done() and not future.cancelled()
        }

    def close(self) -> None:
        """Drop the probes not started yet (an interrupted run); those running see ``cancel``."""
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _submit(self, probe: str) -> None:
        spec: Any = self.loaded.spec.probes[probe]
        factory = (lambda: self.engine) if self.engine is not None else None
        ctx = ProbeContext(
            spec=self.loaded.spec,
            base_dir=self.loaded.base_dir,
            deadline=time.monotonic() + spec.timeout,
            engine_factory=factory,
            running=dict(self.running),
        )
        unready = dict(self.unready)
        self.deadlines[probe] = time.time() + spec.timeout  # its context's deadline, on the wall clock
        turns = self._turns(spec)
        if turns is not None:
            ctx.spark_jobs = turns.jobs
        self.futures[probe] = self.pool.submit(
            _in_turn, turns, run_probe, self.loaded, probe, ctx, self.cancel, unready
        )

    def _turns(self, spec: Any) -> _Turns | None:
        """Probes on one shared resource take turns, as their kind declares (``ProbeKind.shares``:
        the ``spark`` and ``cdc`` probes on one Spark master), and run their jobs in one driver."""
        resource = PROBES[spec.kind].shared_resource(spec)
        if resource is None:
            return None
        if resource not in self.turns:
            probes: list[Any] = list(self.loaded.spec.probes.values())
            sharing = [p for p in probes if PROBES[p.kind].shared_resource(p) == resource]
            self.turns[resource] = _Turns(left=len(sharing))
        return self.turns[resource]


class _Turns:
    """The probes on one shared resource: one runs at a time, their Spark jobs in one driver
    (``SharedSparkJobs``), which stops when the last of them is done — at once, so that its executor
    is free for the suites' sessions."""

    def __init__(self, *, left: int) -> None:
        self.lock = threading.Lock()
        self.left = left
        self.jobs = SharedSparkJobs()

    def take(self, work: Callable[..., Result], *args: Any) -> Result:
        with self.lock:
            try:
                return work(*args)
            finally:
                self.left -= 1
                if self.left <= 0:
                    self.jobs.close()


def _in_turn(turns: _Turns | None, work: Callable[..., Result], *args: Any) -> Result:
    if turns is None:
        return work(*args)
    return turns.take(work, *args)
