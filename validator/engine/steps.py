"""Steps, graphs of them and their printed form, and the stop graph as steps: the light half of
engine/graph.py, which ``down`` uses without loading the desired state or the planner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from validator.engine.stop_graph import StopStep
from validator.errors import EngineError


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
            out[step.key] = 1 + max((out[need] for need in (*step.needs, *step.after)), default=0)
        return out

    def render(self) -> str:
        waves = self.waves()
        lines = []
        for step in sorted(self.steps, key=lambda s: waves[s.key]):  # stable: the build order within a wave
            line = f"{waves[step.key]:>2}  {step.key}"
            if step.call == "rename":
                line += f" ({'; '.join(step.reasons)})"
            if step.networks:
                line += f" ({', '.join(step.networks)})"
            if step.needs:
                line += "  <- " + ", ".join(step.needs)
            if step.after:
                line += "  after " + ", ".join(step.after)
            lines.append(line)
        return "\n".join(lines) + "\n"


@dataclass(kw_only=True)
class Builder:
    steps: dict[str, Step] = field(default_factory=dict)

    def add(self, step: Step) -> str:
        missing = [need for need in step.needs if need not in self.steps]
        assert not missing, f"{step.key} needs steps not built before it: {missing}"
        self.steps.setdefault(step.key, step)
        return step.key

    def graph(self) -> Graph:
        return Graph(steps=tuple(self.steps.values()))


def walk_stops(steps: Iterable[StopStep], b: Builder) -> dict[str, str]:
    """Each container's stop (after its dependents', an ordering edge: a container goes once they
    have, stopped or not) and its removal unless kept: container ID -> the key of its last step."""
    pending = {s.container: s for s in steps}
    known = set(pending)
    done: dict[str, str] = {}
    for _ in range(len(pending) + 1):  # each round places at least one step, unless there is a cycle
        ready = [s for s in pending.values() if all(a in done for a in s.after if a in known and a != s.container)]
        for s in sorted(ready, key=lambda s: s.name):
            after = tuple(done[a] for a in s.after if a in done)
            stop = b.add(Step(call="stop", target=s.name, service=s.service, after=after))
            done[s.container] = b.add(Step(call="remove", target=s.name, needs=(stop,))) if s.remove else stop
            del pending[s.container]
    if pending:  # lint rejects a depends_on cycle; labels written by hand might hold one
        raise EngineError("stop order has a cycle: " + ", ".join(sorted(s.name for s in pending.values())))
    return done


def down_graph(steps: Iterable[StopStep], *, networks: Iterable[str] = (), volumes: Iterable[str] = ()) -> Graph:
    """``down``: the containers stopped and removed along the stop graph, then the networks and the
    volumes once no container is left on them."""
    b = Builder()
    gone = tuple(walk_stops(steps, b).values())
    for net in sorted(networks):
        b.add(Step(call="remove-network", target=net, needs=gone))
    for vol in sorted(volumes):
        b.add(Step(call="remove-volume", target=vol, needs=gone))
    return b.graph()
