"""Containers inspected together (engine/inspect_each.py): every ID answered once, in order, the calls
overlapping (a barrier only the concurrent calls pass), and an engine error raised as before."""

from __future__ import annotations

import threading

import pytest

from validator.engine.inspect_each import MAX_AT_ONCE, inspect_each


def test_each_container_is_inspected_once_and_the_calls_overlap():
    ids = [f"c{i}" for i in range(4)]
    # sequential calls would wait at the barrier for ever: bounded, it breaks instead and fails the test
    barrier = threading.Barrier(len(ids), timeout=10)
    calls: list[str] = []

    def inspect(cid: str) -> dict[str, str]:
        calls.append(cid)
        barrier.wait()
        return {"Id": cid}

    got = inspect_each(inspect, [*ids, "c0"])
    assert list(got) == ids and all(got[cid] == {"Id": cid} for cid in ids)
    assert sorted(calls) == ids


def test_at_most_a_bounded_number_at_once():
    active, peak, lock = [0], [0], threading.Lock()
    started = threading.Event()

    def inspect(cid: str) -> None:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        started.wait(0.05)
        with lock:
            active[0] -= 1

    inspect_each(inspect, [str(i) for i in range(MAX_AT_ONCE * 3)])
    assert 1 < peak[0] <= MAX_AT_ONCE


def test_an_engine_error_propagates_and_a_gone_container_is_none():
    def inspect(cid: str) -> dict[str, str] | None:
        if cid == "bad":
            raise RuntimeError("engine said no")
        return None if cid == "gone" else {"Id": cid}

    assert inspect_each(inspect, ["a", "gone"]) == {"a": {"Id": "a"}, "gone": None}
    with pytest.raises(RuntimeError, match="engine said no"):
        inspect_each(inspect, ["a", "bad", "b"])
