"""A service's tasks read into replica counts, per-task timings and nodes, and the engine's
reasons for the tasks that are missing (pure functions over the API's task and node lists).

Swarm keeps a task with a health check in state ``starting`` until its container is healthy, so
a task ``running`` is a healthy one; without a health check ``running`` means the container runs.
The engine keeps only a task's current state and its time, so the waiter records each state the
first time it sees it (``Seen``); startup is create -> container started (``starting``), health
is started -> ``running``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from validator.engine.stamps import elapsed, engine_time
from validator.fileio import atomic_write_text

# States of a task whose container has not started yet; "failed", "rejected", "shutdown",
# "complete", "orphaned", "remove" are ends.
BEFORE_START = ("new", "pending", "assigned", "accepted", "ready", "preparing")
ENDED = ("complete", "shutdown", "failed", "rejected", "orphaned", "remove")


@dataclass
class Seen:
    """What the waiter saw of one task: engine timestamps (epoch seconds) per state."""

    created: float
    starting: float | None = None
    running: float | None = None


@dataclass(frozen=True, kw_only=True)
class TaskView:
    id: str
    slot: int | None
    node: str
    state: str
    message: str
    startup: float | None
    healthy: float | None


@dataclass(kw_only=True)
class ServiceView:
    name: str
    desired: int
    running: int
    healthy: int
    healthcheck: bool
    tasks: list[TaskView] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.healthy >= self.desired

    @property
    def missing(self) -> int:
        return max(0, self.desired - self.healthy)

    def describe(self) -> str:
        """``2/3 tasks healthy; missing 1: no suitable node (...)``."""
        text = f"{self.healthy}/{self.desired} tasks {'healthy' if self.healthcheck else 'running'}"
        if self.missing:
            text += f"; missing {self.missing}"
            if self.reasons:
                text += ": " + "; ".join(self.reasons)
        return text


def timestamp(text: str | None) -> float | None:
    """Engine RFC 3339 time with nanoseconds -> epoch seconds (the engine's clock); the containers
    backend's parser (a time zone other than Z, a whole second, a stamp it cannot read: None)."""
    return engine_time(text)


def load_seen(path: Path) -> dict[str, Seen]:
    """What earlier runs saw of each task, so a run that changes nothing reports the figures
    measured when those very tasks started (the engine keeps only a task's current state)."""
    try:
        data = json.loads(path.read_text())
        return {k: Seen(**v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError, TypeError):
        return {}


def save_seen(path: Path, seen: dict[str, Seen], keep: set[str]) -> None:
    data = {k: asdict(v) for k, v in seen.items() if k in keep}
    atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True))


def record(seen: dict[str, Seen], tasks: list[dict[str, Any]]) -> None:
    """Note each task's state time the first time a state is seen."""
    for task in tasks:
        created = timestamp(task.get("CreatedAt")) or 0.0
        entry = seen.setdefault(task["ID"], Seen(created))
        state = (task.get("Status") or {}).get("State")
        stamp = timestamp((task.get("Status") or {}).get("Timestamp"))
        if state == "starting" and entry.starting is None:
            entry.starting = stamp
        elif state == "running" and entry.running is None:
            entry.running = stamp


def node_names(nodes: list[dict[str, Any]]) -> dict[str, str]:
    return {n["ID"]: (n.get("Description") or {}).get("Hostname") or n["ID"][:12] for n in nodes}


def view(
    name: str,
    desired: int | None,
    healthcheck: bool,
    tasks: list[dict[str, Any]],
    nodes: dict[str, str],
    seen: dict[str, Seen] | None = None,
) -> ServiceView:
    """Counts, per-task views and the reasons tasks are missing, for one service.

    ``desired`` is None for a global service: then every task the orchestrator wants running
    counts (one per eligible node)."""
    seen = seen or {}
    current = [t for t in tasks if t.get("DesiredState") in ("running", "ready")]
    want = desired if desired is not None else len(current)
    views: list[TaskView] = []
    running = healthy = 0
    for task in sorted(current, key=lambda t: (t.get("Slot") or 0, t.get("NodeID") or "")):
        status = task.get("Status") or {}
        state = status.get("State", "?")
        up = state == "running" or (healthcheck and state == "starting")
        ok = state == "running"
        running += up
        healthy += ok
        entry = seen.get(task["ID"])
        startup = health = None
        if entry is not None:
            # a span that runs backwards (or from an unknown creation, 0) is unknown, never 0 (timings)
            created = entry.created or None
            if entry.starting is not None:
                startup = elapsed(created, entry.starting)
                if healthcheck:
                    health = elapsed(entry.starting, entry.running)
            elif entry.running is not None:
                # Started and turned running between two looks: no split between the two.
                startup = elapsed(created, entry.running)
        views.append(
            TaskView(
                id=task["ID"],
                slot=task.get("Slot"),
                node=nodes.get(task.get("NodeID") or "", "-"),
                state=state,
                message=status.get("Err") or status.get("Message") or "",
                startup=startup,
                healthy=health,
            )
        )
    reasons = _reasons(current, tasks, want - healthy, healthcheck)
    return ServiceView(
        name=name, desired=want, running=running, healthy=healthy, healthcheck=healthcheck, tasks=views, reasons=reasons
    )


def _reasons(current: list[dict[str, Any]], every: list[dict[str, Any]], missing: int, healthcheck: bool) -> list[str]:
    """Why tasks are missing, in the engine's words: pending tasks' errors (no suitable node,
    insufficient resources), the last failures (a non-zero exit, an unhealthy container)."""
    if missing <= 0:
        return []
    out: list[str] = []
    for task in current:
        status = task.get("Status") or {}
        if status.get("State") in BEFORE_START and status.get("Err"):
            out.append(f"{status['State']}: {status['Err']}")
        elif status.get("State") == "starting" and healthcheck:
            out.append("starting: not healthy yet")
    failed = sorted(
        (t for t in every if (t.get("Status") or {}).get("State") in ("failed", "rejected")),
        key=lambda t: t.get("UpdatedAt") or "",
        reverse=True,
    )
    for task in failed[:2]:
        status = task.get("Status") or {}
        out.append(f"{status['State']}: {status.get('Err') or status.get('Message') or 'no reason given'}")
    if len(current) < missing and not out:
        out.append(f"only {len(current)} task(s) scheduled")
    return list(dict.fromkeys(out))


def startup_of(view_: ServiceView) -> float | None:
    values = [t.startup for t in view_.tasks if t.startup is not None]
    return max(values) if values else None


def healthy_of(view_: ServiceView) -> float | None:
    values = [t.healthy for t in view_.tasks if t.healthy is not None]
    return max(values) if values else None
