"""The stop graph runner with a fake engine: order along the edges, parallel otherwise, failures
recorded without stranding the rest."""

from __future__ import annotations

import threading
import time

import pytest

from validator.engine.planner import StopStep
from validator.engine.stopper import raise_failures, run_stops
from validator.errors import EngineError


class FakeEngine:
    def __init__(self, seconds: float = 0.2, refuse: frozenset[str] = frozenset()) -> None:
        self.seconds = seconds
        self.refuse = refuse
        self.lock = threading.Lock()
        self.began: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self.removed: list[str] = []
        self.with_volumes: list[str] = []  # removed with their anonymous volumes (v=True)

    def stop(self, container: str, timeout: float | None) -> None:
        with self.lock:
            self.began[container] = time.monotonic()
        if container in self.refuse:
            raise EngineError(f"cannot stop container {container}: refused")
        time.sleep(self.seconds)
        with self.lock:
            self.ended[container] = time.monotonic()

    def remove_container(self, container: str, volumes: bool = False) -> None:
        with self.lock:
            self.removed.append(container)
            if volumes:
                self.with_volumes.append(container)


def step(cid: str, *after: str, remove: bool = True) -> StopStep:
    return StopStep(container=cid, name=f"p-{cid}", service=cid, timeout=1.0, remove=remove, after=after)


def test_dependents_first_independents_together():
    engine = FakeEngine(0.5)
    lines: list[str] = []
    steps = [step("db", "api", "worker"), step("api"), step("worker"), step("lone")]
    began = time.monotonic()
    outcomes = run_stops(engine, steps, lambda who, msg: lines.append(f"{who}: {msg}"))  # type: ignore[arg-type]
    took = time.monotonic() - began
    assert engine.began["db"] >= max(engine.ended["api"], engine.ended["worker"])
    assert max(engine.began[c] for c in ("api", "worker", "lone")) - min(engine.began.values()) < 0.4
    assert 0.95 < took < 1.8  # two stops in a row, not four
    assert sorted(engine.removed) == ["api", "db", "lone", "worker"] and len(outcomes) == 4
    assert any(line.startswith("db: removed after") for line in lines)


def test_a_refused_stop_is_recorded_the_rest_still_goes_and_then_it_raises():
    engine = FakeEngine(0.05, refuse=frozenset({"api"}))
    lines: list[str] = []
    outcomes = run_stops(
        engine, [step("db", "api"), step("api"), step("keep", remove=False)], lambda w, m: lines.append(m)
    )  # type: ignore[arg-type]
    assert "db" in engine.ended and "keep" not in engine.removed
    assert [o.step.container for o in outcomes if o.error] == ["api"]
    assert any("FAILED" in line for line in lines)
    with pytest.raises(EngineError, match="p-api"):
        raise_failures(outcomes)


def test_a_cycle_is_an_error_not_a_hang():
    with pytest.raises(EngineError, match="cycle"):
        run_stops(FakeEngine(0.01), [step("a", "b"), step("b", "a")], lambda w, m: None)  # type: ignore[arg-type]


def test_plan_and_down_do_not_load_the_applier_or_the_waiter():
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys\n"
        "import validator.engine.reconcile, validator.engine.stopper\n"
        "import validator.commands.down, validator.commands.plan\n"
        "print(sorted(m for m in sys.modules if m in ('validator.engine.apply', 'validator.engine.waiter',"
        " 'validator.engine.body', 'validator.engine.timings', 'rich')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[3], capture_output=True, text=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


class DownEngine(FakeEngine):
    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        super().__init__(0.05, refuse)
        self.networks_removed: list[tuple[str, float]] = []

    def remove_network(self, name: str) -> None:
        with self.lock:
            self.networks_removed.append((name, time.monotonic()))

    def remove_volume(self, name: str) -> None:
        self.remove_network(name)


def test_down_removes_the_networks_and_volumes_once_every_container_is_gone():
    from validator.engine.stopper import walk_down

    engine = DownEngine()
    lines: list[str] = []
    walked = walk_down(
        engine,  # type: ignore[arg-type]
        [step("db", "api"), step("api")],
        lambda w, m: lines.append(f"{w}: {m}"),
        networks=["p_default"],
        volumes=["p_data"],
    )
    assert walked.networks == ["p_default"] and walked.volumes == ["p_data"] and not walked.errors
    assert min(at for _, at in engine.networks_removed) >= max(engine.ended.values())
    assert "network: p_default removed" in lines


def test_down_keeps_the_networks_while_a_container_failed_to_go():
    from validator.engine.stopper import walk_down

    engine = DownEngine(refuse=frozenset({"api"}))
    walked = walk_down(engine, [step("db", "api"), step("api")], lambda w, m: None, networks=["p_default"])  # type: ignore[arg-type]
    assert walked.networks == [] and engine.networks_removed == []
    assert [o.step.container for o in walked.outcomes if o.error] == ["api"] and "db" in engine.removed


@pytest.mark.parametrize("anonymous", [False, True])
def test_down_volumes_removes_each_container_with_its_anonymous_volumes(anonymous):
    """``down -v`` removes every container with v=True (the engine drops its anonymous volumes, as
    Compose's ``down -v`` does); without -v, never."""
    from validator.engine.stopper import walk_down

    engine = DownEngine()
    walk_down(engine, [step("db", "api"), step("api")], lambda w, m: None, anonymous_volumes=anonymous)  # type: ignore[arg-type]
    assert sorted(engine.removed) == ["api", "db"]
    assert sorted(engine.with_volumes) == (["api", "db"] if anonymous else [])
