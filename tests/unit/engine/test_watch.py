"""The run watcher's own logic through its engine seam (``events``, ``answers``, ``try_inspect``):
events recorded per container of the project only, a closed stream followed again from the last
event when the engine still answers, the engine lost when it does not, or when pings go unanswered.
(On a real engine: tests/integration/test_watch.py and the fault matrix.)"""

from __future__ import annotations

import threading
import time
from typing import Any

from validator.engine import labels as L
from validator.engine.watch import RunWatcher


def event(cid: str, action: str, at: float, project: str = "demo", **attributes: str) -> dict[str, Any]:
    labels = {L.PROJECT: project, L.SERVICE: "web", "name": f"{project}-web", **attributes}
    return {
        "Type": "container",
        "Action": action,
        "Actor": {"ID": cid, "Attributes": labels},
        "timeNano": int(at * 1e9),
    }


class Stream:
    def __init__(self, events: list[dict[str, Any]], hold: bool = False) -> None:
        self.events = events
        self.hold = hold
        self.closed = threading.Event()

    def __iter__(self):
        yield from self.events
        if self.hold:
            self.closed.wait(10)

    def close(self) -> None:
        self.closed.set()


class FakeEngine:
    def __init__(self, streams: list[Stream], answers: list[bool] | None = None) -> None:
        self.streams = streams
        self.subscriptions: list[float | None] = []
        self.answer = answers or [True]
        self.address = "unix:///fake.sock"

    def events(self, filters: dict[str, Any], since: float | None = None) -> Stream:
        self.subscriptions.append(since)
        return self.streams.pop(0)

    def answers(self, timeout: float | None = None) -> bool:
        return self.answer[0] if len(self.answer) == 1 else self.answer.pop(0)

    def try_inspect(self, cid: str) -> dict[str, Any] | None:
        return {"Name": "/demo-web", "State": {"Running": True, "Status": "running"}}


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition()


def test_events_are_kept_per_container_of_the_project_only():
    now = time.time()
    stream = Stream(
        [
            event("c1", "start", now),
            event("c1", "die", now + 1, exitCode="137"),
            event("c1", "health_status: unhealthy", now + 2),
            event("c9", "die", now + 1, project="someone-else", exitCode="1"),
        ],
        hold=True,
    )
    watcher = RunWatcher(FakeEngine([stream]), "demo", ping_every=0.05).start()
    wait_until(lambda: len((watcher.watch_of("c1") or _empty()).happenings) == 3)
    watcher.stop()
    record = watcher.watch_of("c1")
    assert record is not None and record.service == "web" and record.name == "demo-web"
    assert [(h.action, h.exit_code, h.health) for h in record.happenings] == [
        ("start", None, None),
        ("die", 137, None),
        ("health_status", None, "unhealthy"),
    ]
    assert watcher.watch_of("c9") is None and watcher.lost is None


def test_a_closed_stream_is_followed_again_from_the_last_event_while_the_engine_answers():
    now = time.time()
    engine = FakeEngine([Stream([event("c1", "start", now + 1)]), Stream([event("c1", "die", now + 3)], hold=True)])
    watcher = RunWatcher(engine, "demo", ping_every=0.05).start()
    wait_until(lambda: len((watcher.watch_of("c1") or _empty()).happenings) == 2)
    watcher.stop()
    first, again = engine.subscriptions
    assert first is None and abs(again - (now + 1)) < 1e-3 and watcher.lost is None


def test_a_closed_stream_and_no_answer_is_the_engine_lost_once():
    lost = []
    engine = FakeEngine([Stream([])], answers=[False])
    watcher = RunWatcher(engine, "demo", on_lost=lost.append, ping_every=0.05).start()
    wait_until(lambda: watcher.lost is not None)
    time.sleep(0.2)
    watcher.stop()
    assert len(lost) == 1 and "event stream closed" in lost[0].reason


def test_unanswered_pings_for_the_silence_are_the_engine_lost():
    lost = []
    engine = FakeEngine([Stream([], hold=True)], answers=[False])
    began = time.time()
    watcher = RunWatcher(engine, "demo", on_lost=lost.append, ping_every=0.05, ping_timeout=0.05, silence=0.3).start()
    wait_until(lambda: watcher.lost is not None)
    watcher.stop()
    assert "answered no ping for 0.3s" in lost[0].reason
    assert began - 1 <= lost[0].at <= time.time()  # when it last answered (the start), not when noticed


def _empty() -> Any:
    class Empty:
        happenings: list[Any] = []

    return Empty()
