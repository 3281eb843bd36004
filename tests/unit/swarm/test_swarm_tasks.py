"""Task lists read into replica counts, per-task timings, nodes and the engine's reasons."""

from __future__ import annotations

from typing import Any

from validator.swarm.tasks import Seen, record, timestamp, view

NODES = {"n0": "manager", "n1": "worker-1"}


def _task(
    tid: str,
    state: str,
    *,
    slot: int = 1,
    node: str = "n1",
    err: str = "",
    desired: str = "running",
    created: str = "2026-11-24T10:00:00.000000000Z",
    at: str = "2026-11-24T10:00:01.500000000Z",
) -> dict[str, Any]:
    status: dict[str, Any] = {"State": state, "Timestamp": at, "Message": state}
    if err:
        status["Err"] = err
    return {"ID": tid, "Slot": slot, "NodeID": node, "DesiredState": desired, "CreatedAt": created, "Status": status}


def test_timestamp_reads_nanoseconds():
    assert timestamp("1970-01-01T00:00:01.250000000Z") == 1.25
    assert timestamp("0001-01-01T00:00:00Z") is None


def test_counts_nodes_and_per_task_timings():
    seen: dict[str, Seen] = {}
    record(seen, [_task("a", "starting", at="2026-11-24T10:00:00.800000000Z")])
    tasks = [
        _task("a", "running", at="2026-11-24T10:00:02.000000000Z"),
        _task("b", "running", slot=2, node="n0"),
    ]
    record(seen, tasks)
    current = view("web", 2, True, tasks, NODES, seen)
    assert (current.desired, current.running, current.healthy, current.ready) == (2, 2, 2, True)
    first = current.tasks[0]
    assert first.node == "worker-1"
    assert round(first.startup or 0, 3) == 0.8 and round(first.healthy or 0, 3) == 1.2
    # b was first seen running: create -> running is known, the split is not.
    assert round(current.tasks[1].startup or 0, 3) == 1.5 and current.tasks[1].healthy is None


def test_a_span_that_runs_backwards_or_from_no_creation_is_unknown_never_zero():
    """A manager's clock stepped back between two states, or a task without its creation stamp: the
    difference is no evidence (engine/timings.elapsed), where it used to read as 0 s or as the epoch."""
    seen = {"a": Seen(1000.0, starting=1002.0, running=1001.0), "b": Seen(0.0, starting=5.0, running=6.0)}
    tasks = [_task("a", "running"), _task("b", "running", slot=2)]
    backwards, undated = view("web", 2, True, tasks, NODES, seen).tasks
    assert (backwards.startup, backwards.healthy) == (2.0, None)
    assert (undated.startup, undated.healthy) == (None, 1.0)
    assert timestamp("2026-11-24T10:00:02Z") == timestamp("2026-11-24T11:00:02+01:00") is not None
    assert timestamp("yesterday") is None  # a stamp it cannot read is unknown, not a crash


def test_under_replication_names_missing_tasks_and_the_engines_reason():
    tasks = [
        _task("a", "running"),
        _task(
            "b", "pending", slot=2, node="", err="no suitable node (scheduling constraints not satisfied on 3 nodes)"
        ),
        _task("c", "failed", slot=3, err="task: non-zero exit (1)", desired="shutdown"),
        _task("d", "starting", slot=3),
    ]
    current = view("web", 3, True, tasks, NODES)
    assert (current.healthy, current.running, current.missing, current.ready) == (1, 2, 2, False)
    assert current.describe() == (
        "1/3 tasks healthy; missing 2: pending: no suitable node (scheduling constraints not satisfied on 3 nodes); "
        "starting: not healthy yet; failed: task: non-zero exit (1)"
    )


def test_global_service_wants_one_task_per_scheduled_node():
    tasks = [_task("a", "running", node="n0"), _task("b", "preparing", node="n1")]
    current = view("agent", None, False, tasks, NODES)
    assert (current.desired, current.healthy, current.missing) == (2, 1, 1)
    assert current.describe().startswith("1/2 tasks running")
