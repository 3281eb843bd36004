"""Per-service startup and health seconds, kept between runs.

``up`` measures them when it creates, recreates or starts a container; a later run that changes
nothing reports the figures measured for the very same container. For a container this machine
never saw start, they are read back from the engine (Created, StartedAt, the health log).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any

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


def save(base_dir: Path, project: str, timings: dict[str, tuple[str | Sequence[str], Timing]]) -> None:
    """Keep each service's timing with the container it was measured on (a scaled service: every
    replica's container, replica 1 first, with the slowest replica's figures)."""
    data = load(base_dir, project)
    for service, (containers, timing) in timings.items():
        ids = [containers] if isinstance(containers, str) else list(containers)
        entry: dict[str, Any] = {"container": ids[0] if ids else "", **asdict(timing)}
        if len(ids) > 1:
            entry["containers"] = ids
        data[service] = entry
    atomic_write_text(state_path(base_dir, project), json.dumps(data, indent=2, sort_keys=True))


def known(saved: dict[str, dict[str, Any]], service: str, container: str | Sequence[str]) -> Timing | None:
    """The timing ``up`` saved for these very containers (``saved`` is what ``load`` returned): a
    scaled service's figures stand only while the same replicas run."""
    entry = saved.get(service)
    ids = [container] if isinstance(container, str) else list(container)
    if not entry or list(entry.get("containers") or [entry.get("container")]) != ids:
        return None
    fields = {k: entry.get(k) for k in Timing.__dataclass_fields__}
    return Timing(**fields)  # type: ignore[arg-type]


def slowest(timings: Sequence[Timing]) -> Timing:
    """One service's timing from its replicas': each figure the slowest replica's (the latest moment,
    the longest time), restarts summed, as the Swarm backend reports its tasks. ``timings`` is not empty."""
    out = Timing(requested_at=min(t.requested_at for t in timings))
    for item in fields(Timing):
        if item.name == "requested_at":
            continue
        values = [getattr(t, item.name) for t in timings if getattr(t, item.name) is not None]
        if item.name == "restarts":
            out.restarts = sum(values)
        elif values:
            setattr(out, item.name, max(values))
    return out


def from_inspect(detail: dict[str, Any]) -> Timing:
    """Best effort from the engine's own record (health log holds only the last 5 checks)."""
    state = detail.get("State") or {}
    created = _time(detail.get("Created"))
    started = _time(state.get("StartedAt"))
    timing = Timing(requested_at=created or 0.0, running_at=started)
    if created and started:
        timing.startup = max(0.0, started - created)
    log = (state.get("Health") or {}).get("Log") or []
    healthy = next((_time(e.get("End")) for e in log if e.get("ExitCode") == 0), None)
    if started and healthy and (state.get("Health") or {}).get("Status") == "healthy" and len(log) < 5:
        timing.healthy_at = healthy
        timing.healthy = max(0.0, healthy - started)
    timing.restarts = int(detail.get("RestartCount") or 0)
    return timing


def _time(text: object) -> float | None:
    if not isinstance(text, str) or text.startswith("0001-"):
        return None
    head, _, rest = text.partition(".")
    fraction = "".join(ch for ch in rest if ch.isdigit())[:6]
    zone = rest[len("".join(ch for ch in rest if ch.isdigit())) :] if rest else text[19:]
    stamp = f"{head}.{fraction or '0'}{zone.replace('Z', '+00:00') or '+00:00'}"
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None
