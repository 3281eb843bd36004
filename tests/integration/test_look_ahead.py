"""``up`` uses the inspects taken while the command started (engine/ahead.py) only for containers the
witness heard nothing of since, on the real engine: a container changed in between is inspected again
and its drift acted on; a change whose event the witness had not read yet is still caught by ``up``'s
end look; a look-ahead under another project's name is not used."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.integration.test_reconcile import spy_requests
from tests.integration.test_witness import _inspects, _quiet
from validator.engine import ahead as A

pytestmark = pytest.mark.docker


def _ahead(project, name: str | None = None) -> A.LookAhead:
    look = A.LookAhead(lambda: project.engine, name or project.name)
    assert look.wait(60), "the look-ahead did not finish"
    return look


def test_a_noop_up_asks_no_inspect_the_look_ahead_took(project, monkeypatch):
    services = {"web": project.http_service(), "idle": project.sleeper()}
    assert project.up(services).ok, project.lines
    _quiet(monkeypatch)
    requests = spy_requests(project.engine)
    try:
        look = _ahead(project)
        again = project.up(services, ahead=look)
    finally:
        del project.engine._request
        look.close()
    assert again.ok and all(r.action is None for r in again.services.values()), project.lines
    for name in services:
        # the look-ahead's inspect is the only one: neither the observation nor the end look asked again
        assert _inspects(requests, again.services[name].container) == 1, requests


def test_a_container_updated_after_the_look_ahead_is_inspected_again_and_recreated(project, monkeypatch):
    services = {"idle": project.sleeper(), "other": project.sleeper()}
    cold = project.up(services)
    assert cold.ok, project.lines
    idle, other = cold.services["idle"].container, cold.services["other"].container
    _quiet(monkeypatch)
    look = _ahead(project)
    try:
        # a limit the spec never set, after the look-ahead's inspect: drift (the adversary's graph6 case 02)
        subprocess.run(["docker", "update", "--cpu-shares", "512", idle], check=True, capture_output=True, timeout=60)
        deadline = time.monotonic() + 10
        while look.taken(project.name, project.engine).witness.unchanged(idle) and time.monotonic() < deadline:
            time.sleep(0.05)  # the update's event arrives on the witness's thread
        requests = spy_requests(project.engine)
        try:
            again = project.up(services, ahead=look)
        finally:
            del project.engine._request
    finally:
        look.close()
    assert again.ok, project.lines
    assert again.services["idle"].action == "recreate" and again.services["idle"].container != idle, project.lines
    assert again.services["other"].action is None and _inspects(requests, other) == 0, requests


def test_a_change_the_witness_had_not_read_at_the_observation_fails_at_the_end_look(project, monkeypatch):
    services = {"idle": project.sleeper()}
    cold = project.up(services)
    assert cold.ok, project.lines
    idle = cold.services["idle"].container
    _quiet(monkeypatch)
    look = _ahead(project)
    subprocess.run(["docker", "update", "--cpu-shares", "512", idle], check=True, capture_output=True, timeout=60)
    # the observation takes the early inspect as if the update's event were still in flight
    monkeypatch.setattr(A.Taken, "current", lambda self, cid: self._details.get(cid))
    try:
        again = project.up(services, ahead=look)
    finally:
        look.close()
    r = again.services["idle"]
    assert not again.ok and r.status == "failed", project.lines  # kept on the stale inspect, judged at the end
    assert "cpu" in r.message.lower() or "changed" in r.message.lower(), r.message


def test_a_look_ahead_under_another_project_name_is_not_used(project, monkeypatch):
    services = {"idle": project.sleeper()}
    cold = project.up(services)
    assert cold.ok, project.lines
    idle = cold.services["idle"].container
    _quiet(monkeypatch)
    look = _ahead(project, name=f"{project.name}-other")
    requests = spy_requests(project.engine)
    try:
        again = project.up(services, ahead=look)
    finally:
        del project.engine._request
        look.close()
    assert again.ok and again.services["idle"].action is None, project.lines
    assert _inspects(requests, idle) == 1, requests  # the observation's own
    assert look.taken(project.name, project.engine) is None  # closed by the mismatch


def test_an_unreachable_engine_leaves_the_look_ahead_empty_at_once(tmp_path):
    from validator.engine.docker_api import Engine

    started = time.monotonic()
    look = A.LookAhead(lambda: Engine.connect(f"unix://{tmp_path}/none.sock"), "anything")
    assert look.wait(30)
    assert time.monotonic() - started < 30
    assert look.taken("anything", object()) is None  # type: ignore[arg-type]
    look.close()
