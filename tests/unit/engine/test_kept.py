"""engine/kept.py: a kept container judged again at the end of up, from its inspect's State."""

from __future__ import annotations

from typing import Any

import pytest

from validator.engine.kept import lost


def _d(status: str, *, code: int = 0, health: str | None = None, **more: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"Status": status, "Running": status == "running", "ExitCode": code, **more}
    if health is not None:
        state["Health"] = {"Status": health}
    return {"State": state}


@pytest.mark.parametrize(
    ("detail", "target", "job", "expected"),
    [
        (_d("running"), "running", False, None),
        (_d("exited", code=1), "running", False, "is exited (exit code 1)"),
        (_d("exited", code=0), "running", False, "is exited (exit code 0)"),  # a server that stopped
        (_d("exited", code=0), "running", True, None),  # a declared job that completed
        (_d("exited", code=0), "completed", False, None),
        (_d("exited", code=2), "completed", False, "is exited (exit code 2), not completed"),
        (_d("restarting", code=1, Restarting=True), "running", False, "is restarting (exit code 1)"),
        (_d("paused", Paused=True), "running", False, "is paused (exit code 0)"),
        (_d("running", health="healthy"), "healthy", False, None),
        (_d("running", health="unhealthy"), "healthy", False, "is unhealthy, not healthy"),
        (_d("running", health="unhealthy"), "running", False, "is unhealthy"),  # its image's check counts
        (_d("running", health="starting"), "running", False, "is starting"),  # started again meanwhile
        (None, "running", False, "no longer exists"),
        ({}, "running", False, "no longer exists"),
    ],
)
def test_lost(detail: Any, target: str, job: bool, expected: str | None) -> None:
    assert lost(detail, target, job) == expected


def _svc_sharing_net() -> Any:
    from validator.engine.shared_ns import SharedNamespace

    class Svc:  # the one field namespace_lost reads
        shares = (SharedNamespace(kind="network", container="p-net-1", service="net"),)

    return Svc()


def _running(cid: str, started: str, *, net: str | None = None) -> dict[str, Any]:
    host = {"NetworkMode": f"container:{net}"} if net else {}
    return {"Id": cid, "State": {"Running": True, "StartedAt": started}, "HostConfig": host, "Mounts": []}


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        (_running("N1", "2026-01-01T00:00:00Z"), None),  # the sharer started after its owner's start
        (_running("N1", "2026-01-01T00:00:20Z"), "started before its current start"),  # owner restarted since
        (_running("N2", "2026-01-01T00:00:00Z"), "as a removed container"),  # owner recreated
        (None, "that container is gone"),
    ],
)
def test_namespace_lost_judges_the_sharer_against_its_owner_now(owner: Any, expected: str | None) -> None:
    from validator.engine.kept import namespace_lost

    sharer = _running("W1", "2026-01-01T00:00:10Z", net="N1")
    why = namespace_lost(_svc_sharing_net(), sharer, lambda name: owner if name == "p-net-1" else None)
    assert (why is None) if expected is None else (expected in (why or "")), why
