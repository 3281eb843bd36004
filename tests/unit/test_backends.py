"""The backend seam (validator/backends): ``check``'s pipeline driven end to end by an in-memory
backend whose services become ready, unhealthy or die on cue, with no Docker; and the registry as
the one place orchestrators are named."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, get_args

import pytest

from tests.harness.specs import load_dict
from validator.backends import registry
from validator.backends.containers import ContainersBackend
from validator.backends.protocol import Backend
from validator.engine import labels as L
from validator.engine.apply import ServiceResult, UpResult
from validator.engine.planner import Action, Plan
from validator.engine.reconcile import Planned
from validator.engine.waiter import Timing
from validator.run.pipeline import CheckOptions, Pipeline
from validator.spec.model import Settings
from validator.ui import Display

Cue = str  # "ready", "unhealthy" (its health test fails), "dies" (exits 1 on its way up)


@dataclass
class MemoryEngine:
    """The engine as the pipeline and the service checks read it: what runs, in memory."""

    project: str
    cues: dict[str, Cue]
    started: dict[str, float] = field(default_factory=dict)  # service -> when up started its container
    address: str = "memory://"
    api_version: str = "1.41"

    def version(self) -> dict[str, str]:
        return {"Version": "memory", "ApiVersion": self.api_version}

    def info(self) -> dict[str, str]:
        return {"ID": f"memory-{self.project}"}

    def containers(self, filters: dict[str, list[str]] | None = None, **_: Any) -> list[dict[str, Any]]:
        return [
            {
                "Id": f"id-{name}",
                "Names": [f"/{self.project}-{name}-1"],
                "State": self._state(name)["Status"],
                "Labels": {L.PROJECT: self.project, L.SERVICE: name, L.REPLICA: "1"},
                "Ports": [],
            }
            for name in self.started
        ]

    def networks(self, filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        return []  # check's look for strangers after up: no network, so none on one

    def image_id(self, ref: str) -> str | None:
        return f"sha256:{ref}"  # what check records its verdict's images by (run/fingerprint.py)

    def _state(self, name: str) -> dict[str, Any]:
        cue = self.cues[name]
        if cue == "dies":
            return {"Status": "exited", "Running": False, "ExitCode": 1}
        state: dict[str, Any] = {"Status": "running", "Running": True, "ExitCode": 0}
        state["Health"] = {"Status": "unhealthy" if cue == "unhealthy" else "healthy"}
        return state

    def try_inspect(self, cid: str) -> dict[str, Any] | None:
        name = cid.removeprefix("id-")
        if name not in self.started:
            return None
        return {"Id": cid, "Name": f"/{self.project}-{name}-1", "State": self._state(name), "RestartCount": 0}

    inspect = try_inspect


@dataclass(frozen=True, kw_only=True)
class MemoryBackend(ContainersBackend):
    """Plain containers' service stage (backends/containers.py, checks/services.py) over an engine held
    in memory: ``up`` starts each service in dependency order and it becomes what its cue says."""

    name: str = "memory"
    unfollowed: str = "an in-memory engine has no event stream to follow"
    engine: MemoryEngine

    def connect(self, host: str | None) -> Any:
        return self.engine

    def make_plan(self, loaded: Any, engine: Any, **_: Any) -> Planned:
        actions = tuple(
            Action(kind="create", target=f"{loaded.spec.project}-{name}-1", reasons=("no container yet",), service=name)
            for name in loaded.spec.services
            if name not in self.engine.started
        )
        plan = Plan(actions=actions, order=tuple(loaded.spec.services))
        # no service copies a file (engine/copies.py): nothing to read back at the last observation
        desired = SimpleNamespace(services={})
        return Planned(engine=engine, desired=desired, observed=None, plan=plan)  # type: ignore[arg-type]

    def up(
        self, loaded: Any, engine: Any, *, on_done: Callable[[ServiceResult], None] | None = None, **_: Any
    ) -> UpResult:
        plan = self.make_plan(loaded, engine).plan
        result = UpResult(plan=plan)
        for name in plan.order:
            failed = [d for d in loaded.spec.services[name].depends_on if result.services[d].status != "ready"]
            if failed:
                outcome = ServiceResult(
                    name=name, status="skipped", message=f"not started: dependency {failed[0]} did not become ready"
                )
            else:
                now = time.time()
                self.engine.started[name] = now
                cue = self.engine.cues[name]
                timing = Timing(requested_at=now, running_at=now + 0.25, startup=0.25)
                if cue == "ready":
                    timing.healthy_at, timing.healthy = now + 1.0, 0.75
                why = {"ready": "", "unhealthy": "unhealthy: its health test failed", "dies": "exited (code 1)"}[cue]
                outcome = ServiceResult(
                    name=name,
                    status="ready" if cue == "ready" else "failed",
                    action="create",
                    timing=timing,
                    message=why,
                    container=f"id-{name}",
                )
            result.services[name] = outcome
            if on_done is not None:
                on_done(outcome)
        return result


HEALTHY = {"image": "x:1", "healthcheck": {"test": ["CMD", "true"], "interval": "1s"}}


def _check(tmp_path, monkeypatch, cues: dict[str, Cue], mode: str = "up", **spec: Any):
    monkeypatch.setenv("VALIDATOR_STATE_DIR", str(tmp_path / "state"))
    services = {
        "db": HEALTHY,
        "web": {**HEALTHY, "depends_on": {"db": {"condition": "service_healthy"}}},
    }
    loaded = load_dict(tmp_path, {"version": 1, "project": "mem", "services": services, **spec})
    engine = MemoryEngine(project="mem", cues=cues)
    done: list[str] = []
    monkeypatch.setitem(registry.REGISTRY, "memory", lambda: MemoryBackend(engine=engine))
    pipeline = Pipeline(
        loaded,
        CheckOptions(orchestrator="memory", mode=mode, suites=False),  # type: ignore[arg-type]
        Display(quiet=True, stream=io.StringIO()),
    )
    original = pipeline._service_done
    monkeypatch.setattr(pipeline, "_service_done", lambda outcome: (done.append(outcome.name), original(outcome)))
    run = pipeline.execute()
    verdicts = {r.name: r.verdict for r in run.results if r.kind == "service"}
    return run, verdicts, done


def test_every_service_ready_passes_with_its_times(tmp_path, monkeypatch):
    criteria = {"SC7": {"title": "services start in < 60s", "condition": "service.*.startup < 60s"}}
    run, verdicts, done = _check(tmp_path, monkeypatch, {"db": "ready", "web": "ready"}, criteria=criteria)
    assert verdicts == {"db": "pass", "web": "pass"}
    assert done == ["db", "web"]  # each service reported as soon as up knew it (its probes start then)
    assert [t.service for t in run.timeline] == ["db", "web"]
    assert [r.verdict for r in run.results if r.kind == "criterion"] == ["pass"]
    assert run.engine == "memory://"


def test_an_unhealthy_dependency_fails_and_its_dependent_is_skipped(tmp_path, monkeypatch):
    criteria = {"SC7": {"title": "services start in < 60s", "condition": "service.*.startup < 60s"}}
    run, verdicts, _ = _check(tmp_path, monkeypatch, {"db": "unhealthy", "web": "ready"}, criteria=criteria)
    assert verdicts == {"db": "fail", "web": "skip"}
    db = next(r for r in run.results if r.kind == "service" and r.name == "db")
    assert "health test failed" in db.message and db.actual == "running, unhealthy"
    # web never started: its startup is unknown, so a criterion over every service's startup is no pass
    assert [r.verdict for r in run.results if r.kind == "criterion"] != ["pass"]


def test_a_service_that_dies_fails_naming_its_exit(tmp_path, monkeypatch):
    _, verdicts, _ = _check(tmp_path, monkeypatch, {"db": "dies", "web": "ready"})
    assert verdicts == {"db": "fail", "web": "skip"}


def test_no_up_judges_what_runs_and_its_drift(tmp_path, monkeypatch):
    run, verdicts, done = _check(tmp_path, monkeypatch, {"db": "ready", "web": "ready"}, mode="no-up")
    assert done == [] and set(verdicts) == {"db", "web"} and set(verdicts.values()) == {"fail"}  # nothing runs
    drift = [(r.name, r.verdict) for r in run.results if r.kind == "drift"]
    assert drift == [("create mem-db-1", "fail"), ("create mem-web-1", "fail")]


def test_the_registry_is_the_one_list_of_orchestrators():
    field_type = Settings.model_fields["orchestrator"].annotation
    assert get_args(field_type) == tuple(registry.REGISTRY)
    assert Settings.model_fields["orchestrator"].default == registry.DEFAULT
    for name in registry.REGISTRY:
        chosen: Backend = registry.get(name)
        assert chosen.name == name
    with pytest.raises(Exception, match="unknown orchestrator"):
        registry.get("kubernetes")
    assert registry.known("kubernetes") is None and registry.known(None) is None
