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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from validator.engine import hooks
from validator.engine.execute import Node, execute
from validator.engine.held import register_held
from validator.engine.steps import Step, down_graph
from validator.engine.stop_graph import StopStep
from validator.errors import EngineError

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine


@dataclass(frozen=True, kw_only=True)
class StopOutcome:
    step: StopStep
    started: float  # wall-clock time the stop was requested
    finished: float  # wall-clock time the container was stopped (and removed)
    error: str | None = None
    hook_error: str | None = None  # a pre_stop hook that failed (the container was stopped all the same)


@dataclass(kw_only=True)
class DownWalk:
    outcomes: list[StopOutcome]  # each container's, in finishing order
    networks: list[str]  # removed
    volumes: list[str]  # removed
    errors: list[str]  # the networks and volumes that could not be removed, with why


def run_stops(
    engine: Engine,
    steps: Sequence[StopStep],
    say: Callable[[str, str], None],
    cancel: threading.Event | None = None,
) -> list[StopOutcome]:
    """Stop (and remove) every step's container along the graph; outcomes in finishing order."""
    return walk_down(engine, steps, say, cancel).outcomes


def walk_down(
    engine: Engine,
    steps: Sequence[StopStep],
    say: Callable[[str, str], None],
    cancel: threading.Event | None = None,
    *,
    networks: Sequence[str] = (),
    volumes: Sequence[str] = (),
    forget: Callable[[str], None] | None = None,
    anonymous_volumes: bool = False,
) -> DownWalk:
    """``down``'s graph (engine/steps.py ``down_graph``) walked by the one executor (engine/execute.py):
    every container stopped and removed along the stop graph, then the networks and volumes once no
    container is left on them (none is removed while a container failed to go: they are still in use).

    Each stop is bounded by its grace period (the engine kills after it) plus the client's timeout;
    the executor only waits in short slices so Ctrl-C reaches the main thread. ``forget``: told each
    container ID as it is stopped (its launch record goes: engine/launches.py). ``anonymous_volumes``
    (``down -v``): each container is removed with its anonymous volumes (``v=True``), as Compose's
    ``down -v`` removes them; the engine never drops a named volume that way."""
    if not steps and not networks and not volumes:
        return DownWalk(outcomes=[], networks=[], volumes=[], errors=[])
    graph = down_graph(steps, networks=networks, volumes=volumes)
    by_name = {step.name: step for step in steps}
    began: dict[str, tuple[float, float]] = {}  # name -> (wall, monotonic) the stop was asked
    hook_errors: dict[str, str] = {}
    finished: list[tuple[str, float]] = []  # name, wall clock: the finishing order
    removed: dict[str, list[str]] = {"remove-network": [], "remove-volume": []}

    def container(node: Step) -> None:
        step = by_name[node.target]
        who = step.service or step.name
        try:
            if node.call == "stop":
                began[step.name] = (time.time(), time.monotonic())
                if cancel is not None and cancel.is_set():
                    raise EngineError("cancelled")
                if forget is not None:
                    forget(step.container)  # stopped, it is no longer launched (removed, it has no record)
                hook_error = pre_stop(engine, step)
                if hook_error is not None:
                    hook_errors[step.name] = hook_error
                    say(who, f"FAILED: {hook_error}")
                engine.stop(step.container, step.timeout)
            else:
                engine.remove_container(step.container, volumes=anonymous_volumes)
        except EngineError as exc:
            if str(exc) != "cancelled":
                say(who, f"FAILED: {exc}")
            finished.append((step.name, time.time()))
            raise
        if node.call == "remove" or not step.remove:
            say(who, f"{'removed' if step.remove else 'stopped'} after {time.monotonic() - began[step.name][1]:.2f}s")
            finished.append((step.name, time.time()))

    def run(node: Node) -> None:
        assert isinstance(node, Step)
        if node.call == "remove-network":
            engine.remove_network(node.target)
            say("network", f"{node.target} removed")
        elif node.call == "remove-volume":
            engine.remove_volume(node.target)
            say("volume", f"{node.target} removed")
        else:
            container(node)
            return
        removed[node.call].append(node.target)

    # one thread per container, as Compose stops them all at once: a stop mostly waits out its grace
    # period, so a cap would queue whole grace periods (16 at a time made 50 services wait 4 of them)
    workers = max(1, len(steps), len(networks) + len(volumes))
    outcome = execute(graph.steps, run, workers=workers, failures=(EngineError,), cancel=cancel)
    if outcome.raised is not None:  # an engine that went away, an interrupt
        raise outcome.raised
    nodes = {node.key: node for node in graph.steps}
    errors = {
        nodes[key].target: result.error
        for key, result in outcome.steps.items()
        if result.status != "done" and result.blocked_by is None and nodes[key].call in ("stop", "remove")
    }
    others = [
        f"{nodes[key].target}: {result.error}"
        for key, result in outcome.steps.items()
        if result.status == "failed" and nodes[key].call in removed
    ]
    order = [name for name, _ in finished] + sorted(set(by_name) - {name for name, _ in finished})
    stamps = dict(finished)
    outcomes = [
        StopOutcome(
            step=by_name[name],
            started=began.get(name, (time.time(), 0.0))[0],
            finished=stamps.get(name, time.time()),
            error=errors.get(name),
            hook_error=hook_errors.get(name),
        )
        for name in dict.fromkeys(order)
    ]
    return DownWalk(
        outcomes=outcomes, networks=removed["remove-network"], volumes=removed["remove-volume"], errors=others
    )


def pre_stop(engine: Engine, step: StopStep) -> str | None:
    """Run the step's pre_stop hooks in its container while it runs; why one failed, else None."""
    if not step.pre_stop:
        return None
    info = engine.try_inspect(step.container)
    state = (info or {}).get("State") or {}
    if not state.get("Running"):
        return None  # nothing runs in a stopped container; Compose runs them only on a running one
    register_held(info)  # the hooks' output is shown: what the container holds is masked (engine/held.py)
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
