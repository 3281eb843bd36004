"""The plan as a graph of single engine calls, with explicit edges, and its printed form.

Each ``Step`` is one engine call (``stop``, ``remove``, ``pull``, ``build``, ``create-network``,
``create-volume``, ``rename``, ``create``, ``start``) or one wait for a state the engine reports
(``wait <container> running|healthy|completed``); ``needs`` names the steps that must be done first:
create network -> create container -> start -> wait ready -> the dependents' creates; a replaced
container stops (after its dependents, the stop graph's order) and is removed before its successor
is created under its name. ``up_graph`` is a pure function of (desired, observed, plan) as the
planner is; ``down_graph`` of the stop graph and the project's networks and volumes.

``render`` prints it one step a line with its wave (the earliest round it can run in: every step of
a wave could run at once) and its edges: tests/unit/engine/golden/ holds the printed graphs the
tests compare exactly, as Compose tests its plans.

The applier (engine/apply.py) does not walk this graph yet: it applies the ``Plan`` in phases
(orphans, images, networks and volumes, every stop and rename, then one thread per service waiting
on its dependencies' progress), which this graph describes edge by edge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from validator.engine.desired import DesiredState
from validator.engine.observed import ObservedState
from validator.engine.planner import STARTING, Plan, stop_needs, targets
from validator.engine.stop_graph import StopStep, stop_plan

# depends_on's condition -> the state of the dependency's containers its dependents wait for
CONDITION_STATE = {
    "service_started": "running",
    "service_healthy": "healthy",
    "service_completed_successfully": "completed",
}


@dataclass(frozen=True, kw_only=True)
class Step:
    call: str  # the engine call, or "wait"
    target: str  # a container's, image's, network's or volume's name
    state: str = ""  # wait: the state awaited (running, healthy, completed)
    service: str | None = None
    needs: tuple[str, ...] = ()  # keys of the steps that must be done first
    # keys of the steps that must have finished first, whatever became of them (an ordering edge: a
    # stop comes after its dependents' stops, a dependency that is not ``required`` may fail)
    after: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()  # connect: the further networks joined, in order

    @property
    def key(self) -> str:
        return f"{self.call} {self.target}" + (f" {self.state}" if self.state else "")


@dataclass(frozen=True, kw_only=True)
class Graph:
    steps: tuple[Step, ...]  # every step after those it needs

    def waves(self) -> dict[str, int]:
        """Each step's wave: 1 for a step that needs nothing, else one more than its latest need."""
        out: dict[str, int] = {}
        for step in self.steps:
            out[step.key] = 1 + max((out[need] for need in step.needs), default=0)
        return out

    def render(self) -> str:
        waves = self.waves()
        lines = []
        for step in sorted(self.steps, key=lambda s: waves[s.key]):  # stable: the build order within a wave
            line = f"{waves[step.key]:>2}  {step.key}"
            if step.call == "rename":
                line += f" ({'; '.join(step.reasons)})"
            if step.needs:
                line += "  <- " + ", ".join(step.needs)
            lines.append(line)
        return "\n".join(lines) + "\n"


@dataclass(kw_only=True)
class _Builder:
    steps: dict[str, Step] = field(default_factory=dict)

    def add(self, step: Step) -> str:
        missing = [need for need in step.needs if need not in self.steps]
        assert not missing, f"{step.key} needs steps not built before it: {missing}"
        self.steps.setdefault(step.key, step)
        return step.key

    def graph(self) -> Graph:
        return Graph(steps=tuple(self.steps.values()))


def up_graph(desired: DesiredState, observed: ObservedState, plan: Plan) -> Graph:
    """The engine calls ``up`` makes for ``plan`` and the order they need."""
    b = _Builder()
    for action in plan.actions:
        if action.kind == "remove-orphan":
            b.add(
                Step(call="remove", target=action.target, reasons=action.reasons, needs=(b.add(_stop(action.target)),))
            )
    images = {
        a.target: b.add(Step(call=a.kind, target=a.target, service=a.service, reasons=a.reasons))
        for a in plan.actions
        if a.kind in ("pull", "build")
    }
    created = {
        a.target: b.add(Step(call=a.kind, target=a.target, reasons=a.reasons))
        for a in plan.actions
        if a.kind in ("create-network", "create-volume")
    }
    gone = _stops(desired, observed, plan, b)
    ready = targets(desired)
    renames = {
        a.service or "": b.add(
            Step(
                call="rename",
                target=a.target,
                service=a.service,
                reasons=(f"to {a.new_name}",),
                needs=tuple(gone.values()),
            )
        )
        for a in plan.actions
        if a.kind == "rename"
    }
    for name in plan.order:
        svc = desired.services[name]
        waits = _dependency_waits(desired, plan, name, b)
        for action in (a for a in plan.actions if a.service == name and a.kind in STARTING):
            needs = [*waits, *([renames[name]] if name in renames else [])]
            if action.kind in ("create", "recreate"):
                uses = [*svc.config.get("networks", {}), *_volumes(svc.config.get("volumes", []))]
                needs += [images[svc.image]] if svc.image in images else []
                needs += [created[n] for n in uses if n in created]
                needs += [gone[action.container_id]] if action.container_id in gone else []
                needs = [
                    b.add(
                        Step(
                            call="create",
                            target=action.target,
                            service=name,
                            reasons=action.reasons,
                            needs=tuple(needs),
                        )
                    )
                ]
            elif action.container_id in gone:  # a restart: stopped with the replaced containers
                needs.append(gone[action.container_id])
            start = b.add(Step(call="start", target=action.target, service=name, needs=tuple(needs)))
            # ready as up judges it: running, healthy (its health check), or completed (a one-shot job)
            b.add(Step(call="wait", target=action.target, state=ready[name], service=name, needs=(start,)))
    return b.graph()


def _stop(name: str, needs: Iterable[str] = ()) -> Step:
    return Step(call="stop", target=name, needs=tuple(needs))


def _stops(desired: DesiredState, observed: ObservedState, plan: Plan, b: _Builder) -> dict[str, str]:
    """The replaced containers (recreate, restart, remove) stopped along the stop graph, and removed
    unless restarted: container ID -> the key of its last step."""
    by_id = {c.id: c for items in observed.containers.values() for c in items}
    going = [a for a in plan.actions if a.kind in ("recreate", "restart", "remove") and a.container_id in by_id]
    restart = frozenset(a.container_id for a in going if a.kind == "restart" and a.container_id)
    steps = stop_plan(stop_needs(desired), [by_id[a.container_id] for a in going if a.container_id], keep=restart)
    return _walk_stops(steps, b)


def _walk_stops(steps: Iterable[StopStep], b: _Builder) -> dict[str, str]:
    pending = {s.container: s for s in steps}
    done: dict[str, str] = {}
    for _ in range(len(pending) + 1):  # the stop graph has no cycle: each round places at least one
        ready = [s for s in pending.values() if all(a in done for a in s.after)]
        for s in sorted(ready, key=lambda s: s.name):
            stop = b.add(_stop(s.name, (done[a] for a in s.after)))
            done[s.container] = b.add(Step(call="remove", target=s.name, needs=(stop,))) if s.remove else stop
            del pending[s.container]
    return done


def _dependency_waits(desired: DesiredState, plan: Plan, name: str, b: _Builder) -> list[str]:
    """The waits a service's containers are created after: each dependency's started replicas in the
    state its condition asks (a dependency nothing starts is there already: nothing to wait for)."""
    out = []
    for dep, cond in sorted(desired.services[name].depends_on.items()):
        state = CONDITION_STATE[cond.condition]
        for action in (a for a in plan.actions if a.service == dep and a.kind in STARTING):
            start = f"start {action.target}"
            out.append(b.add(Step(call="wait", target=action.target, state=state, service=dep, needs=(start,))))
    return out


def _volumes(mounts: Iterable[str]) -> list[str]:
    """The named volumes among a config's mounts (``volume:<name>:<target>:<mode>``)."""
    out = []
    for mount in mounts:
        kind, _, rest = mount.partition(":")
        source = rest.split(":", 1)[0]
        if kind == "volume" and source:
            out.append(source)
    return out


def down_graph(steps: Iterable[StopStep], *, networks: Iterable[str] = (), volumes: Iterable[str] = ()) -> Graph:
    """``down``: the containers stopped and removed along the stop graph, then the networks and the
    volumes once no container is left on them."""
    b = _Builder()
    gone = tuple(_walk_stops(steps, b).values())
    for net in sorted(networks):
        b.add(Step(call="remove-network", target=net, needs=gone))
    for vol in sorted(volumes):
        b.add(Step(call="remove-volume", target=vol, needs=gone))
    return b.graph()
