"""Run a stop graph (``planner.stop_plan``): every container stops as soon as the containers that
must be gone first are gone, all others in parallel, so ``down`` and the recreate path of ``up``
wait out the longest chain of grace periods instead of their sum.

A step whose stop fails is recorded and counts as done for the steps after it (the dependent is
as gone as it will get); the caller raises once every step has been tried, so nothing is left
half-stopped because one container refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from validator.engine import hooks
from validator.engine.stop_graph import StopStep
from validator.errors import EngineError, UnreachableError

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine


@dataclass(frozen=True, kw_only=True)
class StopOutcome:
    step: StopStep
    started: float  # wall-clock time the stop was requested
    finished: float  # wall-clock time the container was stopped (and removed)
    error: str | None = None
    hook_error: str | None = None  # a pre_stop hook that failed (the container was stopped all the same)


def run_stops(
    engine: Engine,
    steps: Sequence[StopStep],
    say: Callable[[str, str], None],
    cancel: threading.Event | None = None,
) -> list[StopOutcome]:
    """Stop (and remove) every step's container along the graph; outcomes in finishing order.

    Each stop is bounded by its grace period (the engine kills after it) plus the client's timeout;
    the loop below only waits in short slices so Ctrl-C reaches the main thread."""
    if not steps:
        return []
    known = {step.container for step in steps}
    waiting_on = {step.container: {c for c in step.after if c in known and c != step.container} for step in steps}
    by_id = {step.container: step for step in steps}
    outcomes: list[StopOutcome] = []
    submitted: set[str] = set()

    def one(step: StopStep) -> StopOutcome:
        who = step.service or step.name
        began_wall, began = time.time(), time.monotonic()
        try:
            if cancel is not None and cancel.is_set():
                return StopOutcome(step=step, started=began_wall, finished=time.time(), error="cancelled")
            hook_error = pre_stop(engine, step)
            if hook_error is not None:
                say(who, f"FAILED: {hook_error}")
            engine.stop(step.container, step.timeout)
            if step.remove:
                engine.remove_container(step.container)
        except UnreachableError:
            raise
        except EngineError as exc:
            say(who, f"FAILED: {exc}")
            return StopOutcome(step=step, started=began_wall, finished=time.time(), error=str(exc))
        say(who, f"{'removed' if step.remove else 'stopped'} after {time.monotonic() - began:.2f}s")
        return StopOutcome(step=step, started=began_wall, finished=time.time(), hook_error=hook_error)

    # one thread per container, as Compose stops them all at once: a stop mostly waits out its grace
    # period, so a cap would queue whole grace periods (16 at a time made 50 services wait 4 of them)
    with ThreadPoolExecutor(max_workers=len(steps), thread_name_prefix="validator-stop") as pool:
        running: dict[Future[StopOutcome], str] = {}
        try:
            while len(outcomes) < len(steps):
                for cid, blockers in waiting_on.items():
                    if not blockers and cid not in submitted:
                        submitted.add(cid)
                        running[pool.submit(one, by_id[cid])] = cid
                if not running:  # only a cycle could leave steps unsubmitted; lint rejects cycles
                    raise EngineError("stop order has a cycle: " + ", ".join(sorted(set(by_id) - submitted)))
                done, _ = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    cid = running.pop(future)
                    outcomes.append(future.result())
                    for blockers in waiting_on.values():
                        blockers.discard(cid)
        except BaseException:
            if cancel is not None:
                cancel.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return outcomes


def pre_stop(engine: Engine, step: StopStep) -> str | None:
    """Run the step's pre_stop hooks in its container while it runs; why one failed, else None."""
    if not step.pre_stop:
        return None
    state = (engine.try_inspect(step.container) or {}).get("State") or {}
    if not state.get("Running"):
        return None  # nothing runs in a stopped container; Compose runs them only on a running one
    return hooks.run(engine, step.container, "pre_stop", step.pre_stop, hooks.PRE_STOP_TIMEOUT)


def raise_failures(outcomes: Sequence[StopOutcome]) -> None:
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        raise EngineError("; ".join(f"{o.step.name}: {o.error}" for o in failed))


def raise_hook_failures(outcomes: Sequence[StopOutcome]) -> None:
    """After everything was stopped and removed: fail naming every pre_stop hook that failed."""
    failed = [o for o in outcomes if o.hook_error is not None]
    if failed:
        raise EngineError("; ".join(f"{o.step.name}: {(o.hook_error or '').splitlines()[0]}" for o in failed))
