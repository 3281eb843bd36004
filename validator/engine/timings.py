"""Per-service startup and health seconds, kept between runs.

``up`` measures them when it creates, recreates or starts a container; a later run that changes
nothing reports the figures measured for the very same container. For a container this machine
never saw start, they are read back from the engine (Created, StartedAt, the health log), of the
container's current start only (engine/stamps.py): what the record cannot tell is unknown, never 0.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from validator.engine.stamps import HEALTH_LOG, elapsed, engine_time, probes_of_start
from validator.engine.waiter import Timing
from validator.fileio import atomic_write_text


def state_path(base_dir: Path, project: str) -> Path:
    return base_dir / ".validator" / "state" / f"{project}.json"


def load(base_dir: Path, project: str) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(state_path(base_dir, project).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def save(base_dir: Path, project: str, timings: Mapping[str, Mapping[str, Timing]]) -> None:
    """Keep each service's timings with the containers they were measured on (service -> container
    ID -> timing). One container is kept as before scale existed; a scaled service's replicas each
    under ``replicas``, so a replica that stays keeps its own figures when others come or go."""
    data = load(base_dir, project)
    for service, per in timings.items():
        ids = list(per)
        if not ids:
            continue
        if len(ids) == 1:
            data[service] = {"container": ids[0], **asdict(per[ids[0]])}
        else:
            data[service] = {"container": ids[0], "replicas": {cid: asdict(t) for cid, t in per.items()}}
    atomic_write_text(state_path(base_dir, project), json.dumps(data, indent=2, sort_keys=True))


def known_each(
    saved: dict[str, dict[str, Any]],
    service: str,
    containers: Sequence[str],
    inspect: Callable[[str], dict[str, Any]] | None = None,
) -> dict[str, Timing]:
    """The timings ``up`` saved for those of ``containers`` it measured (``saved`` is what ``load``
    returned), by container ID. With ``inspect``, only those measured on the container's current
    start: a container restarted since (its restart policy after a crash, ``docker restart``) has a
    new ``StartedAt``, and figures of its earlier life are no evidence about this one."""
    entry = saved.get(service) or {}
    replicas = entry.get("replicas")
    stored = replicas if isinstance(replicas, dict) else {entry.get("container"): entry}
    out = {}
    for cid in containers:
        figures = stored.get(cid)
        if isinstance(figures, dict):
            timing = Timing(**{k: figures.get(k) for k in Timing.__dataclass_fields__})  # type: ignore[arg-type]
            if inspect is None or (timing.started and timing.started == current_start(inspect(cid))):
                out[cid] = timing
    return out


def current_start(detail: dict[str, Any]) -> str | None:
    """The engine's stamp of the container's current start (``State.StartedAt``)."""
    started = (detail.get("State") or {}).get("StartedAt")
    return started if isinstance(started, str) and not started.startswith("0001-") else None


# seconds: the engine stamps StartedAt before it sends the start event this run's waiter saw, so the
# current start began before ``running_at``; a later one (beyond rounding) is another start
_SAME_START_SLACK = 0.5


def stamp_starts(measured: Mapping[str, Timing], inspect: Callable[[str], dict[str, Any]]) -> None:
    """Tie each figure measured by this ``up`` to the start it was measured on (``Timing.started``).
    ``inspect`` is read after the walk: a container whose current start began after this run saw it
    running restarted since (its figures are of an earlier life), so they are tied to no start and no
    later run takes them as evidence of this one."""
    for cid, timing in measured.items():
        started = current_start(inspect(cid))
        began = engine_time(started)
        later = began is not None and timing.running_at is not None and began > timing.running_at + _SAME_START_SLACK
        timing.started = None if later else started


def of_service(
    saved: dict[str, dict[str, Any]],
    service: str,
    containers: Sequence[str],
    inspect: Callable[[str], dict[str, Any]],
    measured: Mapping[str, Timing] | None = None,
) -> Timing:
    """A service's timing over its containers (``containers`` not empty): each container's as this run
    measured it, else as an earlier run saved it, else as the engine's record gives it; the slowest."""
    stored = known_each(saved, service, containers, inspect)
    each = [(measured or {}).get(cid) or stored.get(cid) or from_inspect(inspect(cid)) for cid in containers]
    return each[0] if len(each) == 1 else slowest(each)


# The figures criteria judge: the service's is the slowest replica's, so it is unknown while any
# replica's is (the maximum of the others could be lower than the truth).
_JUDGED = frozenset({"startup", "healthy", "running_at", "healthy_at"})


def slowest(timings: Sequence[Timing]) -> Timing:
    """One service's timing from its replicas': each figure the slowest replica's (the latest moment,
    the longest time), restarts summed, as the Swarm backend reports its tasks; ``startup`` and
    ``healthy`` unknown when one replica's is. ``timings`` is not empty."""
    out = Timing(requested_at=min(t.requested_at for t in timings))
    for item in fields(Timing):
        if item.name == "requested_at":
            continue
        values = [getattr(t, item.name) for t in timings if getattr(t, item.name) is not None]
        if item.name == "restarts":
            out.restarts = sum(values)
        elif values and (item.name not in _JUDGED or len(values) == len(timings)):
            setattr(out, item.name, max(values))
    return out


def from_inspect(detail: dict[str, Any]) -> Timing:
    """Best effort from the engine's own record, of the container's current start only: ``startup``
    (Created -> StartedAt) when that start is its first, ``healthy`` (StartedAt -> the end of its
    first passing probe) when the health log reaches back to it. Anything else is unknown (None),
    never 0: a figure from an earlier life of the container is no evidence about this one."""
    state = detail.get("State") or {}
    created = engine_time(detail.get("Created"))
    started = engine_time(state.get("StartedAt"))
    first = first_start(detail)
    timing = Timing(requested_at=(created if first else started) or created or 0.0, running_at=started)
    if first:
        timing.startup = elapsed(created, started)
    healthy = first_pass(state, started)
    timing.healthy = elapsed(started, healthy)
    if timing.healthy is not None:
        timing.healthy_at = healthy
    timing.restarts = int(detail.get("RestartCount") or 0)
    return timing


def first_start(detail: dict[str, Any]) -> bool:
    """Whether the container's current start is its first since it was created: the engine stamps
    ``FinishedAt`` when a start ends (a crash, a stop, ``docker restart``) and counts its restart
    policy's restarts; with neither, Created -> StartedAt is this start's startup."""
    state = detail.get("State") or {}
    return engine_time(state.get("FinishedAt")) is None and not detail.get("RestartCount")


def first_pass(state: dict[str, Any], started: float | None) -> float | None:
    """When the current start first passed its health check, by the engine's clock; None if unknown.
    The health log outlives restarts, so only probes begun at or after ``StartedAt`` count; and the log
    holds the last ``HEALTH_LOG`` probes, so the first pass is known only while the log still reaches
    back to this start (fewer probes than that, or one from before it), and only while healthy."""
    log = (state.get("Health") or {}).get("Log") or []
    current = probes_of_start(state)
    if started is None or current is None or (state.get("Health") or {}).get("Status") != "healthy":
        return None
    if len(current) == len(log) and len(log) >= HEALTH_LOG:
        return None  # the first probes of this start may have been dropped from the log
    return next((engine_time(entry.get("End")) for entry in current if entry.get("ExitCode") == 0), None)


def ran_for(detail: dict[str, Any]) -> float | None:
    """Seconds a stopped container ran, by the engine's clock (StartedAt to FinishedAt); None if unknown."""
    state = detail.get("State") or {}
    # a running container's FinishedAt is its previous start's end, before StartedAt: unknown
    return elapsed(engine_time(state.get("StartedAt")), engine_time(state.get("FinishedAt")))
