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
