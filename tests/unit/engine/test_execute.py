"""The one executor (engine/execute.py) over a fake step runner: order, overlap, failure, cancellation."""

from __future__ import annotations

import threading

import pytest

from validator.engine.execute import TIME_LIMIT, execute
from validator.engine.graph import Step


class Boom(Exception):
    pass


def _steps(*edges: tuple[str, tuple[str, ...]]) -> list[Step]:
    return [Step(call=key, target="x", needs=tuple(f"{n} x" for n in needs)) for key, needs in edges]


def _recorder(fail: frozenset[str] = frozenset()):
    order: list[str] = []
    lock = threading.Lock()

    def run(step):
        with lock:
            order.append(step.key)
        if step.key in fail:
            raise Boom(f"{step.key} broke")

    return order, run


def test_each_step_runs_after_what_it_needs():
    steps = _steps(("a", ()), ("b", ("a",)), ("c", ("a",)), ("d", ("b", "c")))
    order, run = _recorder()
    outcome = execute(steps, run, workers=4, failures=(Boom,))
    assert sorted(order) == ["a x", "b x", "c x", "d x"]
    assert order[0] == "a x" and order[-1] == "d x"
    assert outcome.of("done") == [s.key for s in steps] or set(outcome.of("done")) == {s.key for s in steps}
    for step in steps:
        result = outcome.steps[step.key]
        for need in step.needs:
            assert outcome.steps[need].ended is not None and result.started is not None
            assert outcome.steps[need].ended <= result.started


def test_independent_steps_overlap():
    # three steps that each wait for the other two at a barrier: they end only if all run at once
    barrier = threading.Barrier(3, timeout=10)
    steps = _steps(("a", ()), ("b", ()), ("c", ()), ("d", ("a", "b", "c")))

    def run(step):
        if step.key != "d x":
            barrier.wait()

    outcome = execute(steps, run, workers=3, failures=(Boom, threading.BrokenBarrierError))
    assert outcome.of("failed") == [] and len(outcome.of("done")) == 4


def test_the_bound_holds():
    # with two workers the barrier of three never fills: each party times out, nothing hangs
    barrier = threading.Barrier(3, timeout=0.5)
    busy = {"now": 0, "most": 0}
    lock = threading.Lock()

    def run(step):
        with lock:
            busy["now"] += 1
            busy["most"] = max(busy["most"], busy["now"])
        try:
            barrier.wait()
        finally:
            with lock:
                busy["now"] -= 1

    outcome = execute(_steps(("a", ()), ("b", ()), ("c", ())), run, workers=2, failures=(threading.BrokenBarrierError,))
    assert busy["most"] == 2
    assert outcome.of("failed")  # the barrier broke: never three at once


def test_a_failure_stops_what_needs_it_and_nothing_else():
    steps = _steps(("a", ()), ("b", ("a",)), ("c", ("b",)), ("x", ()), ("y", ("x",)))
    order, run = _recorder(frozenset({"a x"}))
    outcome = execute(steps, run, workers=2, failures=(Boom,))
    assert outcome.steps["a x"].status == "failed" and outcome.steps["a x"].error == "a x broke"
    for key in ("b x", "c x"):
        assert outcome.steps[key].status == "not run"
        assert outcome.steps[key].blocked_by == "a x" and outcome.steps[key].error == "needs a x, which failed"
    assert outcome.steps["y x"].status == "done" and "b x" not in order


def test_an_ordering_edge_waits_but_does_not_carry_a_failure():
    steps = [Step(call="a", target="x"), Step(call="b", target="x", after=("a x",))]
    order, run = _recorder(frozenset({"a x"}))
    outcome = execute(steps, run, workers=2, failures=(Boom,))
    assert order == ["a x", "b x"] and outcome.steps["b x"].status == "done"


def test_a_fatal_failure_ends_the_walk():
    steps = _steps(("pull", ()), ("a", ("pull",)), ("b", ()))
    gate = threading.Event()

    def run(step):
        if step.key == "pull x":
            raise Boom("cannot pull")
        gate.wait(5)

    outcome = execute(steps, run, workers=1, failures=(Boom,), fatal=lambda s: s.key == "pull x")
    assert outcome.fatal is not None and outcome.fatal.key == "pull x" and outcome.cancelled
    assert outcome.steps["a x"].status == "not run" and outcome.steps["b x"].status == "not run"


def test_cancellation_mid_graph():
    # a runs, b waits for it; cancelling while a is in flight lets a end and leaves b not run
    cancel = threading.Event()
    woken = threading.Event()
    started = threading.Event()

    def run(step):
        if step.key == "a x":
            started.set()
            assert woken.wait(5)  # in flight: ends once the cancellation wakes it

    def trip():
        assert started.wait(5)
        cancel.set()

    threading.Thread(target=trip, daemon=True).start()
    steps = _steps(("a", ()), ("b", ("a",)), ("c", ("b",)))
    outcome = execute(steps, run, workers=2, failures=(Boom,), cancel=cancel, on_cancel=woken.set)
    assert outcome.cancelled and outcome.steps["a x"].status == "done"
    assert outcome.steps["b x"].status == outcome.steps["c x"].status == "not run"
    assert outcome.steps["b x"].error == "cancelled"


def test_an_unexpected_error_is_handed_back_after_the_walk():
    steps = _steps(("a", ()), ("b", ("a",)))

    def run(step):
        raise RuntimeError("a bug")

    outcome = execute(steps, run, workers=1, failures=(Boom,))
    assert isinstance(outcome.raised, RuntimeError) and outcome.steps["b x"].status == "not run"


def test_the_deadline_fails_what_still_runs(monkeypatch):
    import time

    gate = threading.Event()
    steps = _steps(("a", ()), ("b", ("a",)))
    outcome = execute(
        steps, lambda s: gate.wait(3), workers=1, failures=(Boom,), deadline=time.monotonic() + 0.1, grace=0.2
    )
    gate.set()
    assert outcome.steps["a x"].status == "failed" and outcome.steps["a x"].error == TIME_LIMIT
    assert outcome.steps["b x"].status == "not run"


def test_a_step_needing_an_unknown_step_is_refused():
    with pytest.raises(ValueError, match="not in the graph"):
        execute(_steps(("a", ("zz",))), lambda s: None, workers=1, failures=(Boom,))
