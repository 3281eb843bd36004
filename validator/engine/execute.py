"""One executor for every graph of engine calls (engine/graph.py): ``up``, ``down`` and the recreate
path of ``up`` are this walk over different graphs.

Rules:
- A step runs once every step it ``needs`` is done and every step it comes ``after`` has finished
  (done, failed or not run: an ordering edge, as a stop comes after its dependents' stops whatever
  became of them). Steps whose edges allow it run at once, up to ``workers`` threads.
- A step fails when its runner raises one of ``failures``; every step that needs it, transitively,
  is then not run, naming the failed step; the other branches go on. Any other exception (an engine
  that went away, a bug) cancels the walk, as an interrupt does, and is handed back in ``raised``.
- ``fatal(step)``: a failure that ends the walk (``up`` stops at a failed pull, as it always did).
- Cancellation (``cancel`` set by the caller, an interrupt or ``EngineLost`` raised into the main
  thread while it waits here, a fatal failure): no step is launched any more; the steps in flight end
  within their own bounds (each engine call and wait is bounded), waited for at most ``drain``
  seconds; every step not launched is not run, "cancelled".
- ``deadline`` (monotonic): after it nothing is launched; steps still running ``grace`` seconds later
  are reported failed, "the overall time limit ran out" (their threads end on their own bounds).
- Each step records its start and end on the monotonic clock.

The main thread only waits here in short slices, so Ctrl-C and ``validator.abort`` reach it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Literal, Protocol

StepStatus = Literal["done", "failed", "not run"]
TIME_LIMIT = "the overall time limit ran out"
SLICE = 0.5  # seconds the main thread waits at a time: a signal is handled between slices at worst


class Node(Protocol):
    """What the executor reads of a step (graph.Step is one)."""

    @property
    def key(self) -> str: ...

    @property
    def needs(self) -> tuple[str, ...]: ...

    @property
    def after(self) -> tuple[str, ...]: ...


@dataclass(kw_only=True)
class StepResult:
    key: str
    status: StepStatus
    error: str = ""  # failed: why; not run: "needs X, which failed" or "cancelled"
    blocked_by: str | None = None  # not run: the failed step it (transitively) needed
    started: float | None = None  # monotonic
    ended: float | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.started is None or self.ended is None else self.ended - self.started


@dataclass(kw_only=True)
class Outcome:
    steps: dict[str, StepResult] = field(default_factory=dict)
    cancelled: bool = False
    raised: BaseException | None = None  # what ended the walk early (an interrupt, a lost engine, a bug)
    fatal: StepResult | None = None  # the failed step that ended it (``fatal``)

    def of(self, status: StepStatus) -> list[str]:
        return [key for key, r in self.steps.items() if r.status == status]


class _Walk:
    def __init__(
        self,
        steps: Iterable[Node],
        run: Callable[[Node], object],
        *,
        failures: tuple[type[BaseException], ...],
        fatal: Callable[[Node], bool],
        on_finished: Callable[[StepResult], None] | None,
    ) -> None:
        self.nodes = {s.key: s for s in steps}
        self.run = run
        self.failures = failures
        self.fatal = fatal
        self.on_finished = on_finished
        self.outcome = Outcome()
        self.dependents: dict[str, list[str]] = {key: [] for key in self.nodes}
        for node in self.nodes.values():
            for need in (*node.needs, *node.after):
                if need not in self.nodes:
                    raise ValueError(f"{node.key} needs {need}, which is not in the graph")
                self.dependents[need].append(node.key)
        self.launched: set[str] = set()
        self.lock = threading.Lock()  # the step results: written by workers (times) and the main thread

    def finished(self, key: str) -> bool:
        return key in self.outcome.steps  # a result is recorded once its step has ended

    def ready(self) -> list[str]:
        out = []
        for key, node in self.nodes.items():
            if key in self.launched or key in self.outcome.steps:
                continue
            if all(self._done(n) for n in node.needs) and all(self.finished(a) for a in node.after):
                out.append(key)
        return out

    def _done(self, key: str) -> bool:
        result = self.outcome.steps.get(key)
        return result is not None and result.status == "done"

    def one(self, key: str) -> StepResult:
        """Run one step (on a worker thread)."""
        result = StepResult(key=key, status="done", started=time.monotonic())
        try:
            self.run(self.nodes[key])
        except self.failures as exc:
            result.status, result.error = "failed", str(exc)
        finally:
            result.ended = time.monotonic()
        return result

    def record(self, result: StepResult) -> None:
        self.outcome.steps[result.key] = result
        if self.on_finished is not None:
            self.on_finished(result)
        if result.status == "failed":
            self.block(result.key, result.key)

    def block(self, failed: str, root: str) -> None:
        """Every step needing ``failed``, transitively, is not run (ordering edges do not carry it)."""
        stack = [failed]
        while stack:
            need = stack.pop()
            for key in self.dependents[need]:
                if need in self.nodes[key].needs and key not in self.outcome.steps and key not in self.launched:
                    self.record(
                        StepResult(key=key, status="not run", error=f"needs {root}, which failed", blocked_by=root)
                    )
                    stack.append(key)

    def cancel_rest(self, why: str) -> None:
        for key in self.nodes:
            if key not in self.outcome.steps and key not in self.launched:
                self.record(StepResult(key=key, status="not run", error=why))


def execute(
    steps: Iterable[Node],
    run: Callable[[Node], object],
    *,
    workers: int,
    failures: tuple[type[BaseException], ...],
    cancel: threading.Event | None = None,
    on_cancel: Callable[[], None] | None = None,
    fatal: Callable[[Node], bool] = lambda _: False,
    on_finished: Callable[[StepResult], None] | None = None,
    deadline: float | None = None,
    grace: float = 5.0,
    drain: float = 60.0,
) -> Outcome:
    """Walk ``steps`` (each after the steps it needs), running ``run(step)`` for each; see the module.
    ``on_finished`` is told each step's result as it is known (on the calling thread);
    ``on_cancel`` is called once when the walk is cancelled (to wake the steps waiting in flight)."""
    walk = _Walk(steps, run, failures=failures, fatal=fatal, on_finished=on_finished)
    cancel = cancel if cancel is not None else threading.Event()
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="validator-step")
    running: dict[Future[StepResult], str] = {}
    stopped: list[float] = []  # when the walk was cancelled

    def stop(why: str, *, wake: bool = True) -> None:
        """Launch nothing more; ``wake``: tell the steps in flight (a deadline needs not: each wait
        ends on the same deadline by itself)."""
        if wake and not walk.outcome.cancelled:
            walk.outcome.cancelled = True
            stopped.append(time.monotonic())
            cancel.set()
            if on_cancel is not None:
                on_cancel()
        walk.cancel_rest(why)

    try:
        while len(walk.outcome.steps) < len(walk.nodes):
            late = deadline is not None and time.monotonic() > deadline
            if cancel.is_set():
                stop("cancelled")
            elif late:
                stop(TIME_LIMIT, wake=False)
            else:
                # no more in flight than workers: a step queued in the pool would count as launched
                for key in walk.ready()[: max(1, workers) - len(running)]:
                    walk.launched.add(key)
                    running[pool.submit(walk.one, key)] = key
            if not running:
                if len(walk.outcome.steps) < len(walk.nodes):  # only a cycle leaves steps unlaunched
                    walk.cancel_rest("its edges form a cycle")
                break
            bound = SLICE if deadline is None else max(0.05, min(SLICE, deadline + grace - time.monotonic()))
            done, _ = wait(running, timeout=bound, return_when=FIRST_COMPLETED)
            for future in done:
                key = running.pop(future)
                walk.launched.discard(key)
                exc = future.exception()
                if exc is not None:  # not a step failure: end the walk, hand it back
                    walk.outcome.raised = walk.outcome.raised or exc
                    walk.record(StepResult(key=key, status="failed", error=str(exc) or type(exc).__name__))
                    stop("cancelled")
                    continue
                result = future.result()
                walk.record(result)
                if result.status == "failed" and walk.fatal(walk.nodes[key]) and walk.outcome.fatal is None:
                    walk.outcome.fatal = result
                    stop("cancelled")
            overdue = deadline is not None and time.monotonic() > deadline + grace
            drained = bool(stopped) and time.monotonic() > stopped[0] + drain
            if running and (overdue or drained):
                for future, key in list(running.items()):
                    why = TIME_LIMIT if overdue else "cancelled: still running when the walk ended"
                    walk.record(StepResult(key=key, status="failed", error=why))
                    del running[future]
    # an interrupt, or EngineLost raised into this thread (validator/abort.py): handed back in ``raised``
    except BaseException as exc:  # noqa: BLE001
        walk.outcome.raised = walk.outcome.raised or exc
        stop("cancelled")
        _drain(walk, running, drain)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return walk.outcome


def _drain(walk: _Walk, running: dict[Future[StepResult], str], bound: float) -> None:
    """Let the steps in flight end (each within its own bound), waiting ``bound`` seconds at most."""
    until = time.monotonic() + bound
    while running and time.monotonic() < until:
        done, _ = wait(running, timeout=min(SLICE, max(0.05, until - time.monotonic())), return_when=FIRST_COMPLETED)
        for future in done:
            key = running.pop(future)
            exc = future.exception()
            if exc is None:
                walk.record(future.result())
            else:
                walk.record(StepResult(key=key, status="failed", error=str(exc) or type(exc).__name__))
    for key in running.values():
        walk.record(StepResult(key=key, status="failed", error="cancelled: still running when the walk ended"))
