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
    """Answers the container stream with ``stream`` and the network stream with ``networks``."""

    def __init__(self, stream: Stream, networks: Stream | None = None) -> None:
        self.stream = stream
        self.networks = networks or Stream([], hold=True)
        self.asked: list[tuple[dict[str, Any], float | None]] = []

    def events(self, filters: dict[str, Any], since: float | None = None) -> Stream:
        self.asked.append((filters, since))
        return self.networks if filters["type"] == ["network"] else self.stream


def network_event(cid: str, action: str, at: float) -> dict[str, Any]:
    """A network's event as the engine writes it: the network is the actor, the container an attribute."""
    return {
        "Type": "network",
        "Action": action,
        "Actor": {"ID": "net-id", "Attributes": {"container": cid, "name": "demo_default", "type": "bridge"}},
        "timeNano": int(at * 1e9),
    }


def test_a_container_with_an_event_is_changed_the_others_unchanged():
    stream = Stream([event("c1", "health_status: unhealthy", time.time())], hold=True)
    engine = FakeEngine(stream)
    began = time.time()
    with W.Witness(engine, "demo") as witness:  # type: ignore[arg-type]
        wait_until(lambda: not witness.unchanged("c1"))
        assert witness.unchanged("c2")
    # the two streams are asked at once (either may come first)
    ((filters, since), (net_filters, net_since)) = sorted(engine.asked, key=lambda a: a[0]["type"] == ["network"])
    assert net_filters == {"type": ["network"], "event": ["connect", "disconnect"]} and net_since == since
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


def test_a_container_a_network_connected_or_disconnected_is_changed():
    # adversary graph6 case 10: a kept container disconnected from its network during up's walk; the
    # network's event names the container only in its attributes
    engine = FakeEngine(Stream([], hold=True), Stream([network_event("c1", "disconnect", time.time())], hold=True))
    with W.Witness(engine, "demo") as witness:  # type: ignore[arg-type]
        wait_until(lambda: not witness.unchanged("c1"))
        assert witness.unchanged("net-id") and witness.unchanged("c2")


def test_nothing_is_unchanged_once_the_network_stream_ended():
    witness = W.Witness(FakeEngine(Stream([], hold=True), Stream([])), "demo")  # type: ignore[arg-type]
    wait_until(lambda: not witness.unchanged("c2"))
    witness.close()
