"""The run watcher: from before ``up`` until the verdict, what the engine said about the project's
containers, and whether the engine is still there.

It subscribes to the engine's container events (``create``, ``start``, ``restart``, ``die`` with
its exit code, ``oom``, ``health_status`` — whoever declared the health check, the spec or the
image —, ``stop``, ``destroy``) for containers carrying the project's label (validator's, or
Compose's for a stack ``check --no-up`` judges), and keeps one ``ContainerWatch`` per container.
``observe_last`` inspects them all once more after the probes and suites: the last observation.

The engine counts as lost (``lost``, with the time) when the event stream closes and a fresh ping
then fails, or when no ping has been answered for ``SILENCE`` seconds (pings every ``PING_EVERY``
seconds, each bounded by ``PING_TIMEOUT``): a killed local daemon is noticed within a fraction of
a second, a remote engine whose connection silently drops within ``SILENCE + PING_TIMEOUT``.
``on_lost`` is called once, from the watcher's thread.

Further sources of observations plug in as ``Feed``\\ s (the usage sampler, engine/stats.py, is one):
each is started with the watcher, hears every event of the project's containers from the watcher's
one event stream (no second subscription), reads the same engine, and is stopped with it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from validator.engine import labels as L
from validator.engine.compose_labels import service_of
from validator.errors import FatalError

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine

# Why these bounds: a ping is one tiny request, answered in milliseconds even on a busy engine;
# 5 s per ping and 10 s of silence leave room for a loaded machine (8 sessions share this one's
# engine) while still ending a run on a vanished remote engine within 15 s, not at its suite timeout.
PING_EVERY = 2.0
PING_TIMEOUT = 5.0
SILENCE = 10.0
# An event stream may close while the engine still answers (a proxy's idle timeout, say): the
# watcher subscribes again from where it stopped, this many times at most per run.
RESUBSCRIBE = 10
COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
# ``update``: ``docker update`` changed its configuration (limits) in place, with no death or restart
ACTIONS = ("create", "start", "restart", "die", "oom", "health_status", "stop", "destroy", "update")


def is_up(state: dict[str, Any]) -> bool:
    """Whether a container's ``State`` says it is up. ``Running`` alone says more than that: the engine
    keeps it true while it holds a crash-looping container in its restart back-off (``Restarting``,
    no process) and while the container is paused."""
    return bool(state.get("Running")) and not state.get("Restarting") and not state.get("Paused")


def host_limits(host: Mapping[str, Any]) -> dict[str, float]:
    """The limits a container's ``HostConfig`` sets, by metric field (``memory_limit`` in bytes,
    ``cpus``); a limit it does not set (0: none) is absent."""
    out: dict[str, float] = {}
    if host.get("Memory"):
        out["memory_limit"] = float(host["Memory"])
    if host.get("NanoCpus"):
        out["cpus"] = host["NanoCpus"] / 1e9
    return out


@dataclass(frozen=True, kw_only=True)
class Happening:
    """One thing the engine reported about a container."""

    at: float  # wall clock, the engine's own timestamp (compared only with the engine's other times)
    action: str  # one of ACTIONS
    # this machine's wall clock when the event reached the watcher: what is compared with validator's
    # own moments (a service's ready time). The engine's clock may be off by minutes (a Docker Desktop
    # VM after the laptop slept, a remote engine without NTP): ``at >= since`` would then drop every
    # death of the run. The stream delivers an event within milliseconds of it, so the time it arrived
    # is never earlier than the event (an event replayed after a re-subscription arrives late: it may
    # be counted as of the run, never dropped from it).
    seen_at: float = 0.0
    exit_code: int | None = None  # die
    health: str | None = None  # health_status: healthy, unhealthy, starting


@dataclass(kw_only=True)
class ContainerWatch:
    """Everything seen of one container during the run."""

    id: str
    name: str
    service: str
    happenings: list[Happening] = field(default_factory=list)
    last: dict[str, Any] | None = None  # its State at the last observation (None: not looked at, or gone)
    last_at: float | None = None
    gone: bool = False  # the last observation found no such container
    # the engine's RestartCount at the last observation: restarts by its policy since it was last
    # started by hand (created, ``docker start``/``restart``), before the run too (graph5 case 02)
    restart_count: int = 0
    # its limits at the last observation (``host_limits``); None: not looked at, or gone
    limits: dict[str, float] | None = None

    def after(self, since: float) -> list[Happening]:
        """What happened from ``since`` (this machine's wall clock) on."""
        return [h for h in self.happenings if h.seen_at >= since]

    def policy_restarts(self) -> list[tuple[Happening, Happening]]:
        """Each restart by its restart policy the run saw: the death, and the start that followed it
        with no ``stop`` (a stop by hand or by ``up``) or ``restart`` (the API's) between."""
        out = []
        died: Happening | None = None
        for h in self.happenings:
            if h.action == "die":
                died = h
            elif h.action in ("stop", "restart"):
                died = None
            elif h.action == "start":
                if died is not None:
                    out.append((died, h))
                died = None
        return out

    def counted_restarts(self) -> int:
        """How many of the restarts the run saw the engine's RestartCount holds: those by its restart
        policy since it was last started by hand (a ``start`` with no death before it, or the restart
        API), when the engine sets it back to 0. An event heard twice (the stream replays from the last
        event's moment when it is opened again) is counted once: a replayed start is no start by hand."""
        count = 0
        died = False
        heard: set[tuple[float, str]] = set()
        for h in self.happenings:
            if (h.at, h.action) in heard:
                continue
            heard.add((h.at, h.action))
            if h.action == "die":
                died = True
            elif h.action == "stop":
                died = False
            elif h.action == "restart":
                count, died = 0, False
            elif h.action == "start":
                count, died = (count + 1 if died else 0), False
        return count

    def restarts(self, since: float | None = None) -> list[float]:
        """When it came back: a ``restart`` (the API's), or a ``start`` after a ``die``. Before ``since``
        (this machine's wall clock: when the service was ready) only its restart policy's count, a start
        with no ``stop`` between (``up`` stopping and starting it again sends ``stop``); from ``since`` on
        every death followed by a start is a restart, whoever caused it (a ``docker stop`` + ``docker
        start`` during the run went down and came back; v9b case 06). ``docker restart`` sends die, stop,
        start, restart: one restart."""
        out = []
        died: Happening | None = None
        stopped = counted = False  # counted: the last start was counted, a ``restart`` right after is it
        for h in self.happenings:
            if h.action == "restart":
                if not counted:
                    out.append(h.at)
                died, stopped, counted = None, False, False
            elif h.action == "die":
                died, stopped, counted = h, False, False
            elif h.action == "stop":
                stopped = True
            elif h.action == "start":
                during = died is not None and since is not None and died.seen_at >= since
                counted = died is not None and (not stopped or during)
                if counted:
                    out.append(h.at)
                died, stopped = None, False
        return out


@dataclass(frozen=True, kw_only=True)
class EngineLost:
    at: float  # wall clock, when it was last known to answer or its stream closed
    reason: str


class Feed(Protocol):
    """A second source of observations for the same watcher (the usage sampler: memory/CPU per
    container at a bounded rate). ``start`` is called once the event stream is open, ``heard`` for
    each event of the project's containers (from the watcher's thread: it must not block), ``stop``
    before the verdict."""

    def start(self, watcher: RunWatcher) -> None: ...

    def heard(self, cid: str, attributes: Mapping[str, Any], happening: Happening) -> None: ...

    def stop(self) -> object: ...


class RunWatcher:
    def __init__(
        self,
        engine: Engine,
        project: str,
        *,
        on_lost: Callable[[EngineLost], None] | None = None,
        feeds: Iterable[Feed] = (),
        ping_every: float = PING_EVERY,
        ping_timeout: float = PING_TIMEOUT,
        silence: float = SILENCE,
    ) -> None:
        self.engine = engine
        self.project = project
        self.on_lost = on_lost
        self.feeds = list(feeds)
        self.ping_every = ping_every
        self.ping_timeout = ping_timeout
        self.silence = silence
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.containers: dict[str, ContainerWatch] = {}
        self.lost: EngineLost | None = None
        self.started_at = 0.0
        self._stream: Any = None
        self._threads: list[threading.Thread] = []
        self._answered = time.monotonic()
        self._answered_wall = time.time()

    # --- life ---------------------------------------------------------------------------------
    def start(self) -> RunWatcher:
        """Subscribe (raises ``UnreachableError`` if the engine does not answer), then follow."""
        self.started_at = time.time()
        self._stream = self._subscribe(None)
        for target, name in ((self._follow, "validator-watch-events"), (self._ping, "validator-watch-ping")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        for feed in self.feeds:
            feed.start(self)
        return self

    def add_feed(self, feed: Feed) -> None:
        """A feed joining a running watcher: started now, stopped with it."""
        self.feeds.append(feed)
        feed.start(self)

    def stop(self) -> None:
        self.done.set()
        for feed in self.feeds:
            feed.stop()
        stream = self._stream
        if stream is not None:
            with contextlib.suppress(Exception):  # a dead stream may fail to close in any way: over either way
                stream.close()
        for thread in self._threads:
            thread.join(timeout=self.ping_timeout + 1)

    def __enter__(self) -> RunWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what was seen ------------------------------------------------------------------------
    def of_service(self, service: str) -> list[ContainerWatch]:
        with self.lock:
            return [c for c in self.containers.values() if c.service == service]

    def watch_of(self, container: str) -> ContainerWatch | None:
        with self.lock:
            return self.containers.get(container)

    def observe_last(self, ids: Iterable[str]) -> None:
        """The last observation: each container's state now (after the probes and suites)."""
        for cid in ids:
            try:
                detail = self.engine.try_inspect(cid)
            except FatalError:
                continue  # the engine went away: ``lost`` says so
            with self.lock:
                watch = self.containers.get(cid) or self._new(cid, detail)
                watch.last_at = time.time()
                watch.gone = detail is None
                watch.last = (detail or {}).get("State") or None
                watch.restart_count = int((detail or {}).get("RestartCount") or 0)
                watch.limits = host_limits(detail["HostConfig"] or {}) if detail and "HostConfig" in detail else None

    # --- the event stream ---------------------------------------------------------------------
    def _subscribe(self, since: float | None) -> Any:
        return self.engine.events({"type": ["container"], "event": list(ACTIONS)}, since=since)

    def _follow(self) -> None:
        last = self.started_at
        for _ in range(RESUBSCRIBE + 1):
            try:
                for event in self._stream:
                    last = max(last, self._record(event))
                    self._heard()
            except Exception:  # noqa: BLE001 - a stream ends when the engine goes away or on close()
                pass
            if self.done.is_set():
                return
            if not self.engine.answers(timeout=self.ping_timeout):
                self._lose(time.time(), "its event stream closed and it does not answer a ping")
                return
            try:  # still there: follow again from the last event seen, so nothing falls between
                self._stream = self._subscribe(last)
            except Exception:  # noqa: BLE001 - any failure to subscribe again is the engine lost
                self._lose(time.time(), "its event stream closed and could not be opened again")
                return
        self._lose(time.time(), f"its event stream closed {RESUBSCRIBE + 1} times")

    def _record(self, event: dict[str, Any]) -> float:
        actor = event.get("Actor") or {}
        attributes = actor.get("Attributes") or {}
        if self.project not in (attributes.get(L.PROJECT), attributes.get(COMPOSE_PROJECT)):
            return 0.0
        cid = str(actor.get("ID") or event.get("id") or "")
        action = str(event.get("Action") or event.get("status") or "")
        nanos = event.get("timeNano")
        at = nanos / 1e9 if isinstance(nanos, int) else float(event.get("time") or time.time())
        kind, _, health = action.partition(": ")
        code = attributes.get("exitCode")
        happening = Happening(
            at=at,
            seen_at=time.time(),
            action=kind,
            exit_code=int(str(code)) if kind == "die" and str(code).lstrip("-").isdigit() else None,
            health=health or None,
        )
        with self.lock:
            watch = self.containers.get(cid)
            if watch is None:
                watch = self._new(cid, {"Name": attributes.get("name", ""), "Config": {"Labels": attributes}})
            watch.happenings.append(happening)
        for feed in list(self.feeds):
            feed.heard(cid, attributes, happening)
        return at

    def _new(self, cid: str, detail: dict[str, Any] | None) -> ContainerWatch:
        """A record for ``cid`` (under ``lock``), its name and service from its labels."""
        labels = ((detail or {}).get("Config") or {}).get("Labels") or {}
        watch = ContainerWatch(
            id=cid,
            name=str((detail or {}).get("Name") or cid[:12]).lstrip("/"),
            # a `docker compose run` one-off is no service's: what happens to it is no service's
            service=service_of(labels),
        )
        self.containers[cid] = watch
        return watch

    # --- liveness -----------------------------------------------------------------------------
    def _heard(self) -> None:
        self._answered = time.monotonic()
        self._answered_wall = time.time()

    def _ping(self) -> None:
        while not self.done.wait(self.ping_every):
            if self.engine.answers(timeout=self.ping_timeout):
                self._heard()
            elif time.monotonic() - self._answered >= self.silence:
                self._lose(self._answered_wall, f"it answered no ping for {self.silence:g}s")
                return

    def _lose(self, at: float, reason: str) -> None:
        with self.lock:
            if self.lost is not None or self.done.is_set():
                return
            self.lost = EngineLost(at=at, reason=reason)
        if self.on_lost is not None:
            self.on_lost(self.lost)
