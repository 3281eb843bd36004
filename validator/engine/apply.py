"""Apply a plan by walking its graph (engine/graph.py) with the one executor (engine/execute.py):
each step is one engine call or one wait, run once the steps it needs are done, independent branches
at once. This module says what each call does (``_Steps``) and turns the steps' outcomes back into
each service's result (``_Results``): ready, failed naming why, or not started naming the dependency
that failed. Waits go through the event hub; a scaled service's replicas are steps of their own, and
a service is ready once every replica is."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from validator import __version__
from validator.engine import compose_labels as CL
from validator.engine import hooks
from validator.engine import labels as L
from validator.engine.body import carry_anonymous_volumes, create_body
from validator.engine.compose_observe import host_drift
from validator.engine.copies import copy_differs
from validator.engine.desired import DesiredService, DesiredState, record_made
from validator.engine.execute import StepResult, execute
from validator.engine.graph import IMAGE_HEALTHY, Step, up_graph
from validator.engine.holders import fixed_ports, port_holders
from validator.engine.launches import LaunchRecords
from validator.engine.observed import ObservedContainer, ObservedState
from validator.engine.planner import PAST_TENSE, Action, Plan, replica_slots, stop_needs, stop_plan, targets
from validator.engine.pull_first import PULLS_AT_ONCE
from validator.engine.readiness import ExecReadiness, health_argv, runs_health_check
from validator.engine.stop_graph import StopStep
from validator.engine.stopper import pre_stop
from validator.engine.timings import slowest
from validator.engine.waiter import Cancelled, EventHub, Target, Timing, Waiter, WaitFailed
from validator.errors import EngineError

if TYPE_CHECKING:
    from validator.engine.compose_fields import CopiedFile
    from validator.engine.docker_api import Engine

Progress = Callable[[str, str], None]
Status = Literal["ready", "failed", "skipped"]
# A failure of these ends up, as it always did: nothing may start on a missing image, network or volume,
# or where an old container could not be taken away (a failed pull ends it before: engine/pull_first.py)
FATAL = frozenset({"build", "create-network", "create-volume", "stop", "remove", "rename"})
# the calls that make up one replica's own outcome (its stops, removes and renames are the plan's)
OWN = frozenset({"create", "put-files", "connect", "start", "post-start", "wait"})
# Threads: one per container and one per wait step (a container's waits for its states and its
# readiness by exec may all be in flight at once), one per stop (a stop mostly waits out its grace
# period, as Compose stops all at once), and four for images,
# networks and the rest. Almost every step waits on the engine, so fewer would queue whole waits;
# the cap keeps a runaway graph from starting a thread per step.
MAX_WORKERS = 256


@dataclass(kw_only=True)
class ServiceResult:
    name: str
    status: Status
    action: str | None = None
    timing: Timing | None = None
    message: str = ""
    container: str | None = None  # the container (a scaled service's replica 1)
    containers: tuple[str, ...] = ()  # every replica's container, replica 1 first (empty: just ``container``)
    measured: dict[str, Timing] = field(default_factory=dict)  # what this run measured, by container ID


@dataclass(kw_only=True)
class UpResult:
    plan: Plan
    services: dict[str, ServiceResult] = field(default_factory=dict)
    duration: float = 0.0
    steps: dict[str, StepResult] = field(default_factory=dict)  # each step's outcome and times (up -v)
    hook_failures: list[str] = field(default_factory=list)  # pre_stop hooks that failed (stopped all the same)
    # each service's copied files (engine/copies.py), read back again when check judges it at the end
    copied: dict[str, tuple[CopiedFile, ...]] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        # every step of the graph done, not only every service ready: a step no service owns (the stop of
        # a surplus replica or an orphan, an old container's pre_stop hook) that failed or ran out of time
        # leaves the project other than the spec says, whatever each service's own result is
        return all(r.status == "ready" for r in self.services.values()) and not self.unfinished()

    def unfinished(self) -> list[str]:
        """Each step that is not done, with why (empty when every step is)."""
        undone = [f"{key}: {s.status}, {s.error}" for key, s in self.steps.items() if s.status != "done"]
        return undone + self.hook_failures


@dataclass(kw_only=True)
class _Box:
    """One replica's container as its steps go: what each step leaves for the next."""

    svc: DesiredService
    number: int
    action: Action | None
    who: str  # how messages name it: the service, or "web replica 2 (demo-web-2)"
    container: str | None = None  # its ID, once created (or the kept one's)
    extra: list[tuple[str, list[str]]] = field(default_factory=list)  # networks to connect, with aliases
    queue: queue.Queue[dict[str, Any]] | None = None  # its events, registered before its start
    requested_mono: float = 0.0
    requested_wall: float = 0.0
    create_s: float | None = None  # the create call with its copies and connects
    start_s: float | None = None
    waiter: Waiter | None = None
    checker: ExecReadiness | None = None
    timing: Timing | None = None  # what the waits measured
    settled: bool = False  # its outcome's wait ended or one of its waits failed: readiness by exec stops
    failure: str | None = None  # why its first wait to fail failed
    healthy: bool = False  # a wait for healthy ended well: its health test passed (in the engine)
    wake: threading.Event = field(default_factory=threading.Event)  # set when settled or ready by exec
    lock: threading.Lock = field(default_factory=threading.Lock)

    def settle(self, failure: str | None) -> None:
        with self.lock:
            self.settled, self.failure = True, self.failure or failure
        if self.checker is not None:
            self.checker.stop()
        self.wake.set()

    def mark_healthy(self) -> None:
        with self.lock:
            self.healthy = True
        if self.checker is not None:
            self.checker.stop()
        self.wake.set()


class Applier:
    def __init__(
        self,
        engine: Engine,
        desired: DesiredState,
        observed: ObservedState,
        plan: Plan,
        progress: Progress,
        timeout: float,
        ready_by_exec: bool = True,
        on_done: Callable[[ServiceResult], None] | None = None,
        *,
        launches: LaunchRecords,
    ) -> None:
        self.engine = engine
        # each container's launch record (engine/launches.py): written once its last launch step is done,
        # dropped before up stops or starts it again and when it is removed
        self.launches = launches
        # told each service's outcome the moment it is known, while others still start (check starts
        # that service's probes then); called from the thread walking the graph
        self.on_done = on_done
        self.desired = desired
        self.observed = observed
        self.plan = plan
        self.say = progress
        self.deadline = time.monotonic() + timeout
        self.cancel = threading.Event()
        self.image_ids = dict(observed.image_ids)
        self.graph = up_graph(desired, observed, plan, ready_by_exec=ready_by_exec)
        self.hub: EventHub | None = None
        self.targets = targets(desired)
        self.boxes = self._boxes()
        by_id = {c.id: c for items in observed.containers.values() for c in items}
        going = [a for a in plan.actions if a.kind in ("recreate", "restart", "remove") and a.container_id in by_id]
        restart = frozenset(a.container_id for a in going if a.kind == "restart" and a.container_id)
        old = [by_id[a.container_id] for a in going if a.container_id]
        self.stops = {s.name: s for s in stop_plan(stop_needs(desired), old, keep=restart)}
        self.stop_began: dict[str, float] = {}
        self.hook_failures: list[str] = []  # pre_stop hooks that failed, in the order they ran
        self.builds = threading.Semaphore(PULLS_AT_ONCE)  # builds stream layers as pulls do
        self.results = _Results(self)

    def _boxes(self) -> dict[str, _Box]:
        out = {}
        for name, svc in self.desired.services.items():
            slots, _ = replica_slots(self.observed.containers.get(name, ()), svc.replicas)
            for number in range(1, svc.replicas + 1):
                who = name if svc.replicas == 1 else f"{name} replica {number} ({svc.replica_name(number)})"
                current = slots.get(number)
                out[svc.replica_name(number)] = _Box(
                    svc=svc,
                    number=number,
                    action=self.plan.for_replica(name, number),
                    who=who,
                    container=current.id if current is not None else None,
                )
        return out

    def run(self) -> UpResult:
        started = time.monotonic()
        if self.plan.conflicts:
            raise EngineError("cannot proceed: " + "; ".join(self.plan.conflicts))
        self._announce()
        self.hub = EventHub(self.engine, self.desired.project)  # subscribe before any container changes
        containers = sum(1 for step in self.graph.steps if step.state == "running")
        waits = sum(1 for step in self.graph.steps if step.call == "wait")
        workers = min(MAX_WORKERS, containers + waits + len(self.stops) + 4)
        self.results.begin()
        try:
            outcome = execute(
                self.graph.steps,
                self._step,
                workers=workers,
                failures=(EngineError, WaitFailed, Cancelled),
                cancel=self.cancel,
                on_cancel=self.hub.interrupt,
                fatal=lambda step: isinstance(step, Step) and step.call in FATAL,
                on_finished=self.results.finished,
                deadline=self.deadline,
                grace=5.0,
            )
        finally:
            self.hub.close()
        if outcome.raised is not None:  # an interrupt, a lost engine (EngineLost, UnreachableError)
            raise outcome.raised
        if outcome.fatal is not None:
            raise EngineError(outcome.fatal.error)
        result = UpResult(plan=self.plan, steps=outcome.steps, hook_failures=list(self.hook_failures))
        result.services = self.results.all()
        result.duration = time.monotonic() - started
        return result

    def kept(self, name: str) -> list[str]:
        """The containers of service ``name`` this run gave no step (kept as found, judged by the
        observation: engine/kept.py judges them again at the end of up)."""
        touched = {self.results.steps[key].target for key in self.results.own.get(name, [])}
        return [
            box.container
            for target, box in self.boxes.items()
            if box.svc.name == name and box.container is not None and target not in touched
        ]

    def _announce(self) -> None:
        for action in self.plan.actions:
            if action.kind in ("recreate", "remove") and action.service and action.container_id:
                verb = "recreating" if action.kind == "recreate" else f"removing {action.target}"
                self.say(action.service, f"{verb}: " + "; ".join(action.reasons))

    # --- the steps ----------------------------------------------------------------------------------
    def _step(self, step: Any) -> None:
        assert isinstance(step, Step)
        {
            "stop": self._stop,
            "remove": self._remove,
            "build": self._build,
            "create-network": self._network,
            "create-volume": self._volume,
            "rename": self._rename,
            "health-check": self._health_check,
            "create": self._create_step,
            "put-files": self._put_files,
            "connect": self._connect,
            "start": self._start_step,
            "post-start": self._post_start_step,
            "wait": self._wait,
        }[step.call](step)

    def _orphan(self, name: str) -> ObservedContainer | None:
        return next((o for o in self.observed.orphans if o.name == name), None)

    def _stop(self, step: Step) -> None:
        orphan = self._orphan(step.target)
        if orphan is not None:
            self.engine.stop(orphan.id, 10)
            return
        stop = self.stops[step.target]
        who = stop.service or stop.name
        self.stop_began[stop.name] = time.monotonic()
        # stopped, it is no longer launched: a restart that does not get to its post_start leaves no record
        self.launches.forget(stop.container, required=True)
        hook_error = pre_stop(self.engine, stop)
        if hook_error is not None:
            # stopped all the same (as down does), but up is not ok: down fails on the same hook
            self.hook_failures.append(f"pre_stop of {stop.name}: {hook_error}")
            self.say(who, f"FAILED: {hook_error}")
        self._engine_call(who, stop.name, lambda: self.engine.stop(stop.container, stop.timeout))
        if not stop.remove:
            self.say(who, f"stopped after {time.monotonic() - self.stop_began[stop.name]:.2f}s")

    def _remove(self, step: Step) -> None:
        orphan = self._orphan(step.target)
        if orphan is not None:
            self.engine.remove_container(orphan.id)
            self.launches.forget(orphan.id)
            self.say("orphan", f"{orphan.name} removed")
            return
        stop: StopStep = self.stops[step.target]
        who = stop.service or stop.name
        self._engine_call(who, stop.name, lambda: self.engine.remove_container(stop.container))
        self.launches.forget(stop.container)
        self.say(who, f"removed after {time.monotonic() - self.stop_began.get(stop.name, time.monotonic()):.2f}s")

    def _engine_call(self, who: str, name: str, call: Callable[[], None]) -> None:
        """A stop or remove: its failure said at once and named by the container (the run then ends)."""
        try:
            call()
        except EngineError as exc:
            self.say(who, f"FAILED: {exc}")
            raise EngineError(f"{name}: {exc}") from exc

    def _rename(self, step: Step) -> None:
        action = next(a for a in self.plan.actions if a.kind == "rename" and a.target == step.target)
        assert action.container_id and action.new_name
        self.engine.rename(action.container_id, action.new_name)
        self.say(action.service or action.target, f"{action.target} renamed to {action.new_name}")

    def _build(self, step: Step) -> None:
        svc = self.desired.services[step.service or ""]
        assert svc.build is not None
        with self.builds:
            began = time.monotonic()
            self.say(svc.name, f"building {svc.image}")
            self.image_ids[svc.image] = self.engine.build(
                svc.build["context"],
                svc.image,
                svc.build["dockerfile"],
                svc.build["args"],
                svc.build["target"],
                {L.PROJECT: self.desired.project},
                lambda line: self.say(svc.name, line),
                svc.build.get("options"),
            )
            self.say(svc.name, f"image {svc.image} ready in {time.monotonic() - began:.1f}s")

    def _network(self, step: Step) -> None:
        net = next(n for n in self.desired.networks.values() if n.name == step.target)
        self.engine.create_network(
            net.name,
            {
                **net.labels,
                **CL.network_labels(self.desired.project, net.key, __version__),
                L.PROJECT: self.desired.project,
                L.NETWORK: net.key,
            },
            net.driver,
            net.internal,
            net.enable_ipv6,
            net.options,
            ipam=net.ipam,
            attachable=net.attachable,
        )
        self.say("network", f"{net.name} created")

    def _volume(self, step: Step) -> None:
        vol = next(v for v in self.desired.volumes.values() if v.name == step.target)
        self.engine.create_volume(
            vol.name,
            {
                **vol.labels,
                **CL.volume_labels(self.desired.project, vol.key, __version__),
                L.PROJECT: self.desired.project,
                L.VOLUME: vol.key,
            },
            vol.driver,
            vol.options,
        )
        self.say("volume", f"{vol.name} created")

    def _health_check(self, step: Step) -> None:
        """A service others wait on healthy with no test in the spec: its image's test, else it can never
        be healthy and its dependents fail at once instead of waiting out the whole timeout (Compose
        fails within a second too)."""
        svc = self.desired.services[step.target]
        if svc.config.get("healthcheck") == "disabled":
            raise EngineError("has its health check disabled")
        image = self.engine.inspect_image(svc.image) or {}
        test = ((image.get("Config") or {}).get("Healthcheck") or {}).get("Test") or []
        if not test or test[0] == "NONE":
            raise EngineError(f"has no health check (neither the spec nor its image {svc.image} defines one)")

    def _create_step(self, step: Step) -> None:
        box = self.boxes[step.target]
        box.requested_mono, box.requested_wall = time.monotonic(), time.time()
        box.container = self._create(box)
        box.create_s = time.monotonic() - box.requested_mono

    def _put_files(self, step: Step) -> None:
        box = self.boxes[step.target]
        assert box.container is not None
        self._timed(box, lambda: self.engine.put_files(box.container or "", box.svc.files))

    def _connect(self, step: Step) -> None:
        box = self.boxes[step.target]
        svc = box.svc

        def connect() -> None:
            for network, aliases in box.extra:
                address = svc.config.get("network_addresses", {}).get(network)
                self.engine.connect_network(box.container or "", network, aliases, address, svc.links(box.number))

        self._timed(box, connect)

    @staticmethod
    def _timed(box: _Box, call: Callable[[], None]) -> None:
        """A call that counts with the create (the copies and connects made before the start)."""
        began = time.monotonic()
        call()
        with box.lock:
            box.create_s = (box.create_s or 0.0) + time.monotonic() - began

    def _start_step(self, step: Step) -> None:
        """Start the container (a restart's was stopped with the replaced ones); its events are watched
        from before the start."""
        assert self.hub is not None
        box = self.boxes[step.target]
        assert box.container is not None and box.action is not None
        self._check_cancel(box.svc.name)
        if box.action.kind not in ("create", "recreate"):
            box.requested_mono, box.requested_wall = time.monotonic(), time.time()
            # started again: launched once its post_start hooks are done again
            self.launches.forget(box.container, required=True)
        box.queue = self.hub.register(box.container)
        self._start(box.svc, box.container, box)
        self._read_back(box)
        if not box.svc.config.get("post_start"):
            self._launched(box)

    def _read_back(self, box: _Box) -> None:
        """A copied file counts once the started container holds it: each is read back (one archive
        call per file per start; again at the end of up and by every plan: engine/copies.py) and must
        be what was copied, before the
        launch record vouches for it and before any post_start hook may change it. The copy went into
        the created container; what the start mounts over it (the engine's /etc/hosts, a volume whose
        driver mounts it afresh) is seen here. A tmpfs is not (the archive API reads the layer under
        it): lint refuses a target there (validator.spec.copied)."""
        assert box.container is not None
        for item in box.svc.files:
            back = self.engine.read_file(box.container, item.path, len(item.content))
            why = copy_differs(item, back)
            if why is not None:
                what = "secret" if item.secret else "config"
                raise EngineError(
                    f"{box.who}: the {what} copied to {item.path} is not in the started container ({why}): "
                    "a mount made at the start or the container's own process replaced it"
                )

    def _post_start_step(self, step: Step) -> None:
        box = self.boxes[step.target]
        assert box.container is not None
        # the start the hooks run on, read before them: the record vouches for it alone, so a start after
        # it (a crash and the restart policy while the hooks run, a restart by hand) is never taken for
        # one the hooks ran on (engine/launches.py)
        started = ((self.engine.try_inspect(box.container) or {}).get("State") or {}).get("StartedAt")
        self._post_start(box.svc, box.container)
        self._launched(box, started_at=started if isinstance(started, str) else None)

    def _launched(self, box: _Box, *, started_at: str | None = None) -> None:
        """Its last launch step is done (create, copies, connects and start before it): recorded, so the
        next up keeps it. A failure of any of them leaves no record, and the next up recreates it.
        ``started_at``: the start its post_start hooks ran on (None: it has none, any start will do)."""
        assert box.container is not None
        self.launches.record(
            box.container, service=box.svc.name, config_hash=box.svc.config_hash, started_at=started_at
        )

    def _wait(self, step: Step) -> None:
        """One wait of the container: running, then each further state the graph waits for. The
        running phase and the container's outcome (its last wait: completed, healthy, else running)
        share one waiter; any other state (healthy of a job whose outcome is completed, its image's
        health check) has a waiter of its own on the same events, so each wait ends on exactly its
        state. The outcome's wait ending well finishes the container."""
        box = self.boxes[step.target]
        if step.state == "ready":
            self._ready(box)
            return
        outcome = self._outcome(step.target)
        if step.state == IMAGE_HEALTHY:
            timing = self._image_healthy(box)
        elif step.state in ("running", outcome):
            goal: Target = "completed" if outcome == "completed" else "healthy" if outcome == "healthy" else "running"
            primary = box.waiter or self._primary(box, goal)
            timing = self._waited(box, primary, until="running" if step.state == "running" else None)
        else:
            target: Target = "completed" if step.state == "completed" else "healthy"
            waiter = self._new_waiter(box, target, Timing(box.requested_wall, create=box.create_s, start=box.start_s))
            self._waited(box, waiter)
            timing = box.timing or waiter.timing
        if step.state == "healthy":
            box.mark_healthy()
        if step.state == outcome:
            self._finish(box, timing)

    def _outcome(self, target: str) -> str:
        """The state a container's last wait is for: what its service's result says it reached."""
        keys = self.results.step_keys
        return next((s for s in ("completed", "healthy", IMAGE_HEALTHY) if f"wait {target} {s}" in keys), "running")

    @staticmethod
    def _waited(box: _Box, waiter: Waiter, until: Target | None = None) -> Timing:
        try:
            return waiter.wait(until=until)
        except (WaitFailed, Cancelled) as exc:
            if waiter is box.waiter and isinstance(exc, WaitFailed):
                box.timing = exc.timing
            box.settle(str(exc).split("\n")[0])
            raise

    def _image_healthy(self, box: _Box) -> Timing:
        """A container whose spec names no health test: ready only once its image's health check, if
        the container has one, says healthy (``check`` judges it by the same ``runs_health_check``)."""
        assert box.container is not None and box.timing is not None
        if not runs_health_check(self.engine.inspect(box.container)):
            return box.timing
        waiter = self._new_waiter(box, "healthy", Timing(box.requested_wall, create=box.create_s, start=box.start_s))
        measured = self._waited(box, waiter)
        box.timing.healthy_at, box.timing.healthy = measured.healthy_at, measured.healthy
        return box.timing

    def _primary(self, box: _Box, goal: Target) -> Waiter:
        assert self.hub is not None and box.container is not None
        if box.queue is None:  # kept, started by an earlier run: watched from now
            box.requested_mono, box.requested_wall = time.monotonic(), time.time()
            box.queue = self.hub.register(box.container)
        box.timing = Timing(box.requested_wall, create=box.create_s, start=box.start_s)
        box.waiter = self._new_waiter(box, goal, box.timing, box.queue)
        return box.waiter

    def _new_waiter(
        self, box: _Box, goal: Target, timing: Timing, events: queue.Queue[dict[str, Any]] | None = None
    ) -> Waiter:
        """A waiter for ``goal`` on the container's events (a queue of its own unless given), counting
        from when the container's first waiter saw it running."""
        assert self.hub is not None and box.container is not None
        svc = box.svc
        waiter = Waiter(
            engine=self.engine,
            events=events or self.hub.register(box.container),
            container=box.container,
            service=box.who,
            target=goal,
            startup_timeout=svc.startup_timeout,
            health_timeout=svc.health_timeout,
            restart_grace=svc.restart_grace,
            requested_mono=box.requested_mono,
            timing=timing,
            deadline=self.deadline,
            restartable=svc.config.get("restart") not in (None, "no"),
            fresh=box.action is not None,
        )
        if box.waiter is not None:
            waiter.follow(box.waiter)
        return waiter

    def _finish(self, box: _Box, timing: Timing) -> None:
        checker = box.checker
        if checker is not None and checker.ready_mono is not None and timing.startup is not None:
            timing.ready_at = checker.ready_wall
            timing.ready = max(0.0, checker.ready_mono - (box.requested_mono + timing.startup))
        box.timing = timing
        box.settle(None)
        if box.action is not None:
            self._say_done(box.svc, box.action, timing)

    def _ready(self, box: _Box) -> None:
        """Readiness by exec (readiness.py): the service's own health test run in the container until
        it passes; done then, or once the engine says healthy (the same test passed there), never
        because another wait ended well (a job that completed without passing it is not ready). Any
        wait of the container failing fails it, as it fails the service."""
        svc = box.svc
        argv = health_argv(svc.config.get("healthcheck"))
        assert argv is not None and box.container is not None
        hc = svc.config["healthcheck"]
        checker = ExecReadiness(
            self.engine,
            container=box.container,
            argv=argv,
            timeout=float(hc.get("timeout") or 30.0),
            until=min(self.deadline, time.monotonic() + svc.startup_timeout + svc.health_timeout),
            on_ready=box.wake.set,
        )
        with box.lock:
            box.checker = checker
            settled = box.settled
        if settled:
            checker.stop()
        while time.monotonic() < self.deadline + 5:  # the waits end by the deadline at the latest
            box.wake.wait(min(1.0, max(0.05, self.deadline + 5 - time.monotonic())))
            box.wake.clear()  # set again by whatever comes next (each sets its flag first, then wakes)
            with box.lock:
                healthy, failure = box.healthy, box.failure
            if checker.ready_mono is not None or healthy:
                return
            if failure is not None:
                raise EngineError(failure)
            if self.cancel.is_set():
                raise Cancelled(box.who)
        raise EngineError(f"{box.who}: the overall time limit ran out")

    def _say_done(self, svc: DesiredService, action: Action, timing: Timing) -> None:
        detail = f"running after {timing.startup:.2f}s" if timing.startup is not None else "ready"
        if timing.ready is not None:
            detail += f", ready by exec {timing.ready:.2f}s later"
        if timing.healthy is not None:
            detail += f", healthy {timing.healthy:.2f}s later"
        what = PAST_TENSE.get(action.kind, action.kind)
        self.say(svc.name, f"{what}, {detail}" if svc.replicas == 1 else f"{action.target} {what}, {detail}")

    def _check_cancel(self, name: str) -> None:
        if self.cancel.is_set():
            raise Cancelled(name)

    def _create(self, box: _Box) -> str:
        svc, number = box.svc, box.number
        self._check_cancel(svc.name)
        for directory in svc.host_dirs:
            Path(directory.path).mkdir(parents=True, exist_ok=True)
        # what was made is recorded as it is now: the label, and the launch record, hold the next look's hash
        box.svc = svc = record_made(svc, Path(self.desired.working_dir), self.desired.key)
        image_id = self.image_ids.get(svc.image) or self.engine.image_id(svc.image)
        if image_id is None:
            raise EngineError(f"image {svc.image} is not present (pull or build it first)")
        body, box.extra = create_body(
            svc=svc,
            project=self.desired.project,
            image_id=image_id,
            spec_files=self.desired.spec_files,
            api_version=self.engine.api_version,
            version=__version__,
            replica=number,
            working_dir=self.desired.working_dir,
        )
        if box.action is not None and box.action.kind == "recreate" and box.action.container_id:
            body = carry_anonymous_volumes(body, self.observed.details.get(box.action.container_id))
        container = self.engine.create_container(svc.replica_name(number), body, svc.config.get("platform"))
        self._require_applied(svc, container, body)
        return container

    def _require_applied(self, svc: DesiredService, container: str, body: dict[str, Any]) -> None:
        """A setting the engine accepted but discarded at create (``blkio_config.weight`` on a kernel
        without the blkio controller: a warning, then 0) leaves a container that is not what the spec
        asks: the service fails naming the setting, rather than running without it."""
        detail = self.engine.try_inspect(container) or {}
        discarded = host_drift(body.get("HostConfig") or {}, detail.get("HostConfig") or {})
        if discarded:
            raise EngineError(
                f"{svc.name}: the engine did not apply what the spec asks ({'; '.join(discarded)}): "
                "this engine or kernel cannot apply it; remove the setting or run on an engine that can"
            )

    def _post_start(self, svc: DesiredService, container: str) -> None:
        """Compose's ``post_start`` hooks, in order, once the container runs; a failing one fails the
        service (engine/hooks.py). Bounded by the service's startup timeout and the run's deadline."""
        entries = svc.config.get("post_start")
        if not entries:
            return
        bound = max(1.0, min(svc.startup_timeout, self.deadline - time.monotonic()))
        why = hooks.run(self.engine, container, "post_start", entries, bound)
        if why is not None:
            raise EngineError(f"{svc.name}: {why}")

    def _start(self, svc: DesiredService, container: str, box: _Box) -> None:
        """Start the container at once, whatever it publishes: on engine 20.10 concurrent starts with
        fixed, ephemeral or ranged host ports never failed (tests/integration/test_port_races.py); the
        one port failure found (a host range on one IP overlapping the same range on every interface)
        happens just the same when the containers start one by one, so no lock would avoid it."""
        began = time.monotonic()
        try:
            self.engine.start(container)
        except EngineError as exc:
            # the engine names the port it could not bind, not who holds it
            held = port_holders(self.engine, fixed_ports(svc.config.get("ports", [])), container)
            if held:
                raise EngineError(f"{exc} ({'; '.join(held)})") from exc
            raise
        box.start_s = time.monotonic() - began


class _Results:
    """Each service's result from its steps' outcomes, told (``on_done``) once all its steps ended."""

    def __init__(self, applier: Applier) -> None:
        self.a = applier
        self.steps = {step.key: step for step in applier.graph.steps}
        self.step_keys = frozenset(self.steps)
        self.outcomes: dict[str, StepResult] = {}
        self.lock = threading.Lock()
        self.own: dict[str, list[str]] = {name: [] for name in applier.desired.services}
        for step in applier.graph.steps:
            if step.call in OWN and step.service in self.own:
                self.own[step.service].append(step.key)
        self.reported: dict[str, ServiceResult] = {}
        # the steps a failure of which ends up: the services no step of which starts or waits are told
        # once all of these are done (a scale down's removes and renames among them)
        self.fatal_left = {step.key for step in applier.graph.steps if step.call in FATAL}

    def done(self, key: str) -> bool:
        with self.lock:
            outcome = self.outcomes.get(key)
        return outcome is not None and outcome.status == "done"

    def begin(self) -> None:
        if not self.fatal_left:
            self._quiet()

    def _quiet(self) -> None:
        """Services no step of which starts or waits (kept as they are, scaled down, scale 0)."""
        for name in self.a.plan.order:
            if not self.own[name] and name not in self.reported:
                self._report(name)

    def finished(self, outcome: StepResult) -> None:
        with self.lock:
            self.outcomes[outcome.key] = outcome
        if outcome.key in self.fatal_left and outcome.status == "done":
            self.fatal_left.discard(outcome.key)
            if not self.fatal_left:
                self._quiet()
        step = self.steps[outcome.key]
        name = step.service
        if step.call not in OWN or name is None or name in self.reported:
            return
        if all(key in self.outcomes for key in self.own[name]):
            self._report(name)

    def all(self) -> dict[str, ServiceResult]:
        for name in self.a.plan.order:
            if name not in self.reported:
                self._report(name)
        return {name: self.reported[name] for name in self.a.plan.order}

    def _report(self, name: str) -> None:
        result = self._service(name)
        if result.action is None and any(
            a.service == name and a.kind in ("remove", "rename") for a in self.a.plan.actions
        ):
            # only replicas removed or renamed: the ones that run were kept
            kinds = {a.kind for a in self.a.plan.actions if a.service == name}
            result.action = "rename" if kinds == {"rename"} else "scale"
        if result.status == "failed":
            self.a.say(name, f"FAILED: {result.message}")
        self.reported[name] = result
        if self.a.on_done is not None:
            self.a.on_done(result)

    def _service(self, name: str) -> ServiceResult:
        svc = self.a.desired.services[name]
        if svc.replicas == 0:  # scale 0: its containers were removed with the others
            return ServiceResult(name=name, status="ready", message="runs no container (scale 0)")
        blocked = self._blocked(name)
        if blocked is not None:
            return blocked
        numbers = range(1, svc.replicas + 1)
        outcomes: dict[int, ServiceResult] = {}
        failures: dict[int, tuple[str, bool]] = {}  # number -> (message, a wait's)
        for number in numbers:
            failed = self._replica_failure(svc, number)
            if failed is None:
                outcomes[number] = self._replica_ready(svc, number)
            else:
                failures[number] = failed
        if failures:
            return self._failed(svc, outcomes, failures)
        if svc.replicas == 1:
            return outcomes[1]
        ordered = [outcomes[number] for number in numbers]
        measured = {cid: t for r in ordered for cid, t in r.measured.items()}
        # the slowest of what was measured now; reconcile.up adds the replicas that were kept
        return ServiceResult(
            name=name,
            status="ready",
            action=next((r.action for r in ordered if r.action), None),
            timing=slowest(list(measured.values())) if measured else None,
            container=ordered[0].container,
            containers=tuple(r.container or "" for r in ordered),
            measured=measured,
        )

    def _own_of(self, svc: DesiredService, number: int) -> list[StepResult]:
        target = svc.replica_name(number)
        with self.lock:
            return [
                self.outcomes[key]
                for key in self.own[svc.name]
                if self.steps[key].target == target and key in self.outcomes
            ]

    def _ignored(self, result: StepResult, name: str) -> bool:
        """A wait for healthy its own image's health check ruled out: its dependents fail on it, the
        service itself is judged by its target (running)."""
        return result.status == "not run" and result.blocked_by == f"health-check {name}"

    def _replica_failure(self, svc: DesiredService, number: int) -> tuple[str, bool] | None:
        for result in self._own_of(svc, number):
            if self._ignored(result, svc.name) or result.status == "done":
                continue
            step = self.steps[result.key]
            box = self.a.boxes[svc.replica_name(number)]
            if step.call == "wait" and step.state != "ready" and result.status == "failed":
                return result.error, True
            if result.status == "failed" and step.call == "wait":
                continue  # readiness by exec failed with the waits: their failure says why
            if result.status == "failed":
                message = result.error if svc.replicas == 1 else f"{box.who}: {result.error}"
                return message, False
            if result.blocked_by is None:  # cancelled, or out of time
                return result.error, False
        return None

    def _replica_ready(self, svc: DesiredService, number: int) -> ServiceResult:
        box = self.a.boxes[svc.replica_name(number)]
        if box.action is None or box.timing is None:
            return ServiceResult(name=svc.name, status="ready", container=box.container)
        cid = box.container or ""
        return ServiceResult(
            name=svc.name,
            status="ready",
            action=box.action.kind,
            timing=box.timing,
            container=cid,
            measured={cid: box.timing},
        )

    def _failed(
        self, svc: DesiredService, outcomes: dict[int, ServiceResult], failures: dict[int, tuple[str, bool]]
    ) -> ServiceResult:
        first, waited = failures[min(failures)]
        message = first
        if len(failures) > 1:
            message += "\n  also failed: " + ", ".join(svc.replica_name(n) for n in sorted(failures)[1:])
        if not waited:
            return ServiceResult(name=svc.name, status="failed", message=message)
        planned = self.a.plan.for_service(svc.name)
        boxes = [self.a.boxes[svc.replica_name(n)] for n in failures]
        # what every replica measured, failed or not: a figure stands only when each replica has one
        timings = [t for r in outcomes.values() for t in r.measured.values()]
        timings += [b.timing for b in boxes if b.timing is not None]
        if svc.replicas == 1:
            timing = boxes[0].timing
        else:
            timing = slowest(timings) if timings else None
            if timing is not None and len(timings) < svc.replicas:
                timing.startup = timing.healthy = None
        return ServiceResult(
            name=svc.name,
            status="failed",
            action=planned.kind if planned else None,
            timing=timing,
            message=message,
        )

    def _blocked(self, name: str) -> ServiceResult | None:
        """Not started: a step of this service waited on a dependency's step that failed (or was not
        run because one of its own dependencies failed)."""
        for key in self.own[name]:
            with self.lock:
                result = self.outcomes.get(key)
            if result is None or result.status != "not run" or result.blocked_by is None:
                continue
            root = self.steps[result.blocked_by]
            if root.service == name or root.call in FATAL:
                continue
            dep = self._dependency(key, name)
            if root.call == "health-check":
                why = self.outcomes[root.key].error
                message = f"not started: dependency {dep} {why}, so service_healthy can never hold"
                return ServiceResult(name=name, status="failed", message=message)
            return ServiceResult(name=name, status="skipped", message=f"not started: dependency {dep} {self._why(dep)}")
        return None

    def _dependency(self, key: str, name: str) -> str:
        """The dependency of ``name`` whose step stopped ``key`` (its first step needing another's
        that was not done)."""
        step = self.steps[key]
        while True:
            for need in step.needs:
                other = self.steps[need]
                if other.service not in (None, name) and not self.done(need):
                    return other.service or ""
            own_needs = [n for n in step.needs if self.steps[n].service == name]
            if not own_needs:
                return self.steps[step.needs[0]].target if step.needs else "?"
            step = self.steps[own_needs[0]]

    def _why(self, dep: str) -> str:
        """Why a dependency will not reach its state: its result's first line when known, else its
        first failed step's."""
        reported = self.reported.get(dep)
        if reported is not None and reported.status != "ready":
            return reported.message.split("\n")[0]
        with self.lock:
            failed = [r for key, r in self.outcomes.items() if self.steps[key].service == dep and r.status == "failed"]
        if failed:
            box = self.a.boxes.get(self.steps[failed[0].key].target)
            first = failed[0].error.split("\n")[0]
            if box is not None and box.svc.replicas > 1 and not first.startswith(box.who):
                return f"{box.who}: {first}"
            return first
        blocked = self._blocked(dep)
        return blocked.message.split("\n")[0] if blocked is not None else "failed"
