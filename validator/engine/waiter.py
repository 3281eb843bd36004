"""Readiness through the events API: subscribe first, inspect once, then react to events.

One ``EventHub`` per run reads the engine's event stream for the project's containers and hands
each event to the waiter of its container (events that arrive before a waiter registers are kept).
A waiter ends the moment the container is running / healthy / completed, or the moment it exits,
turns unhealthy or runs out of time — never by polling, never by sleeping.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from validator import redact
from validator.engine import labels as L
from validator.engine.stamps import passed_since_start
from validator.engine.watch import is_up
from validator.errors import UnreachableError
from validator.redact import quoted

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine

Target = Literal["running", "healthy", "completed"]
_STREAM_ENDED = {"status": "__stream_ended__"}
CANCELLED = {"status": "__cancelled__"}


class Cancelled(Exception):
    """The run was interrupted while waiting."""


# The container events a waiter acts on. The engine matches "health_status" as a prefix of
# "health_status: healthy". Asking for these alone keeps out the exec_create / exec_start / exec_die
# the engine sends for every health probe (three per container and interval: 150 a second for 50
# services probed every second), which the hub would otherwise decode and keep.
WAITED_EVENTS = ("start", "die", "health_status", "oom", "destroy")


class EventHub:
    def __init__(self, engine: Engine, project: str) -> None:
        self.engine = engine
        self.stream = engine.events(
            {"type": ["container"], "label": [f"{L.PROJECT}={project}"], "event": list(WAITED_EVENTS)}
        )
        self.lock = threading.Lock()
        # several waiters may watch one container (one per state it is waited in): each gets every event
        self.queues: dict[str, list[queue.Queue[dict[str, Any]]]] = defaultdict(list)
        # every event heard per container, handed to each waiter that registers (events that arrive
        # before a waiter registers are kept): a waiter registered late reads what an early one did
        self.history: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.ended = False
        self.thread = threading.Thread(target=self._read, name="validator-events", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for event in self.stream:
                cid = event.get("id") or (event.get("Actor") or {}).get("ID")
                if not cid:
                    continue
                with self.lock:
                    self.history[cid].append(event)
                    for target in self.queues.get(cid, ()):
                        target.put(event)
        except Exception:  # noqa: BLE001 - the stream ends when the daemon goes away or on close()
            pass
        finally:
            with self.lock:
                self.ended = True
                queues = [q for items in self.queues.values() for q in items]
            for q in queues:
                q.put(_STREAM_ENDED)

    def register(self, cid: str) -> queue.Queue[dict[str, Any]]:
        q: queue.Queue[dict[str, Any]] = queue.Queue()
        with self.lock:
            for event in self.history.get(cid, ()):
                q.put(event)
            self.queues[cid].append(q)
            if self.ended:
                q.put(_STREAM_ENDED)
        return q

    def interrupt(self) -> None:
        """Wake every waiter: the run is being cancelled."""
        with self.lock:
            queues = [q for items in self.queues.values() for q in items]
        for q in queues:
            q.put(CANCELLED)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stream.close()
        self.thread.join(timeout=5)


@dataclass
class Timing:
    """Seconds on this machine's monotonic clock; wall-clock stamps for the timeline chart."""

    requested_at: float  # wall clock, when create/start was asked
    running_at: float | None = None
    healthy_at: float | None = None
    startup: float | None = None
    healthy: float | None = None
    restarts: int = 0
    ready_at: float | None = None  # wall clock, when the health test first passed by exec (readiness.py)
    ready: float | None = None  # running -> that moment, seconds
    create: float | None = None  # seconds the engine took to answer the create call (and network connects)
    start: float | None = None  # seconds the engine took to answer the start call
    # the engine's State.StartedAt of the start these figures were measured on (engine/timings.py):
    # a later run reports them only while that start is still the container's current one
    started: str | None = None


def _was_healthy(state: dict[str, Any]) -> bool:
    """Whether the container passed a health check before it stopped, on this start: the engine keeps
    the last five probes across restarts, and a pass of an earlier start is no evidence (engine/stamps.py)."""
    health = state.get("Health") or {}
    return health.get("Status") == "healthy" or passed_since_start(state)


class WaitFailed(Exception):
    def __init__(self, message: str, timing: Timing) -> None:
        super().__init__(message)
        self.timing = timing


@dataclass
class Waiter:
    engine: Engine
    events: queue.Queue[dict[str, Any]]
    container: str
    service: str
    target: Target
    startup_timeout: float
    health_timeout: float
    restart_grace: float | None
    requested_mono: float
    timing: Timing
    deadline: float  # overall, monotonic
    restartable: bool = False
    # started by this run after its queue was registered: every event of this start reaches the queue,
    # so the one inspect below is read as those events would be (in order), never as a verdict of its own
    fresh: bool = False
    on_running: Callable[[], None] | None = None
    _running_mono: float | None = field(default=None)
    # when it first ran: a death ``restart_grace`` tolerates resets ``_running_mono`` (the health
    # timeout counts again from the restart), never the origin of ``healthy`` — the time before the
    # restart is part of how long the service took to become healthy
    _first_running_mono: float | None = field(default=None)
    _inspected: bool = field(default=False)  # the one inspect, before the first event
    _grace_until: float | None = field(default=None)  # monotonic: the end of a restart_grace running

    def wait(self, until: Target | None = None) -> Timing:
        """Block until the target state (or ``until``, an earlier one: the graph waits for a container
        running, then healthy, one phase per step, on the same waiter); raise ``WaitFailed`` with logs
        and health log otherwise."""
        if not self._inspected:
            self._inspected = True
            self._absorb_state(self.engine.inspect(self.container)["State"])
        goal = until or self.target
        while not self._reached(goal):
            grace_until = self._grace_until
            timeout_at = self._phase_deadline()
            if grace_until is not None:
                timeout_at = min(timeout_at, grace_until)
            remaining = timeout_at - time.monotonic()
            if remaining <= 0:
                if grace_until is not None and time.monotonic() >= grace_until:
                    self._fail(f"still not {self.target} {self.restart_grace:g}s after it failed (restart_grace)")
                self._timeout()
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            status = str(event.get("status") or event.get("Action") or "")
            now = time.monotonic()
            if event is CANCELLED:
                raise Cancelled(self.service)
            if event is _STREAM_ENDED:
                raise UnreachableError(
                    f"the Docker engine at {self.engine.address} stopped sending events "
                    f"while waiting for {self.service}"
                )
            if status == "start":
                self._mark_running(now)
            elif status.startswith("health_status"):
                if status.endswith("healthy") and not status.endswith("unhealthy"):
                    self._mark_healthy(now)
                elif status.endswith("unhealthy") and self.target == "healthy":
                    if self.restart_grace:
                        self._grace_until = self._grace_until or now + self.restart_grace
                    else:
                        self._fail("turned unhealthy")
            elif status == "die":
                code = (event.get("Actor") or {}).get("Attributes", {}).get("exitCode")
                if self.target == "completed" and str(code) == "0":
                    self._mark_running(now)
                    self.timing.healthy_at = time.time()
                    return self.timing
                if self.restart_grace and self.restartable:
                    self.timing.restarts += 1
                    self._grace_until = self._grace_until or now + self.restart_grace
                    self._running_mono = None
                    continue
                self._engine_still_there()
                self._fail(f"exited with code {code}" if code is not None else "exited")
            elif status == "oom":
                if not self.restart_grace:
                    self._fail("was killed: out of memory (mem_limit too low?)")
            elif status == "destroy":
                self._fail("was removed while waiting")
        return self.timing

    def follow(self, other: Waiter) -> None:
        """A further waiter on the same container (one per state it is waited in) counts from when
        ``other`` first saw it running: its ``healthy`` figure is the container's, not this wait's."""
        if other._first_running_mono is not None:
            self._mark_running(other._first_running_mono)

    def _engine_still_there(self) -> None:
        """A stopping daemon closes its API, then stops its containers: when a container dies and the
        engine no longer answers, the engine went away; the container did not fail."""
        if not self.engine.answers():
            raise UnreachableError(
                f"the Docker engine at {self.engine.address} stopped while {self.service} was starting"
            )

    def _absorb_state(self, state: dict[str, Any]) -> None:
        now = time.monotonic()
        if state.get("Restarting"):
            # in the engine's restart back-off: it exited (a die without a grace fails, as below), and the
            # start that ends the back-off proves only that it runs again for a moment
            if not self.restart_grace:
                self._fail(f"is restarting: the engine holds it in its restart back-off (exit {state.get('ExitCode')})")
            return
        if is_up(state):
            self._mark_running(now)
            health = (state.get("Health") or {}).get("Status")
            if health == "healthy":
                self._mark_healthy(now)
            elif health == "unhealthy" and self.target == "healthy" and not self.restart_grace:
                self._fail("is unhealthy")
        elif state.get("Status") in ("exited", "dead"):
            code = state.get("ExitCode")
            if self.target == "completed" and code == 0:
                self._mark_running(now)
                self.timing.healthy_at = time.time()
            elif self.fresh and self.target == "running":
                # it started (the start event came first, whatever the timing of this inspect): the
                # same verdict the events give; what it did after is check's to report
                self._mark_running(now)
            elif self.fresh and self.target == "healthy" and _was_healthy(state):
                self._mark_healthy(now)  # a passing health check came before the exit, as its event did
            elif not self.restart_grace:
                self._fail(f"exited with code {code}")

    def _reached(self, goal: Target) -> bool:
        if goal == "running":
            return self._running_mono is not None
        if goal == "healthy":
            return self.timing.healthy is not None
        return self.timing.healthy_at is not None

    def _mark_running(self, now: float) -> None:
        if self._running_mono is None:
            self._running_mono = now
            if self._first_running_mono is None:
                self._first_running_mono = now
            if self.timing.running_at is None:
                self.timing.running_at = time.time()
                self.timing.startup = now - self.requested_mono
            if self.on_running is not None:
                self.on_running()

    def _mark_healthy(self, now: float) -> None:
        self._mark_running(now)
        if self.timing.healthy is None:
            self.timing.healthy_at = time.time()
            self.timing.healthy = now - (self._first_running_mono or now)

    def _phase_deadline(self) -> float:
        if self._running_mono is None:
            phase = self.requested_mono + self.startup_timeout
        else:
            phase = self._running_mono + self.health_timeout
        return min(phase, self.deadline)

    def _timeout(self) -> None:
        if time.monotonic() >= self.deadline:
            self._fail("the overall time limit ran out")
        if self._running_mono is None:
            self._fail(f"not running after startup_timeout {self.startup_timeout:g}s")
        self._fail(f"not {self.target} after health_timeout {self.health_timeout:g}s")

    def _fail(self, why: str) -> None:
        raise WaitFailed(f"{self.service}: {why}{self._evidence()}", self.timing)

    def _evidence(self) -> str:
        parts = []
        detail = self.engine.try_inspect(self.container) or {}
        log = ((detail.get("State") or {}).get("Health") or {}).get("Log") or []
        if log:
            last = log[-1]
            # masked, then cut, then quoted (``validator.redact``): a health check may print the token it sent
            output = quoted(redact.tail(str(last.get("Output", "")).strip(), 300))
            parts.append(f"last health check (exit {last.get('ExitCode')}): {output}")
        lines = self.engine.logs(self.container, tail=10).strip()
        if lines:
            parts.append("last log lines:\n    " + "\n    ".join(lines.splitlines()[-10:]))
        return ("\n  " + "\n  ".join(parts)) if parts else ""
