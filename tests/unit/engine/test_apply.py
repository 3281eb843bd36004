"""The applier walking the up graph over an in-memory engine: each call once, in the order of the
graph's edges, failures naming the dependency, independent services going on. (The real engine's
behaviour is tests/integration's; this pins the walk and the results.)"""

from __future__ import annotations

import dataclasses
import queue
import threading
from typing import Any

from tests.harness.specs import base_spec, load_dict, observed_as_applied
from validator.engine.apply import Applier
from validator.engine.desired import desired_state
from validator.engine.launches import LaunchRecords
from validator.engine.planner import plan
from validator.errors import EngineError

HEALTHY = {"test": ["CMD", "true"], "interval": "1s"}


class _Stream:
    def __init__(self) -> None:
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def __iter__(self):
        while True:
            event = self.events.get(timeout=30)
            if event is None:
                return
            yield event

    def close(self) -> None:
        self.events.put(None)


class FakeEngine:
    """Containers that run (and turn healthy) at their start; ``exits`` maps a name to an exit code."""

    api_version = "1.41"
    address = "fake"

    def __init__(self, exits: dict[str, int] | None = None, refuse_create: frozenset[str] = frozenset()) -> None:
        self.exits = exits or {}
        self.refuse_create = refuse_create
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.names: dict[str, str] = {}  # id -> name
        self.state: dict[str, dict[str, Any]] = {}
        self.stream = _Stream()

    def _call(self, what: str) -> None:
        with self.lock:
            self.calls.append(what)

    def events(self, filters: dict[str, Any], since: float | None = None) -> _Stream:
        return self.stream

    def image_id(self, image: str) -> str:
        return "sha256:" + "a" * 64

    def inspect_image(self, ref: str) -> dict[str, Any]:
        return {"Config": {}}

    def create_container(self, name: str, body: dict[str, Any], platform: Any) -> str:
        if name in self.refuse_create:
            raise EngineError(f"cannot create {name}: refused")
        self._call(f"create {name}")
        cid = f"id-new-{name}"
        self.names[cid] = name
        self.state[cid] = {"Status": "created", "Running": False}
        return cid

    def try_inspect(self, cid: str) -> dict[str, Any]:
        return {"HostConfig": {}, "State": self.state.get(cid, {})}

    def inspect(self, cid: str) -> dict[str, Any]:
        return {"State": self.state.get(cid, {"Status": "created"})}

    def start(self, cid: str) -> None:
        name = self.names[cid]
        self._call(f"start {name}")
        code = self.exits.get(name)
        self.stream.events.put({"id": cid, "status": "start"})
        if code is not None:
            self.state[cid] = {"Status": "exited", "ExitCode": code}
            self.stream.events.put({"id": cid, "status": "die", "Actor": {"Attributes": {"exitCode": str(code)}}})
        else:
            self.stream.events.put({"id": cid, "status": "health_status: healthy"})

    def exec(self, cid: str, argv: list[str], **_: Any) -> tuple[int, str]:
        return (1, "") if self.names[cid] in self.exits else (0, "")

    def logs(self, cid: str, tail: int = 10) -> str:
        return ""

    def answers(self) -> bool:
        return True


def _applier(tmp_path, engine, **services):
    desired = desired_state(load_dict(tmp_path, base_spec(**services)), {})
    observed = dataclasses.replace(observed_as_applied(desired), containers={})
    the_plan = plan(desired, observed)
    told: list[str] = []
    return Applier(
        engine=engine,  # type: ignore[arg-type]
        desired=desired,
        observed=observed,
        plan=the_plan,
        progress=lambda who, what: None,
        timeout=30,
        on_done=lambda r: told.append(r.name),
        launches=LaunchRecords(folder=tmp_path / "launched"),
    ), told


DB = {"image": "db:1", "healthcheck": HEALTHY}
WEB = {"image": "web:1", "scale": 2, "depends_on": {"db": {"condition": "service_healthy"}}}
SIDE = {"image": "side:1"}


def test_up_walks_the_graph(tmp_path):
    engine = FakeEngine()
    applier, told = _applier(tmp_path, engine, db=DB, web=WEB, side=SIDE)
    result = applier.run()
    assert result.ok, {n: r.message for n, r in result.services.items()}
    calls = engine.calls
    assert calls.index("start demo-db-1") < calls.index("create demo-web-1")
    assert calls.index("start demo-db-1") < calls.index("create demo-web-2")
    # every service reported once; in no fixed order: db's last step (its readiness by exec) need not
    # end before web's, which waits only for db's health (the order of the calls above is the edge)
    assert sorted(told) == ["db", "side", "web"]
    web = result.services["web"]
    assert web.containers == ("id-new-demo-web-1", "id-new-demo-web-2") and web.action == "create"
    assert set(web.measured) == set(web.containers)
    assert all(r.status == "done" for r in result.steps.values())
    assert all(r.started is not None and r.ended is not None for r in result.steps.values())


def test_a_failed_dependency_stops_its_dependents_only(tmp_path):
    engine = FakeEngine(exits={"demo-db-1": 3})
    applier, told = _applier(tmp_path, engine, db=DB, web=WEB, side=SIDE)
    result = applier.run()
    assert result.services["db"].status == "failed"
    assert result.services["db"].message.startswith("db: exited with code 3")
    web = result.services["web"]
    assert (web.status, web.message) == ("skipped", "not started: dependency db db: exited with code 3")
    assert result.services["side"].status == "ready"
    assert not any(call.endswith("demo-web-1") for call in engine.calls)
    assert sorted(told) == ["db", "side", "web"]


def test_a_failed_create_names_the_replica(tmp_path):
    engine = FakeEngine(refuse_create=frozenset({"demo-web-2"}))
    applier, _ = _applier(tmp_path, engine, db=DB, web=WEB)
    result = applier.run()
    web = result.services["web"]
    assert web.status == "failed"
    assert web.message == "web replica 2 (demo-web-2): cannot create demo-web-2: refused"
    assert result.services["db"].status == "ready"


def test_up_v_prints_each_step_with_its_times(tmp_path):
    from validator.commands.up_apply import render_steps

    engine = FakeEngine(exits={"demo-db-1": 3})
    applier, _ = _applier(tmp_path, engine, db=DB, web=WEB)
    lines = render_steps(applier.run()).splitlines()
    assert lines[0].startswith("steps")
    assert any(line.endswith("start demo-db-1") for line in lines)
    assert any("create demo-web-1: not run (needs wait demo-db-1" in line for line in lines)


def test_a_job_that_completed_without_passing_its_health_test_is_not_healthy(tmp_path):
    # adversary graph4 01: seed exits 0 and its health test never passes (by exec, nor in the engine):
    # report (completed) starts, app (healthy) does not, though seed's waits "ended well" for its goal
    seed = {"image": "seed:1", "restart": "no", "healthcheck": {"test": ["CMD", "false"], "interval": "1s"}}
    app = {"image": "web:1", "depends_on": {"seed": {"condition": "service_healthy"}}}
    report = {"image": "web:1", "depends_on": {"seed": {"condition": "service_completed_successfully"}}}
    engine = FakeEngine(exits={"demo-seed-1": 0})
    applier, _ = _applier(tmp_path, engine, seed=seed, app=app, report=report)
    result = applier.run()
    assert not result.ok
    assert result.services["seed"].message.startswith("seed: exited with code 0")  # never healthy
    assert result.services["app"].status == "skipped"
    assert result.services["report"].status == "ready"
    assert "start demo-report-1" in engine.calls and "create demo-app-1" not in engine.calls
