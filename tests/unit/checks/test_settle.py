"""checks/settle.py over recorded inspect documents and a fake clock: a container seen up counts only
once its current start has lasted the engine's 10 s."""

from __future__ import annotations

from typing import Any

from validator.checks.settle import SETTLE, settled, unsettled

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z, the "now" of these tests


def _doc(started: str, *, running: bool = True, restarts: int = 0) -> dict[str, Any]:
    return {"State": {"Running": running, "Status": "running" if running else "exited", "StartedAt": started,
                      "RestartCount": restarts}}


OLD = "2027-01-15T07:00:00.000000000Z"  # an hour before T0
YOUNG = "2027-01-15T07:59:57.000000000Z"  # 3 s before T0
LATER = "2027-01-15T08:00:05.000000000Z"  # a restart 5 s after T0


class Clock:
    def __init__(self) -> None:
        self.now, self.slept = T0, 0.0

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


def _settle(details: dict[str, dict[str, Any]], later: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], Clock]:
    clock = Clock()
    looked: list[str] = []

    def inspect(cid: str) -> dict[str, Any]:
        looked.append(cid)
        return later[cid]

    out = settled(details, inspect, now=lambda: clock.now, sleep=clock.sleep)
    assert set(looked) <= set(later)
    return out, clock


def test_an_old_start_costs_no_wait_and_no_second_look():
    out, clock = _settle({"a": _doc(OLD)}, {})
    assert clock.slept == 0 and unsettled(out["a"]) is None


def test_a_young_start_is_looked_at_again_when_it_is_ten_seconds_old():
    out, clock = _settle({"a": _doc(YOUNG)}, {"a": _doc(YOUNG)})
    assert abs(clock.slept - (SETTLE - 3.0)) < 0.01 and unsettled(out["a"]) is None


def test_a_restart_while_waiting_is_unsettled_whatever_the_second_look_says():
    out, _ = _settle({"a": _doc(YOUNG)}, {"a": _doc(LATER, restarts=1)})
    assert unsettled(out["a"]) == "restarted 1 time within 10s of its start"
    assert out["a"]["State"]["StartedAt"] == LATER


def test_a_container_that_stopped_while_waiting_did_not_stay_up():
    out, _ = _settle({"a": _doc(YOUNG)}, {"a": _doc(YOUNG, running=False)})
    assert unsettled(out["a"]) == "did not stay up within 10s of its start"


def test_a_container_that_cannot_be_looked_at_again_is_unsettled():
    def gone(cid: str) -> dict[str, Any]:
        raise LookupError(cid)

    clock = Clock()
    out = settled({"a": _doc(YOUNG)}, gone, now=lambda: clock.now, sleep=clock.sleep)
    assert unsettled(out["a"]) == "could not be looked at again (LookupError)"


def test_an_unknown_or_future_start_waits_the_whole_settle_and_one_wait_serves_all():
    future = "2027-01-15T08:01:00.000000000Z"
    docs = {"a": _doc("0001-01-01T00:00:00Z"), "b": _doc(future), "c": _doc(YOUNG)}
    out, clock = _settle(docs, docs)
    assert clock.slept == SETTLE and not any(unsettled(d) for d in out.values())


def test_a_stopped_container_is_not_waited_for():
    out, clock = _settle({"a": _doc(YOUNG, running=False)}, {})
    assert clock.slept == 0 and out["a"]["State"]["Running"] is False
