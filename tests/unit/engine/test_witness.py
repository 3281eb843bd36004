"""The witness's own logic through its engine seam (``events``): what it subscribes to, from when, and
that a container counts as unchanged only while the stream is open and said nothing of it. (On the
real engine, with ``up``: tests/integration/test_witness.py.)"""

from __future__ import annotations

import time
from typing import Any

from tests.unit.engine.test_watch import Stream, event, wait_until
from validator.engine import labels as L
from validator.engine import witness as W


class FakeEngine:
    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.asked: list[tuple[dict[str, Any], float | None]] = []

    def events(self, filters: dict[str, Any], since: float | None = None) -> Stream:
        self.asked.append((filters, since))
        return self.stream


def test_a_container_with_an_event_is_changed_the_others_unchanged():
    stream = Stream([event("c1", "health_status: unhealthy", time.time())], hold=True)
    engine = FakeEngine(stream)
    began = time.time()
    with W.Witness(engine, "demo") as witness:  # type: ignore[arg-type]
        wait_until(lambda: not witness.unchanged("c1"))
        assert witness.unchanged("c2")
    ((filters, since),) = engine.asked
    assert filters["label"] == [f"{L.PROJECT}=demo"] and filters["type"] == ["container"]
    assert {"start", "restart", "die", "health_status", "destroy", "update"} <= set(filters["event"])
    assert "exec_start" not in filters["event"]  # a health probe's execs are no change of the container
    assert since is not None and began - W.SKEW - 1 <= since <= began - W.SKEW + 1  # looks back


def test_nothing_is_unchanged_once_the_stream_ended_or_closed():
    ended = W.Witness(FakeEngine(Stream([])), "demo")  # type: ignore[arg-type]
    wait_until(lambda: not ended.unchanged("c2"))  # the engine closed it: nothing more is known
    ended.close()
    witness = W.Witness(FakeEngine(Stream([], hold=True)), "demo")  # type: ignore[arg-type]
    assert witness.unchanged("c2")
    witness.close()
    assert not witness.unchanged("c2")
