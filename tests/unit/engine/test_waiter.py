"""The waiter's verdicts come from the order of events, never from when its one inspect runs: a
container ``up`` started reads the same whether the inspect saw it running or already exited.
The engine is a fake here (its inspect answer and the queued events); the real engine runs the same
cases twice in tests/integration/test_jobs.py."""

from __future__ import annotations

import queue
import time
from typing import Any

import pytest

from validator.engine.waiter import Timing, Waiter, WaitFailed


class Engine:
    address = "unix:///fake.sock"

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def inspect(self, container: str) -> dict[str, Any]:
        return {"State": self.state}

    def try_inspect(self, container: str) -> dict[str, Any] | None:
        return {"State": self.state}

    def logs(self, container: str, tail: int = 20) -> str:
        return "boom"

    def answers(self) -> bool:
        return True


def event(status: str, code: int | None = None) -> dict[str, Any]:
    attrs = {} if code is None else {"exitCode": str(code)}
    return {"status": status, "Actor": {"Attributes": attrs}}


EXITED = {"Status": "exited", "Running": False, "ExitCode": 111, "StartedAt": "2026-12-06T00:00:00Z"}
RUNNING = {"Status": "running", "Running": True}


def wait(state: dict[str, Any], events: list[dict[str, Any]], target: str, fresh: bool) -> Timing:
    q: queue.Queue[dict[str, Any]] = queue.Queue()
    for item in events:
        q.put(item)
    waiter = Waiter(
        engine=Engine(state),  # type: ignore[arg-type]
        events=q,
        container="c1",
        service="job",
        target=target,  # type: ignore[arg-type]
        startup_timeout=2.0,
        health_timeout=2.0,
        restart_grace=None,
        requested_mono=time.monotonic(),
        timing=Timing(requested_at=time.time()),
        deadline=time.monotonic() + 5,
        fresh=fresh,
    )
    return waiter.wait()


@pytest.mark.parametrize("state", [RUNNING, EXITED], ids=["inspect saw it running", "inspect saw it exited"])
def test_a_started_container_is_started_whenever_the_inspect_runs(state):
    timing = wait(state, [event("start"), event("die", 111)], "running", fresh=True)
    assert timing.startup is not None


@pytest.mark.parametrize("state", [RUNNING, {**EXITED, "ExitCode": 0}], ids=["running", "exited"])
def test_a_job_waited_on_completes_by_its_exit_code(state):
    timing = wait(state, [event("start"), event("die", 0)], "completed", fresh=True)
    assert timing.healthy_at is not None


@pytest.mark.parametrize("state", [RUNNING, EXITED], ids=["running", "exited"])
def test_a_job_waited_on_that_fails_fails_the_same_way(state):
    with pytest.raises(WaitFailed, match="job: exited with code 111\n  last log lines:\n    boom"):
        wait(state, [event("start"), event("die", 111)], "completed", fresh=True)


def test_a_container_this_run_did_not_start_is_judged_by_its_state():
    with pytest.raises(WaitFailed, match="exited with code 111"):
        wait(EXITED, [], "running", fresh=False)


def test_healthy_before_it_died_counts_as_healthy():
    passed, failed = (
        {"ExitCode": code, "Start": f"2026-12-06T00:00:0{n}Z", "End": f"2026-12-06T00:00:0{n}.1Z"}
        for code, n in ((0, 1), (1, 2))
    )
    died_healthy = {**EXITED, "Health": {"Status": "unhealthy", "Log": [passed, failed]}}
    timing = wait(died_healthy, [], "healthy", fresh=True)
    assert timing.healthy is not None
    never = {**EXITED, "Health": {"Status": "unhealthy", "Log": [failed]}}
    with pytest.raises(WaitFailed, match="exited with code 111"):
        wait(never, [], "healthy", fresh=True)
    # the health log outlives restarts: a pass begun before this start's StartedAt is an earlier start's
    earlier = {**passed, "Start": "2026-12-05T23:59:58Z", "End": "2026-12-05T23:59:58.1Z"}
    restarted = {**EXITED, "Health": {"Status": "starting", "Log": [earlier]}}
    with pytest.raises(WaitFailed, match="exited with code 111"):
        wait(restarted, [], "healthy", fresh=True)
