"""Apply a plan: orphans out, images in, networks and volumes, the old containers of recreated and
restarted services (and the replicas a scale down removes) stopped along the stop graph (in parallel,
dependents first), renames, then every service in dependency order with independent branches in
parallel. Each service starts once its dependencies meet their ``depends_on`` conditions and is then
waited for through the event hub; a scaled service's replicas start and are waited for in parallel,
and the service is ready once all of them are."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from validator import __version__
from validator.engine import compose_labels as CL
from validator.engine import hooks
from validator.engine import labels as L
from validator.engine.body import create_body
from validator.engine.compose_observe import host_drift
from validator.engine.desired import DesiredService, DesiredState
from validator.engine.holders import fixed_ports, port_holders
from validator.engine.observed import ObservedContainer, ObservedState
from validator.engine.planner import (
    PAST_TENSE,
    Action,
    Plan,
    exec_ready_services,
    replica_slots,
    stop_needs,
    stop_plan,
    targets,
)
from validator.engine.readiness import ExecReadiness, health_argv
from validator.engine.stopper import raise_failures, run_stops
from validator.engine.timings import slowest
from validator.engine.waiter import Cancelled, EventHub, Timing, Waiter, WaitFailed
from validator.errors import EngineError, EngineLost, Interrupted, UnreachableError

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine

Progress = Callable[[str, str], None]
Status = Literal["ready", "failed", "skipped"]
_ORDER = ("pending", "running", "healthy", "completed")


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

    @property
    def ok(self) -> bool:
        return all(r.status == "ready" for r in self.services.values())


class _Progress:
    """Where a service has got to, for the services that depend on it."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.state = "pending"
        self.failed: str | None = None

    def reach(self, state: str) -> None:
        with self.cond:
            if _ORDER.index(state) > _ORDER.index(self.state):
                self.state = state
            self.cond.notify_all()

    def fail(self, why: str) -> None:
        with self.cond:
            self.failed = why
            self.cond.notify_all()

    def wait_for(self, state: str, deadline: float, cancel: threading.Event) -> str | None:
        """None once ``state`` is reached; otherwise why it never will be."""
        with self.cond:
            while True:
                if _ORDER.index(self.state) >= _ORDER.index(state):
                    return None
                if self.failed is not None:
                    return self.failed
                if cancel.is_set():
                    return "cancelled"
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return "timed out"
                self.cond.wait(min(remaining, 1.0))


class _Tally:
    """The replicas of a scaled service that are running, and ready by exec: the service reaches
    each state once all of them have (dependents wait for every replica)."""

    def __init__(self, replicas: int, progress: _Progress) -> None:
        self.replicas = replicas
        self.progress = progress
        self.lock = threading.Lock()
        self.seen: dict[str, set[int]] = {"running": set(), "healthy": set()}

    def _count(self, state: str, number: int) -> None:
        # by replica number: a replica that restarts (restart_grace) reports running again
        with self.lock:
            self.seen[state].add(number)
            reached = len(self.seen[state]) == self.replicas
        if reached:
            self.progress.reach(state)

    def running(self, number: int) -> None:
        self._count("running", number)

    def ready(self, number: int) -> None:
        self._count("healthy", number)


@dataclass(kw_only=True)
class _Launched:
    """A replica's container once its action is carried out, and when that was asked for."""

    container: str
    queue: queue.Queue[dict[str, Any]]  # its events, registered with the hub before its start
    requested_mono: float = field(default_factory=time.monotonic)
    requested_wall: float = field(default_factory=time.time)
    create_s: float | None = None  # how long the create call took (None: not created now)


def _condition_state(condition: str) -> str:
    return {"service_started": "running", "service_healthy": "healthy", "service_completed_successfully": "completed"}[
        condition
    ]


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
    ) -> None:
        self.engine = engine
        # told each service's outcome the moment it is known, while others still start (check starts
        # that service's probes then); called from the service's own thread
        self.on_done = on_done
        self.desired = desired
        self.observed = observed
        self.plan = plan
        self.say = progress
        self.deadline = time.monotonic() + timeout
        self.cancel = threading.Event()
        self.image_ids = dict(observed.image_ids)
        self.progress = {name: _Progress() for name in desired.services}
        self.targets = targets(desired)
        self.hub: EventHub | None = None
        # services others wait on with service_healthy: those count ready once their own health test
        # passes by exec (readiness.py); for the rest an earlier "ready" would change nothing
        self.exec_ready = exec_ready_services(desired) if ready_by_exec else frozenset()
        self.start_seconds: dict[str, float] = {}  # per container, how long the engine's start call took
        self.never_healthy: dict[str, str] = {}  # services that can never be healthy, with why (_health_sources)

    def run(self) -> UpResult:
        started = time.monotonic()
        result = UpResult(plan=self.plan)
        if self.plan.conflicts:
            raise EngineError("cannot proceed: " + "; ".join(self.plan.conflicts))
        for action in self.plan.actions:
            if action.kind == "remove-orphan":
                self._remove_orphan(action)
        self._images([a for a in self.plan.actions if a.kind in ("pull", "build")])
        self.never_healthy = self._health_sources()
        self._networks_and_volumes()
        self._stop_replaced()
        self.hub = EventHub(self.engine, self.desired.project)  # subscribe before any container changes
        try:
            with ThreadPoolExecutor(
                max_workers=max(1, len(self.desired.services)), thread_name_prefix="validator-up"
            ) as pool:
                futures = {pool.submit(self._reported, name): name for name in self.plan.order}
                try:
                    pending = set(futures)
                    while pending:
                        _, pending = wait(pending, timeout=max(0.1, self.deadline - time.monotonic() + 5))
                        if pending and time.monotonic() > self.deadline + 5:
                            break
                # EngineLost is raised by the run watcher (validator/abort.py)
                except (Interrupted, KeyboardInterrupt, EngineLost):
                    self.cancel.set()
                    self.hub.interrupt()
                    for progress in self.progress.values():
                        progress.fail("cancelled")
                    raise
                for future, name in futures.items():
                    if future.done():
                        exc = future.exception()
                        if isinstance(exc, UnreachableError):
                            raise exc
                        if exc is not None and not isinstance(exc, Cancelled):
                            raise exc
                        result.services[name] = (
                            future.result()
                            if exc is None
                            else ServiceResult(name=name, status="failed", message="cancelled")
                        )
                    else:
                        result.services[name] = ServiceResult(
                            name=name, status="failed", message="the overall time limit ran out"
                        )
        finally:
            self.hub.close()
        result.duration = time.monotonic() - started
        return result

    # --- steps --------------------------------------------------------------------------------
    def _networks_and_volumes(self) -> None:
        for action in self.plan.actions:
            if action.kind == "create-network":
                net = next(n for n in self.desired.networks.values() if n.name == action.target)
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
            elif action.kind == "create-volume":
                vol = next(v for v in self.desired.volumes.values() if v.name == action.target)
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

    def _health_sources(self) -> dict[str, str]:
        """Services others wait on with ``service_healthy`` whose health check comes from their image
        (the spec names no test): they are waited on until healthy. Those whose image has none either
        (or whose check is disabled) can never be healthy: returned with why, so their dependents
        fail at once instead of waiting out the whole timeout (Compose fails within a second too)."""
        waited = {
            dep
            for svc in self.desired.services.values()
            for dep, cond in svc.depends_on.items()
            if cond.condition == "service_healthy" and dep in self.desired.services
        }
        never: dict[str, str] = {}
        for name in sorted(waited):
            svc = self.desired.services[name]
            if svc.healthcheck or svc.replicas == 0:
                continue
            if svc.config.get("healthcheck") == "disabled":
                never[name] = "has its health check disabled"
                continue
            image = self.engine.inspect_image(svc.image) or {}
            test = ((image.get("Config") or {}).get("Healthcheck") or {}).get("Test") or []
            if test and test[0] != "NONE":
                self.targets[name] = "healthy"
            else:
                never[name] = f"has no health check (neither the spec nor its image {svc.image} defines one)"
        return never

    def _remove_orphan(self, action: Action) -> None:
        orphan = next(o for o in self.observed.orphans if o.name == action.target)
        self.engine.stop(orphan.id, 10)
        self.engine.remove_container(orphan.id)
        self.say("orphan", f"{orphan.name} removed")

    def _stop_replaced(self) -> None:
        """Take down the old containers of every replica to recreate or restart, and the replicas a
        scale down removes, before any service starts, all at once along the stop graph (a dependent
        goes before what it depends on), as Compose does: N changed services then wait one grace
        period, not N in a row. Then rename the replicas whose name changes with the replica count
        (the names the removed ones held are free by then)."""
        by_id = {c.id: c for items in self.observed.containers.values() for c in items}
        going = [
            a for a in self.plan.actions if a.kind in ("recreate", "restart", "remove") and a.container_id in by_id
        ]
        for action in going:
            if action.kind in ("recreate", "remove") and action.service:
                verb = "recreating" if action.kind == "recreate" else f"removing {action.target}"
                self.say(action.service, f"{verb}: " + "; ".join(action.reasons))
        if going:
            restart = frozenset(a.container_id for a in going if a.kind == "restart" and a.container_id)
            old = [by_id[a.container_id] for a in going if a.container_id]
            raise_failures(
                run_stops(self.engine, stop_plan(stop_needs(self.desired), old, keep=restart), self.say, self.cancel)
            )
        for action in self.plan.actions:
            if action.kind == "rename" and action.container_id and action.new_name:
                self.engine.rename(action.container_id, action.new_name)
                self.say(action.service or action.target, f"{action.target} renamed to {action.new_name}")

    def _images(self, actions: list[Action]) -> None:
        if not actions:
            return

        def one(action: Action) -> None:
            svc = self.desired.services[action.service or ""]
            began = time.monotonic()
            if action.kind == "pull":
                self.say(svc.name, f"pulling {svc.image}")
                self.image_ids[svc.image] = self.engine.pull(svc.image, lambda line: self.say(svc.name, line))
            else:
                assert svc.build is not None
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

        with ThreadPoolExecutor(max_workers=min(4, len(actions))) as pool:
            errors = [f.exception() for f in [pool.submit(one, a) for a in actions]]
        failures = [e for e in errors if e is not None]
        if failures:
            raise failures[0]

    def _reported(self, name: str) -> ServiceResult:
        result = self._service(name)
        if self.on_done is not None:
            self.on_done(result)
        return result

    def _service(self, name: str) -> ServiceResult:
        svc = self.desired.services[name]
        progress = self.progress[name]
        try:
            for dep, cond in sorted(svc.depends_on.items()):
                if dep not in self.progress:
                    continue
                never = self.never_healthy.get(dep) if cond.condition == "service_healthy" else None
                if never is not None and cond.required:
                    message = f"not started: dependency {dep} {never}, so service_healthy can never hold"
                    progress.fail(message)
                    self.say(name, f"FAILED: {message}")
                    return ServiceResult(name=name, status="failed", message=message)
                why = self.progress[dep].wait_for(_condition_state(cond.condition), self.deadline, self.cancel)
                if why is not None and (cond.required or why == "cancelled"):
                    message = f"not started: dependency {dep} {why}"
                    progress.fail(message)
                    return ServiceResult(name=name, status="skipped", message=message)
            if self.cancel.is_set():
                raise Cancelled(name)
            if svc.replicas == 0:  # scale 0: its containers were removed with the others (_stop_replaced)
                result = ServiceResult(name=name, status="ready", message="runs no container (scale 0)")
            elif svc.replicas == 1:
                result = self._act(svc, 1, progress)
            else:
                result = self._replicas(svc, progress)
            if result.action is None and any(
                a.service == name and a.kind in ("remove", "rename") for a in self.plan.actions
            ):
                # only replicas removed or renamed: the ones that run were kept
                kinds = {a.kind for a in self.plan.actions if a.service == name}
                result.action = "rename" if kinds == {"rename"} else "scale"
            progress.reach(self.targets[name])
            return result
        except WaitFailed as exc:
            progress.fail(str(exc).split("\n")[0])
            self.say(name, f"FAILED: {exc}")
            planned = self.plan.for_service(name)
            return ServiceResult(
                name=name,
                status="failed",
                action=planned.kind if planned else None,
                timing=exc.timing,
                message=str(exc),
            )
        except (EngineError, Cancelled) as exc:
            progress.fail(str(exc))
            if isinstance(exc, Cancelled):
                raise
            self.say(name, f"FAILED: {exc}")
            return ServiceResult(name=name, status="failed", message=str(exc))
        except BaseException as exc:
            progress.fail(f"{type(exc).__name__}: {exc}")
            raise

    def _replicas(self, svc: DesiredService, progress: _Progress) -> ServiceResult:
        """Every replica of a scaled service at once, each created, started and waited for as a single
        container is; the service reaches a state once every replica has. One replica that fails fails
        the service, naming it, as soon as it does (its dependents need not wait for the others)."""
        tally = _Tally(svc.replicas, progress)
        numbers = range(1, svc.replicas + 1)
        outcomes: dict[int, ServiceResult] = {}
        failures: dict[int, WaitFailed | EngineError] = {}
        with ThreadPoolExecutor(max_workers=svc.replicas, thread_name_prefix=f"validator-{svc.name}") as pool:
            futures = {pool.submit(self._act, svc, number, progress, tally): number for number in numbers}
            for future in as_completed(futures):
                number = futures[future]
                try:
                    outcomes[number] = future.result()
                except WaitFailed as exc:  # its message names the replica already
                    failures[number] = exc
                except EngineError as exc:
                    failures[number] = EngineError(f"{svc.name} replica {number} ({svc.replica_name(number)}): {exc}")
                if number in failures:
                    progress.fail(str(failures[number]).split("\n")[0])
        if failures:  # (Cancelled and an unreachable engine propagate from future.result() above)
            first = failures[min(failures)]
            message = str(first)
            if len(failures) > 1:
                message += "\n  also failed: " + ", ".join(svc.replica_name(n) for n in sorted(failures)[1:])
            if not isinstance(first, WaitFailed):
                raise EngineError(message)
            # what every replica measured, failed or not: a figure stands only when each replica has one
            timings = [t for r in outcomes.values() for t in r.measured.values()]
            timings += [f.timing for f in failures.values() if isinstance(f, WaitFailed)]
            timing = slowest(timings)
            if len(timings) < svc.replicas:
                timing.startup = timing.healthy = None
            raise WaitFailed(message, timing)

        ordered = [outcomes[number] for number in numbers]
        measured = {cid: t for r in ordered for cid, t in r.measured.items()}
        # the slowest of what was measured now; reconcile.up adds the replicas that were kept
        return ServiceResult(
            name=svc.name,
            status="ready",
            action=next((r.action for r in ordered if r.action), None),
            timing=slowest(list(measured.values())) if measured else None,
            container=ordered[0].container,
            containers=tuple(r.container or "" for r in ordered),
            measured=measured,
        )

    def _act(self, svc: DesiredService, number: int, progress: _Progress, tally: _Tally | None = None) -> ServiceResult:
        """Create, start or keep replica ``number`` of ``svc`` and wait for it (``tally``: the replicas
        of a scaled service, which reach a state together)."""
        assert self.hub is not None
        slots, _ = replica_slots(self.observed.containers.get(svc.name, ()), svc.replicas)
        current = slots.get(number)
        action = self.plan.for_replica(svc.name, number)
        who = svc.name if svc.replicas == 1 else f"{svc.name} replica {number} ({svc.replica_name(number)})"
        if action is None:
            assert current is not None
            if self._already_there(current, self.targets[svc.name], svc.completes):  # no inspect, no wait
                if tally is not None:
                    tally.running(number)
                    tally.ready(number)
                else:
                    progress.reach("running")
                return ServiceResult(name=svc.name, status="ready", container=current.id)
            launched = _Launched(container=current.id, queue=self.hub.register(current.id))
        else:
            launched = self._launch(svc, number, action, current)
        container = launched.container
        checker = self._exec_checker(svc, container, (lambda: tally.ready(number)) if tally else None, progress)
        waiter = Waiter(
            engine=self.engine,
            events=launched.queue,
            container=container,
            service=who,
            target=self.targets[svc.name],
            startup_timeout=svc.startup_timeout,
            health_timeout=svc.health_timeout,
            restart_grace=svc.restart_grace,
            requested_mono=launched.requested_mono,
            timing=Timing(launched.requested_wall, create=launched.create_s, start=self.start_seconds.get(container)),
            deadline=self.deadline,
            restartable=svc.config.get("restart") not in (None, "no"),
            fresh=action is not None,
            on_running=(lambda: tally.running(number)) if tally else lambda: progress.reach("running"),
        )
        try:
            timing = waiter.wait()
        finally:
            if checker is not None:
                checker.stop()
        if checker is not None and checker.ready_mono is not None and timing.startup is not None:
            timing.ready_at = checker.ready_wall
            timing.ready = max(0.0, checker.ready_mono - (launched.requested_mono + timing.startup))
        if action is None:
            return ServiceResult(name=svc.name, status="ready", container=container)
        self._say_done(svc, action, timing)
        return ServiceResult(
            name=svc.name,
            status="ready",
            action=action.kind,
            timing=timing,
            container=container,
            measured={container: timing},
        )

    def _launch(self, svc: DesiredService, number: int, action: Action, current: ObservedContainer | None) -> _Launched:
        """Carry out the replica's action: create then start (a recreate's old container is already
        gone: _stop_replaced took it down before any start), or start again (a restart's container was
        stopped by _stop_replaced with the recreates); its events are watched from before the start."""
        assert self.hub is not None
        if action.kind in ("create", "recreate"):
            requested_mono, requested_wall = time.monotonic(), time.time()
            container = self._create(svc, number)
            create_s: float | None = time.monotonic() - requested_mono
        else:  # start / restart
            assert current is not None
            container, create_s = current.id, None
            self._check_cancel(svc.name)
            requested_mono, requested_wall = time.monotonic(), time.time()
        queue = self.hub.register(container)
        self._start(svc, container)
        self._post_start(svc, container)
        return _Launched(
            container=container,
            queue=queue,
            requested_mono=requested_mono,
            requested_wall=requested_wall,
            create_s=create_s,
        )

    def _exec_checker(
        self,
        svc: DesiredService,
        container: str,
        on_replica_ready: Callable[[], None] | None,
        progress: _Progress,
    ) -> ExecReadiness | None:
        """The health test run by exec for a service others wait on healthy (readiness.py), if any."""
        argv = health_argv(svc.config.get("healthcheck")) if svc.name in self.exec_ready else None
        if argv is None:
            return None
        hc = svc.config["healthcheck"]
        return ExecReadiness(
            self.engine,
            container=container,
            argv=argv,
            timeout=float(hc.get("timeout") or 30.0),
            until=min(self.deadline, time.monotonic() + svc.startup_timeout + svc.health_timeout),
            on_ready=on_replica_ready or (lambda: progress.reach("healthy")),
        )

    def _say_done(self, svc: DesiredService, action: Action, timing: Timing) -> None:
        detail = f"running after {timing.startup:.2f}s" if timing.startup is not None else "ready"
        if timing.ready is not None:
            detail += f", ready by exec {timing.ready:.2f}s later"
        if timing.healthy is not None:
            detail += f", healthy {timing.healthy:.2f}s later"
        what = PAST_TENSE.get(action.kind, action.kind)
        self.say(svc.name, f"{what}, {detail}" if svc.replicas == 1 else f"{action.target} {what}, {detail}")

    @staticmethod
    def _already_there(current: ObservedContainer, target: str, completes: bool) -> bool:
        if target == "completed" or (completes and current.state == "exited"):
            # a completed one-shot job (exit 0, a restart policy that leaves it exited) is not rerun
            return current.state == "exited" and current.exit_code == 0
        if current.state != "running":
            return False
        return target == "running" or current.health == "healthy"

    def _check_cancel(self, name: str) -> None:
        if self.cancel.is_set():
            raise Cancelled(name)

    def _create(self, svc: DesiredService, number: int = 1) -> str:
        self._check_cancel(svc.name)
        for directory in svc.host_dirs:
            Path(directory).mkdir(parents=True, exist_ok=True)
        image_id = self.image_ids.get(svc.image) or self.engine.image_id(svc.image)
        if image_id is None:
            raise EngineError(f"image {svc.image} is not present (pull or build it first)")
        body, extra_networks = create_body(
            svc=svc,
            project=self.desired.project,
            image_id=image_id,
            spec_files=self.desired.spec_files,
            api_version=self.engine.api_version,
            version=__version__,
            replica=number,
            working_dir=self.desired.working_dir,
        )
        container = self.engine.create_container(svc.replica_name(number), body, svc.config.get("platform"))
        self._require_applied(svc, container, body)
        if svc.files:
            self.engine.put_files(container, svc.files)
        for network, aliases in extra_networks:
            address = svc.config.get("network_addresses", {}).get(network)
            self.engine.connect_network(container, network, aliases, address, svc.links(number))
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

    def _start(self, svc: DesiredService, container: str) -> None:
        """Start the container at once, whatever it publishes: on engine 20.10 concurrent starts with
        fixed, ephemeral or ranged host ports never failed (tests/integration/test_port_races.py); the
        one port failure found (a host range on one IP overlapping the same range on every interface)
        happens just the same when the containers start one by one, so no lock would avoid it."""
        self._check_cancel(svc.name)
        began = time.monotonic()
        try:
            self.engine.start(container)
        except EngineError as exc:
            # the engine names the port it could not bind, not who holds it
            held = port_holders(self.engine, fixed_ports(svc.config.get("ports", [])), container)
            if held:
                raise EngineError(f"{exc} ({'; '.join(held)})") from exc
            raise
        self.start_seconds[container] = time.monotonic() - began
