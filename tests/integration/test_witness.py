"""``up`` reads the observation's inspect again after the run only where the engine reported no change
of the container since before it was taken (engine/witness.py), on the real engine."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.integration.test_reconcile import spy_requests
from validator.engine import reconcile as R
from validator.engine import witness as W
from validator.engine.timings import engine_time

pytestmark = pytest.mark.docker


def _inspects(requests: list[str], cid: str) -> int:
    return sum(1 for call in requests if call.startswith("GET ") and call.endswith(f"/containers/{cid}/json"))


def _quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """A short look back, then a pause past it: events of the cold ``up`` are not replayed as changes."""
    monkeypatch.setattr(W, "SKEW", 0.2)
    time.sleep(0.5)


def test_a_noop_up_inspects_each_container_once(project, monkeypatch):
    services = {"web": project.http_service(), "idle": project.sleeper()}
    cold = project.up(services)
    assert cold.ok, project.lines
    _quiet(monkeypatch)
    requests = spy_requests(project.engine)
    try:
        again = project.up(services)
    finally:
        del project.engine._request
    assert again.ok and all(r.action is None for r in again.services.values())
    for name in services:
        assert _inspects(requests, again.services[name].container) == 1, requests  # the observation's only
    # the figures measured at creation, tied to the start the observation's inspect saw
    assert again.services["web"].timing.startup == cold.services["web"].timing.startup
    assert again.services["web"].timing.healthy == cold.services["web"].timing.healthy


def test_a_container_restarted_after_the_observation_is_inspected_again(project, monkeypatch):
    services = {"idle": project.sleeper(), "other": project.sleeper()}
    cold = project.up(services)
    assert cold.ok, project.lines
    idle = cold.services["idle"].container
    _quiet(monkeypatch)
    real = R.observe
    restarted: list[float] = []

    def observe(engine, desired, ahead=None):
        # restart one right after the observation: between it and the figures read after the run
        seen = real(engine, desired)
        if not restarted:
            restarted.append(time.time())
            subprocess.run(["docker", "restart", "-t", "0", idle], check=True, capture_output=True, timeout=60)
        return seen

    monkeypatch.setattr(R, "observe", observe)
    requests = spy_requests(project.engine)
    try:
        again = project.up(services)
    finally:
        del project.engine._request
    assert restarted
    # the observation's, a fresh one (it changed), and the new observation of the plan drawn again at
    # the end of up (engine/reconcile.py ``_replanned``: a kept container changed during the walk)
    assert _inspects(requests, idle) == 3, requests
    assert _inspects(requests, again.services["other"].container) == 2, requests
    assert again.ok, project.lines  # a plain restart of a container without hooks leaves nothing to do
    # the figures saved for its earlier start are no evidence of this one: read from the new start
    running_at = again.services["idle"].timing.running_at
    assert running_at is not None and running_at >= restarted[0] - 1.0
    assert running_at > (cold.services["idle"].timing.running_at or 0) + 0.1


def test_an_event_just_before_the_witness_opened_counts_as_a_change(project, monkeypatch):
    monkeypatch.setattr(W, "SKEW", 2.0)
    services = {"idle": project.sleeper(), "other": project.sleeper()}
    cold = project.up(services)
    assert cold.ok, project.lines
    idle, other = (cold.services[n].container for n in ("idle", "other"))
    time.sleep(2.5)  # the cold up's events are older than the look back
    subprocess.run(["docker", "restart", "-t", "0", idle], check=True, capture_output=True, timeout=60)
    started = engine_time(project.engine.inspect(idle)["State"]["StartedAt"])
    assert started is not None
    if time.time() - started > W.SKEW - 0.5:  # a loaded machine took about as long as the look back
        pytest.skip("the restart is about as old as the witness looks back")
    with W.Witness(project.engine, project.name) as witness:
        deadline = time.monotonic() + 10
        while witness.unchanged(idle) and time.monotonic() < deadline:  # the replay arrives on its thread
            time.sleep(0.05)
        assert not witness.unchanged(idle)  # replayed from before the stream opened
        assert witness.unchanged(other)
    assert not witness.unchanged(other)  # closed: nothing is known any more
