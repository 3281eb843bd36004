"""``--no-up``: a container seen up counts only once its current start has lasted ``SETTLE`` seconds.

One look at a crash-looping container can fall in the second it is up, and a look alone cannot tell
that second from a stable service. The engine itself draws the line at 10 s: a container that ran
that long resets its restart back-off (it "started successfully"). So a container whose current start
is younger than that is looked at again when it reaches that age, and it counts as up only if the
second look shows the same start still up. The wait is bounded by ``SETTLE`` (one wait for all
containers), and is needed only right after a start: a stack that has been up for a while costs none.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from validator.engine.stamps import engine_time
from validator.engine.watch import is_up

SETTLE = 10.0  # seconds: the engine's own "started successfully" (its restart back-off resets after 10 s)


def settled(
    details: Mapping[str, dict[str, Any]],
    inspect: Callable[[str], dict[str, Any]],
    *,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, dict[str, Any]]:
    """Each container's inspect document once every up container's start is ``SETTLE`` seconds old.
    A container that restarted, stopped or went away meanwhile is given as the later look shows it,
    marked ``Unsettled`` (with the reason) when its start changed, so the verdict cannot take it for up."""
    young = {cid: d for cid, d in details.items() if is_up(d.get("State") or {}) and _age(d, now()) < SETTLE}
    if not young:
        return dict(details)
    wait = min(SETTLE, max(SETTLE - _age(d, now()) for d in young.values()))
    sleep(max(0.0, wait))
    out = dict(details)
    for cid, before in young.items():
        out[cid] = _again(cid, before, inspect)
    return out


def unsettled(detail: Mapping[str, Any]) -> str | None:
    """Why a container's start did not hold while it was looked at, or None."""
    reason = detail.get("Unsettled")
    return reason if isinstance(reason, str) else None


def _age(detail: Mapping[str, Any], now: float) -> float:
    """Seconds since the current start, by this machine's clock; an unknown start counts as new.
    A start "in the future" (clock skew) counts as new too: waiting costs time, not truth."""
    started = engine_time((detail.get("State") or {}).get("StartedAt"))
    return 0.0 if started is None else max(0.0, now - started)


def _again(cid: str, before: dict[str, Any], inspect: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    try:
        after = inspect(cid)
    except Exception as exc:  # noqa: BLE001 - any failure to look again leaves the start unproven
        return {**before, "Unsettled": f"could not be looked at again ({type(exc).__name__})"}
    start_before = (before.get("State") or {}).get("StartedAt")
    state = after.get("State") or {}
    if state.get("StartedAt") != start_before or not is_up(state):
        restarts = int(state.get("RestartCount") or 0) - int((before.get("State") or {}).get("RestartCount") or 0)
        why = f"restarted {restarts} time{'s' if restarts != 1 else ''}" if restarts > 0 else "did not stay up"
        return {**after, "Unsettled": f"{why} within {SETTLE:g}s of its start"}
    return after
