"""Wait until every desired task of every service is running and healthy, or say why not.

The engine publishes no task events (API 1.41 has service, node, config and secret events on a
manager, and container events only on the node that runs the container). So the wait subscribes
to the manager's events, which wake it at once when a service or node changes or a local
container starts or turns healthy, and otherwise lists the tasks every ``POLL`` seconds: tasks on
other nodes change without any event the manager could send, and a task's state on the manager
follows its container's event a moment later. At most one listing (nodes and tasks, two short
calls) per ``AFTER_EVENT``; every wait is bounded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from validator.engine.docker_api import Engine
from validator.swarm import api
from validator.swarm.desired import SwarmService
from validator.swarm.tasks import Seen, ServiceView, node_names, record, timestamp, view

# What `docker stack deploy` users wait with (a 0.1 s poll of the tasks, as bench/swarm.py's anchor
# does): a 0.5 s poll found the last task running 0.3 s after the engine's own timestamp (median).
POLL = 0.1
# An event (a local container turned healthy) reaches the manager's task state a moment later:
# look again this soon after an event (and never list more often than this).
AFTER_EVENT = 0.1
# The scheduler retries a pending task whenever nodes change, and a drain or a joining node can
# settle within seconds; only an error that outlives this grace fails the wait early.
UNSCHEDULABLE_GRACE = 5.0
# A service whose tasks keep failing (non-zero exit, unhealthy) is not going to become ready; the
# restart policy would go on replacing them until the timeout otherwise.
FAILURE_LIMIT = 3
UNSCHEDULABLE = ("no suitable node", "insufficient resources")


@dataclass
class Outcome:
    view: ServiceView
    ok: bool
    message: str


def wait(
    engine: Engine,
    services: dict[str, SwarmService],
    ids: dict[str, str],
    seen: dict[str, Seen],
    progress: Callable[[str, str], None],
    timeout: float,
) -> dict[str, Outcome]:
    started = time.monotonic()
    since = time.time()
    wake = threading.Event()
    stream = engine.events({"type": ["service", "node", "container"]}, since=since)

    def follow() -> None:
        with suppress(Exception):  # the stream ends with an error when closed: that is the stop signal
            for _event in stream:
                wake.set()

    threading.Thread(target=follow, daemon=True, name="swarm-events").start()
    outcomes: dict[str, Outcome] = {}
    stuck_since: dict[str, float] = {}
    last: dict[str, str] = {}
    try:
        while True:
            wake.clear()
            names = node_names(api.nodes(engine))
            tasks = api.tasks(engine, [ids[n] for n in services if n not in outcomes])
            record(seen, tasks)
            now = time.monotonic()
            for name, svc in services.items():
                if name in outcomes:
                    continue
                mine = [t for t in tasks if t.get("ServiceID") == ids[name]]
                current = view(name, svc.replicas, svc.healthcheck, mine, names, seen)
                text = current.describe()
                if text != last.get(name):
                    last[name] = text
                    progress(name, text)
                if current.ready:
                    outcomes[name] = Outcome(current, True, text)
                    continue
                failure = _failed(current, mine, since, now, stuck_since, svc.name)
                if failure:
                    outcomes[name] = Outcome(current, False, failure)
                elif now - started > min(timeout, svc.startup_timeout + svc.health_timeout):
                    bound = min(timeout, svc.startup_timeout + svc.health_timeout)
                    outcomes[name] = Outcome(current, False, f"not ready after {bound:g}s: {text}")
            if len(outcomes) == len(services):
                return outcomes
            if wake.wait(POLL):
                time.sleep(AFTER_EVENT)
    finally:
        with suppress(Exception):
            stream.close()


def _failed(
    current: ServiceView,
    tasks: list[dict[str, Any]],
    since: float,
    now: float,
    stuck_since: dict[str, float],
    name: str,
) -> str | None:
    unschedulable = [r for r in current.reasons if any(u in r for u in UNSCHEDULABLE)]
    if unschedulable:
        first = stuck_since.setdefault(name, now)
        if now - first >= UNSCHEDULABLE_GRACE:
            return f"{current.describe()} (for {now - first:.0f}s)"
    else:
        stuck_since.pop(name, None)
    failures = [
        t
        for t in tasks
        if (t.get("Status") or {}).get("State") in ("failed", "rejected")
        and (timestamp(t.get("CreatedAt")) or 0.0) >= since - 1.0
    ]
    if len(failures) >= FAILURE_LIMIT:
        return f"{len(failures)} tasks failed since up began: {current.describe()}"
    return None
