"""The plan as a graph of single engine calls, with explicit edges, and its printed form.

Each ``Step`` (engine/steps.py) is one engine call (``stop``, ``remove``, ``pull``, ``build``,
``create-network``, ``create-volume``, ``rename``, ``create``, ``put-files``, ``connect``, ``start``,
``post-start``), one read (``health-check``: the image's own test, for a service others wait on
healthy whose spec names none) or one wait for a state (``wait <container> running``, then one wait
per further state it is waited in: its own goal, ``healthy`` or ``completed``, each state a
dependent's condition asks, ``image-healthy`` (its image's health check passing, when it has one) and
``ready``: its health test passing by exec). Each depends_on edge needs exactly the wait for its
condition on every replica of its dependency.
``needs`` names the steps that must be done first: create network -> create container -> copy files,
connect its other networks -> start -> post_start hooks -> wait -> the dependents' creates; a
replaced container stops (after its dependents, an ordering edge: ``after``) and is removed before
its successor is created under its name. A dependency that is not ``required`` is an ordering edge
too: its failure does not stop its dependents.

Pulls come first, as a graph of their own (``pull_graph``: one step per image, no edges): ``up``
walks it before it plans the containers, then plans again with what the pulls left
(engine/pull_first.py), so ``up_graph`` is drawn from a plan that holds no pull.

``up_graph`` is a pure function of (desired, observed, plan) as the planner is; ``down_graph`` of the
stop graph and the project's networks and volumes. engine/apply.py walks the up graph, and
engine/stopper.py the stop graph of ``down`` and of ``up``'s recreates, with the one executor,
engine/execute.py.

``render`` prints it one step a line with its wave (the earliest round it can run in: every step of
a wave could run at once) and its edges: tests/unit/engine/golden/ holds the printed graphs the
tests compare exactly, as Compose tests its plans.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

from validator.engine.desired import DesiredService, DesiredState
from validator.engine.observed import ObservedContainer, ObservedState
from validator.engine.planner import Action, Plan, exec_ready_services, is_job, replica_slots, stop_needs, targets
from validator.engine.steps import Builder, Graph, Step, down_graph, walk_stops
from validator.engine.stop_graph import stop_plan

__all__ = ["Graph", "Step", "down_graph", "pull_graph", "up_graph"]

# depends_on's condition -> the state of the dependency's containers its dependents wait for
CONDITION_STATE = {
    "service_started": "running",
    "service_healthy": "healthy",
    "service_completed_successfully": "completed",
}
# the wait of a service with no health test of its own for its image's verdict (done at once when the
# image declares no health check): up calls it ready only then
IMAGE_HEALTHY = "image-healthy"


def pull_graph(plan: Plan) -> Graph:
    """The pulls of ``plan``, one step each, free to run at once: what ``up`` does before it plans its
    containers (no container can be judged before the image its tag names is known)."""
    b = Builder()
    for a in plan.actions:
        if a.kind == "pull":
            b.add(Step(call="pull", target=a.target, service=a.service, reasons=a.reasons))
    return b.graph()


def up_graph(desired: DesiredState, observed: ObservedState, plan: Plan, *, ready_by_exec: bool = True) -> Graph:
    """The engine calls ``up`` makes for ``plan`` (drawn after its pulls) and the order they need."""
    pulls = [a.target for a in plan.actions if a.kind == "pull"]
    if pulls:
        # a container planned before its image's pull was judged against the ID the tag named before
        raise ValueError(f"a plan that still pulls {', '.join(pulls)}: pull first, then plan with pulled=")
    b = Builder()
    for action in plan.actions:
        if action.kind == "remove-orphan":
            b.add(
                Step(
                    call="remove",
                    target=action.target,
                    reasons=action.reasons,
                    needs=(b.add(Step(call="stop", target=action.target)),),
                )
            )
    images = {
        a.target: b.add(Step(call=a.kind, target=a.target, service=a.service, reasons=a.reasons))
        for a in plan.actions
        if a.kind == "build"
    }
    created = {
        a.target: b.add(Step(call=a.kind, target=a.target, reasons=a.reasons))
        for a in plan.actions
        if a.kind in ("create-network", "create-volume")
    }
    gone = _stops(desired, observed, plan, b)
    renames: dict[str, list[str]] = {}
    for a in plan.actions:
        if a.kind == "rename":
            step = Step(call="rename", target=a.target, service=a.service, reasons=(f"to {a.new_name}",))
            renames.setdefault(a.service or "", []).append(b.add(dataclasses.replace(step, needs=tuple(gone.values()))))
    ctx = _UpContext(
        desired=desired,
        observed=observed,
        plan=plan,
        b=b,
        images=images,
        created=created,
        gone=gone,
        renames=renames,
        exec_ready=exec_ready_services(desired) if ready_by_exec else frozenset(),
    )
    for name in plan.order:
        ctx.service(name)
    return b.graph()


@dataclass(kw_only=True)
class _UpContext:
    desired: DesiredState
    observed: ObservedState
    plan: Plan
    b: Builder
    images: dict[str, str]
    created: dict[str, str]
    gone: dict[str, str]
    renames: dict[str, list[str]]
    exec_ready: frozenset[str]
    # service -> the keys of the steps its dependents wait for, by the state they ask for
    reached: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def service(self, name: str) -> None:
        svc = self.desired.services[name]
        needs, after = self._dependency_waits(name)
        needs += self.renames.get(name, [])
        reached: dict[str, list[str]] = {}
        checked = self._health_check(name)
        slots, _ = replica_slots(self.observed.containers.get(name, ()), svc.replicas)
        for number in range(1, svc.replicas + 1):
            waits = self._replica(svc, number, slots.get(number), needs, after, checked)
            for state, key in waits.items():
                reached.setdefault(state, []).append(key)
        self.reached[name] = reached

    def _replica(
        self,
        svc: DesiredService,
        number: int,
        current: ObservedContainer | None,
        needs: list[str],
        after: list[str],
        checked: str | None,
    ) -> dict[str, str]:
        """One replica's steps: its action (create, start), then one wait per state it is waited in
        (``running``, its own goal, each state a dependent's condition asks): the keys of those waits
        by state (none for a kept container in every one of them already)."""
        b, name = self.b, svc.replica_name(number)
        target = targets(self.desired)[svc.name]
        goal = waited_goal(svc, target, checked is not None)
        states = self._states(svc, goal)
        action = self.plan.for_replica(svc.name, number)
        if action is None:
            assert current is not None
            states = [s for s in states if not _there(current, s, goal, is_job(target))]
            if not states:
                return {}
            last: str | None = None
        else:
            last = self._launch(svc, number, action, needs, after)
        out: dict[str, str] = {}
        running = b.add(Step(call="wait", target=name, state="running", service=svc.name, needs=tuple(_keys(last))))
        out["running"] = running
        for state in states:
            health = (checked,) if state == "healthy" and checked is not None else ()
            out[state] = b.add(Step(call="wait", target=name, state=state, service=svc.name, needs=(running, *health)))
        if svc.name in self.exec_ready and "healthy" in out:
            # readiness by exec (readiness.py): dependents waiting healthy start once the test passes
            out["ready"] = b.add(
                Step(call="wait", target=name, state="ready", service=svc.name, needs=tuple(_keys(last)))
            )
        return out

    def _states(self, svc: DesiredService, goal: str) -> list[str]:
        """The states beyond ``running`` a replica is waited in: its goal (what ``up`` calls ready), and
        healthy when a dependent asks for it of a service whose goal is completed (a job another waits
        on healthy too: each edge waits for exactly its condition). A service with no test of its own
        whose goal is running is ready only once its image's health check, if the image has one, says
        healthy (``image-healthy``: done at once for an image without one), as ``check`` judges it."""
        states = [goal] if goal != "running" else []
        if goal == "completed" and svc.name in healthy_waited(self.desired):
            states.append("healthy")
        if goal == "running" and svc.config.get("healthcheck") != "disabled":
            states.append(IMAGE_HEALTHY)
        return states

    def _launch(self, svc: DesiredService, number: int, action: Action, needs: list[str], after: list[str]) -> str:
        """create (its image, networks, volumes, the old container gone), put-files, connect, start,
        post-start, or start again a kept or restarted container: the key of the last."""
        b, name = self.b, svc.replica_name(number)
        before = list(needs)
        if action.kind in ("create", "recreate"):
            uses = [*svc.config.get("networks", {}), *svc.volumes]
            create_needs = [*needs, *_keys(self.images.get(svc.image))]
            create_needs += [self.created[n] for n in uses if n in self.created]
            create_needs += _keys(self.gone.get(action.container_id or ""))
            create = b.add(
                Step(
                    call="create",
                    target=name,
                    service=svc.name,
                    reasons=action.reasons,
                    needs=_unique(create_needs),
                    after=tuple(after),
                )
            )
            before = [create]
            if svc.files:
                before.append(b.add(Step(call="put-files", target=name, service=svc.name, needs=(create,))))
            extra = list(svc.config.get("networks", {}))[1:] if "network_mode" not in svc.config else []
            if extra:
                connect = Step(call="connect", target=name, service=svc.name, networks=tuple(extra), needs=(create,))
                before.append(b.add(connect))
            after = []
        else:  # start / restart: a restart's container was stopped with the replaced ones
            before += _keys(self.gone.get(action.container_id or ""))
        # a namespace is joined at start: a sharer starts after each owner this run starts (shared_ns.py),
        # whatever its depends_on says (a container:NAME owner is no dependency)
        before += [key for share in svc.shares if (key := f"wait {share.container} running") in b.steps]
        last = b.add(Step(call="start", target=name, service=svc.name, needs=_unique(before), after=tuple(after)))
        if svc.config.get("post_start"):
            last = b.add(Step(call="post-start", target=name, service=svc.name, needs=(last,)))
        return last

    def _health_check(self, name: str) -> str | None:
        """A service others wait on healthy whose spec names no health test: its image's is read once
        the image is there, and its dependents fail at once if there is none (nor one may come)."""
        svc = self.desired.services[name]
        if svc.healthcheck or svc.replicas == 0 or name not in healthy_waited(self.desired):
            return None
        return self.b.add(
            Step(call="health-check", target=name, service=name, needs=tuple(_keys(self.images.get(svc.image))))
        )

    def _dependency_waits(self, name: str) -> tuple[list[str], list[str]]:
        """The waits a service's containers are created after: each dependency's replicas in the
        state its condition asks (``needs``; ``after`` for a dependency that is not ``required``, whose
        failure does not stop it). A replica there already is waited for by no step."""
        needs: list[str] = []
        after: list[str] = []
        for dep, cond in sorted(self.desired.services[name].depends_on.items()):
            reached = self.reached.get(dep, {})
            state = CONDITION_STATE[cond.condition]
            if state == "healthy" and "ready" in reached:
                state = "ready"
            keys = reached.get(state, [])
            if state == "healthy" and not keys and dep in self.desired.services:
                # there already, yet its health check may be none at all: the check says
                keys = _keys(self._checked(dep))
            (needs if cond.required else after).extend(keys)
        return needs, after

    def _checked(self, dep: str) -> str | None:
        key = f"health-check {dep}"
        return key if key in self.b.steps else None


def waited_goal(svc: DesiredService, target: str, image_checked: bool) -> str:
    """The state ``up`` waits for a service's containers to reach: its target, or healthy when others
    wait on it healthy and the health check is its image's."""
    return "healthy" if image_checked and target == "running" else target


def healthy_waited(desired: DesiredState) -> frozenset[str]:
    """The services some other service waits on with ``service_healthy``."""
    return frozenset(
        dep
        for svc in desired.services.values()
        for dep, cond in svc.depends_on.items()
        if cond.condition == "service_healthy" and dep in desired.services
    )


def _there(current: ObservedContainer, state: str, goal: str, job: bool) -> bool:
    """A kept container already in ``state``: its goal as ``already_there`` judges it; healthy (another
    state than its goal) only when the engine says so; image-healthy when running with no health
    check or a passing one. Never one of validator's whose launch is not recorded as complete."""
    if state == goal or (state == IMAGE_HEALTHY and job and current.state == "exited"):
        # a completed job has no image check left to pass: it is there when its goal is
        return already_there(current, goal, job)
    if not current.launched and current.owner == "validator":
        return False
    if state == IMAGE_HEALTHY:
        return current.state == "running" and current.health in (None, "healthy")
    return current.state == "running" and current.health == "healthy"


def already_there(current: ObservedContainer, target: str, job: bool) -> bool:
    """A kept container in the state up waits for: nothing to start, nothing to wait for. Only one
    whose launch completed (its record: the planner recreates the others) and, for an exited one, a
    completed job (``planner.is_job``: a server that exited 0 was stopped, not completed)."""
    if not current.launched and current.owner == "validator":
        return False
    if target == "completed" or (job and current.state == "exited"):
        # a completed one-shot job (exit 0, and its exit 0 is its completion) is not rerun
        return current.state == "exited" and current.exit_code == 0
    if current.state != "running":
        return False
    return target == "running" or current.health == "healthy"


def _keys(key: str | None) -> list[str]:
    return [key] if key is not None else []


def _unique(keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(keys))


def _stops(desired: DesiredState, observed: ObservedState, plan: Plan, b: Builder) -> dict[str, str]:
    """The replaced containers (recreate, restart, remove) stopped along the stop graph, and removed
    unless restarted: container ID -> the key of its last step."""
    by_id = {c.id: c for items in observed.containers.values() for c in items}
    going = [a for a in plan.actions if a.kind in ("recreate", "restart", "remove") and a.container_id in by_id]
    restart = frozenset(a.container_id for a in going if a.kind == "restart" and a.container_id)
    steps = stop_plan(stop_needs(desired), [by_id[a.container_id] for a in going if a.container_id], keep=restart)
    return walk_stops(steps, b)
