"""The engine's timestamps, read as evidence of a container's *current* start.

The engine keeps some records across a container's restarts (its health log, ``FinishedAt``, its
log): a stamp of an earlier start says nothing of this one, and a span between stamps of two
different starts can run backwards. Such a span is unknown (None), never 0. A leaf module: the
waiter, the timings and the Swarm task reader all read stamps through it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# The engine keeps a container's last five health probes (Docker's maxLogEntries), across restarts.
HEALTH_LOG = 5


def engine_time(text: object) -> float | None:
    """An engine timestamp (``2026-12-06T07:59:50.213145235Z``) as epoch seconds (microseconds kept);
    None for none, the zero time or a stamp it cannot read."""
    # Python 3.11's parser reads RFC 3339 whole: nanoseconds (cut to micro), a whole second without a
    # fraction ("...:45Z", which the hand-written parser before it refused), "Z" or an offset
    if not isinstance(text, str) or text.startswith("0001-"):
        return None
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def elapsed(begin: float | None, end: float | None) -> float | None:
    """Seconds from ``begin`` to ``end`` (one clock); None when either is unknown or ``end`` comes
    first. A negative span means the two stamps belong to different moments (a probe of an earlier
    start against this start's stamp): no evidence, which a criterion must see as unknown, not 0."""
    if begin is None or end is None or end < begin:
        return None
    return end - begin


def probes_of_start(state: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The health-log entries of the container's current start (begun at or after ``StartedAt``),
    oldest first; None when that cannot be told (no start stamp, an entry without its own)."""
    started = engine_time(state.get("StartedAt"))
    log = (state.get("Health") or {}).get("Log") or []
    begun = [engine_time(entry.get("Start")) for entry in log]
    if started is None or any(at is None for at in begun):
        return None
    return [entry for entry, at in zip(log, begun, strict=True) if at is not None and at >= started]


def passed_since_start(state: dict[str, Any]) -> bool:
    """Whether a health probe of the current start passed (a container that stopped since: its last
    start, up to ``FinishedAt``, is the one the log's newest entries belong to)."""
    probes = probes_of_start(state)
    return any(entry.get("ExitCode") == 0 for entry in probes or [])
