"""Memory and CPU of the project's containers for the whole run, read from the engine's stats API,
and the OOM kills the engine reports.

``UsageSampler`` is a ``Feed`` of the run watcher (engine/watch.py): it reads the watcher's one event
stream rather than opening its own. Started with the watcher (before ``up``), it follows every
container of the project running then, and each one the watcher hears started afterwards (its
``start`` event), and counts the ``oom`` events; ``stop()`` (before the verdict) closes everything at
once and hands back what each container was seen to use (``Usage``). It never waits on the engine in
the run's own thread: each container has a thread of its own.

Why one stats stream per container rather than one-shot calls: on engine 20.10 a one-shot call
(``stream=0&one-shot=1``) still waits for the stats collector's next tick (measured 1.0-1.2 s per
call here, 2.4 s without ``one-shot``), so a round over N containers takes about N seconds, while
a stream receives every tick (one a second, the collector's fixed period) on one kept-open
connection. The engine bounds the rate; its collector reads each container's cgroup once a tick
whoever listens.

What a sample counts: memory as ``docker stats`` shows it (the cgroup's usage less its inactive
page cache, which the kernel reclaims before it kills anything), CPU in cores over the last tick
(as ``docker stats`` computes its percentage, over 100). A spike shorter than a tick can fall
between two samples; one that reaches the limit is an OOM kill, which the events count exactly.

A container counts as observed for the whole run (its peak a value, not only a lower bound) when
its first answer came within ``GRACE`` seconds of when it was due (its start, or the sampler's if
it ran already), no two answers were further apart than that, and the last came within ``GRACE``
of the end (the sampler's stop, or the container's removal).
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from validator.engine import compose_observe as C
from validator.engine import labels as L
from validator.engine.compose_labels import service_of
from validator.errors import FatalError

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine
    from validator.engine.watch import Happening, RunWatcher

# Why 5 s: the collector ticks every second, and on this shared machine (load 40+ on 2 cores) a
# stats answer took up to 2.5 s; a gap longer than 5 s is the stream lost, not the engine slow.
GRACE = 5.0
# Each followed container holds a thread and a connection: a bounded number per run (the rest are
# said to be not sampled, never silently left out).
MAX_STREAMS = 64
# Points kept per container for the report's picture (each the highest of the samples it stands
# for); the peaks themselves are kept apart, exactly.
MAX_POINTS = 240
# A stats stream that ends while its container is still there is opened again, this many times at most
# (the watcher reopens the event stream itself).
REOPEN = 3
STOP_WAIT = 0.5  # seconds stop() waits, in all, for the threads to see their streams closed


@dataclass(frozen=True, kw_only=True)
class Sample:
    at: float  # this machine's clock when the sample arrived
    memory: float | None  # bytes; None: the container was not running
    cpu: float | None  # cores over the last tick; None: not running, or no earlier tick to compare


def read_sample(raw: Mapping[str, Any], at: float) -> Sample:
    """One stats answer as ``docker stats`` reads it (its ``calculateMemUsageUnixNoCache`` and CPU
    percentage): memory is usage less ``total_inactive_file`` (cgroup v1) or ``inactive_file`` (v2)
    when that is below the usage; an answer for a container that is not running has no memory."""
    memory_stats = raw.get("memory_stats") or {}
    usage = memory_stats.get("usage")
    memory: float | None = None
    if isinstance(usage, int | float):
        stats = memory_stats.get("stats") or {}
        inactive = stats.get("total_inactive_file") if "total_inactive_file" in stats else stats.get("inactive_file")
        memory = float(usage - inactive) if isinstance(inactive, int | float) and inactive < usage else float(usage)
    return Sample(at=at, memory=memory, cpu=_cores(raw))


def _cores(raw: Mapping[str, Any]) -> float | None:
    cpu, pre = raw.get("cpu_stats") or {}, raw.get("precpu_stats") or {}
    total = _number((cpu.get("cpu_usage") or {}).get("total_usage"))
    before = _number((pre.get("cpu_usage") or {}).get("total_usage"))
    system, system_before = _number(cpu.get("system_cpu_usage")), _number(pre.get("system_cpu_usage"))
    online = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or ())
    if total is None or system is None or system_before is None or not before or not online:
        return None  # the stream's first tick (nothing to compare with) or not running
    used, elapsed = total - before, system - system_before
    if used < 0 or elapsed <= 0:
        return None  # restarted between the ticks: its counter began again
    return used / elapsed * float(online)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(kw_only=True)
class ContainerUsage:
    """What one container was seen to use during the run."""

    id: str
    name: str
    service: str
    due_from: float  # when observing it was due to begin: its start, or the sampler's if it ran already
    until: float | None = None  # when it was removed (its stream ended with it); None: it outlived the run
    memory_limit: float | None = None  # HostConfig.Memory; None: no limit, or not inspected (``inspected``)
    inspected: bool = False
    series: list[Sample] = field(default_factory=list)  # for pictures: at most 2 * MAX_POINTS
    memory_peak: float | None = None
    cpu_peak: float | None = None
    first_answer: float | None = None
    last_answer: float | None = None
    longest_gap: float = 0.0
    oom_kills: list[float] = field(default_factory=list)  # when the engine reported it killed for lack of memory
    problem: str = ""  # why it could not be followed to the end ("" when it was)

    def take(self, sample: Sample) -> None:
        if self.last_answer is not None:
            self.longest_gap = max(self.longest_gap, sample.at - self.last_answer)
        if self.first_answer is None:
            self.first_answer = sample.at
        self.last_answer = sample.at
        if sample.memory is not None:
            self.memory_peak = max(self.memory_peak or 0.0, sample.memory)
        if sample.cpu is not None:
            self.cpu_peak = max(self.cpu_peak or 0.0, sample.cpu)
        self.series.append(sample)
        if len(self.series) > 2 * MAX_POINTS:
            self.series = _halved(self.series)

    def unobserved(self, end: float, grace: float = GRACE) -> str:
        """Why this container was not observed for the whole run ("" when it was)."""
        until = self.until if self.until is not None else end
        if self.first_answer is None or self.last_answer is None:
            return self.problem or "no stats answer came"
        late = self.first_answer - self.due_from
        if late > grace:
            return f"its first stats answer came {late:.1f}s after it was due"
        if self.longest_gap > grace:
            return f"its stats answers stopped for {self.longest_gap:.1f}s"
        if until - self.last_answer > grace:
            return self.problem or f"its last stats answer came {until - self.last_answer:.1f}s before the end"
        return ""


def _halved(series: list[Sample]) -> list[Sample]:
    """Every two neighbours as one point: the first's time, the higher of each value."""
    out = []
    for first, second in zip(series[::2], series[1::2], strict=False):
        out.append(Sample(at=first.at, memory=_high(first.memory, second.memory), cpu=_high(first.cpu, second.cpu)))
    if len(series) % 2:
        out.append(series[-1])
    return out


def _high(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


@dataclass(kw_only=True)
class Usage:
    """What the sampler saw, from its start to its stop."""

    started_at: float
    stopped_at: float
    containers: dict[str, ContainerUsage]
    events_problem: str = ""  # why the OOM events were not followed for the whole run ("" when they were)
    skipped: list[str] = field(default_factory=list)  # containers past MAX_STREAMS, not followed


class UsageSampler:
    """Follows the project's containers from ``start()`` to ``stop()``, as a feed of the run watcher
    (``RunWatcher(engine, project, feeds=[sampler])`` or ``watcher.add_feed(sampler)``); thread-safe."""

    def __init__(
        self,
        engine: Engine,
        project: str,
        *,
        max_streams: int = MAX_STREAMS,
        containers: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.engine = engine
        self.project = project
        self.max_streams = max_streams
        # id -> (name, service) to follow from the start when the caller knows them (else: what runs)
        self.first = dict(containers) if containers is not None else None
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.started_at = 0.0
        self.stopped_at = 0.0
        self.containers: dict[str, ContainerUsage] = {}
        self.skipped: list[str] = []
        self.events_problem = ""
        self.watcher: RunWatcher | None = None
        self._streams: dict[str, Any] = {}  # container id -> its open stats stream
        self._threads: list[threading.Thread] = []

    # --- life (a Feed of the run watcher) -----------------------------------------------------
    def start(self, watcher: RunWatcher) -> None:
        """Called by the watcher once its event stream is open: follow what runs already (a container
        started in between is both listed and heard: followed once). Raises the engine's error."""
        self.watcher = watcher
        self.started_at = time.time()
        try:
            running = self.first if self.first is not None else self._running()
        except BaseException:
            self.stop()
            raise
        for cid, (name, service) in running.items():
            self._follow(cid, name, service, self.started_at)

    def _running(self) -> dict[str, tuple[str, str]]:
        running: dict[str, tuple[str, str]] = {}
        for filters in (L.project_filter(self.project), C.compose_filter(self.project)):
            for summary in self.engine.containers({**filters, "status": ["running"]}):
                cid = summary["Id"]
                name = str((summary.get("Names") or [cid[:12]])[0]).lstrip("/")
                # validator's own first, as services.observed does
                running.setdefault(cid, (name, _service(summary.get("Labels") or {})))
        return running

    def stop(self) -> Usage:
        """Everything closed at once (a blocked read wakes when its socket is shut down); threads
        still inside a slow engine call are left to end by themselves (daemons, reading ``done``).
        Called again (the watcher stops its feeds too), it hands back the same observation."""
        if not self.done.is_set():
            self.done.set()
            self.stopped_at = time.time()
            lost = self.watcher.lost if self.watcher is not None else None
            if lost is not None and not self.events_problem:
                self.events_problem = f"the engine's event stream ended ({lost.reason})"
        with self.lock:
            streams = [s for s in self._streams.values() if s is not None]
        for stream in streams:
            with contextlib.suppress(Exception):  # a dead stream may fail to close in any way
                stream.close()
        # one short bound for them all (a thread blocked opening a stream on a stuck engine is not
        # waited for: it finds ``done`` set when the engine answers, and records nothing more)
        deadline = time.monotonic() + STOP_WAIT
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        with self.lock:
            return Usage(
                started_at=self.started_at,
                stopped_at=self.stopped_at,
                containers={cid: _copy(u) for cid, u in self.containers.items()},
                events_problem=self.events_problem,
                skipped=list(self.skipped),
            )

    def _spawn(self, target: Any, name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    # --- events (the watcher's) ---------------------------------------------------------------
    def heard(self, cid: str, attributes: Mapping[str, Any], happening: Happening) -> None:
        """One event of a project's container, from the watcher's thread: followed (start) or
        counted (oom)."""
        name = str(attributes.get("name") or cid[:12])
        if happening.action == "start":
            self._follow(cid, name, _service(attributes), time.time())
        elif happening.action == "oom":
            with self.lock:
                usage = self.containers.get(cid)
                if usage is None:  # killed before it was followed: its kill is still the run's
                    usage = self.containers[cid] = ContainerUsage(
                        id=cid, name=name, service=_service(attributes), due_from=time.time(), problem="not followed"
                    )
                usage.oom_kills.append(happening.at)

    # --- one container ------------------------------------------------------------------------
    def _follow(self, cid: str, name: str, service: str, due_from: float) -> None:
        with self.lock:
            if self.done.is_set() or cid in self._streams:
                return  # followed already (a restart keeps its stream: the same container, stopped and started)
            if len(self._streams) >= self.max_streams:
                self.skipped.append(name)
                return
            usage = self.containers.get(cid)
            if usage is None:
                usage = self.containers[cid] = ContainerUsage(id=cid, name=name, service=service, due_from=due_from)
            usage.problem = ""
            self._streams[cid] = None  # taken: a second start event does not follow it twice
        self._spawn(self._read, f"validator-usage-{name[:20]}", usage)

    def _read(self, usage: ContainerUsage) -> None:
        try:
            self._sample(usage)
        finally:
            with self.lock:
                self._streams.pop(usage.id, None)

    def _sample(self, usage: ContainerUsage) -> None:
        """Samples until stopped or the container is removed; a stream that ends while the container
        is still there is opened again (``REOPEN`` times)."""
        for _ in range(REOPEN + 1):
            try:
                stream = self.engine.stats(usage.id)
            except FatalError as exc:
                self._gone_or(usage, str(exc))
                return
            with self.lock:
                self._streams[usage.id] = stream
            if self.done.is_set():
                with contextlib.suppress(Exception):
                    stream.close()
                return
            try:
                for raw in stream:
                    sample = read_sample(raw, time.time())
                    with self.lock:
                        if self.done.is_set():
                            return
                        usage.take(sample)
                    if not usage.inspected and sample.memory is not None:
                        self._limit(usage)
            except Exception:  # noqa: BLE001 - the stream ended under us: closed, or the engine went away
                pass
            if self.done.is_set() or self._gone_or(usage, ""):
                return
        with self.lock:
            usage.problem = f"its stats stream ended {REOPEN + 1} times while it ran"

    def _limit(self, usage: ContainerUsage) -> None:
        """The memory limit the engine enforces (read after the first sample, so it never delays it)."""
        try:
            detail = self.engine.try_inspect(usage.id)
        except FatalError:
            return
        if detail is None:
            return
        limit = (detail.get("HostConfig") or {}).get("Memory")
        with self.lock:
            usage.memory_limit = float(limit) if limit else None
            usage.inspected = True

    def _gone_or(self, usage: ContainerUsage, problem: str) -> bool:
        """After its stream ended or would not open: True when it is over for this container (removed:
        its observation ends here, complete; or ``problem``, or the engine not answering, says why it
        cannot be followed); False when the stream should be opened again."""
        try:
            gone = self.engine.try_inspect(usage.id) is None
        except FatalError as exc:
            problem = f"the engine did not answer about it ({exc})"
            gone = False
        with self.lock:
            if gone:
                usage.until = time.time()
                return True
            usage.problem = problem
        return bool(problem)


def _service(labels: Mapping[str, Any]) -> str:
    # a `docker compose run` one-off is no service's: its usage is never a service's
    return service_of(labels)


def _copy(usage: ContainerUsage) -> ContainerUsage:
    return dataclasses.replace(usage, series=list(usage.series), oom_kills=list(usage.oom_kills))
