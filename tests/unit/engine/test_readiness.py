"""Which services count ready by exec, and what they run: pure, tested without Docker."""

from __future__ import annotations

from tests.harness.specs import base_spec, load_dict
from validator.engine.desired import desired_state
from validator.engine.observed import ObservedState
from validator.engine.planner import exec_ready_services, plan
from validator.engine.readiness import health_argv

HC = {"test": ["CMD", "true"], "interval": "5s", "timeout": "2s"}


def desired(tmp_path, settings=None, **services):
    spec = base_spec(**services)
    if settings:
        spec["settings"] = settings
    return desired_state(load_dict(tmp_path, spec))


def test_health_argv_is_the_engines_command():
    assert health_argv({"test": ["CMD", "wget", "-q", "http://x/"]}) == ["wget", "-q", "http://x/"]
    assert health_argv({"test": ["CMD-SHELL", "pg_isready || exit 1"]}) == ["/bin/sh", "-c", "pg_isready || exit 1"]
    assert health_argv({"test": ["NONE"]}) is None
    assert health_argv({"interval": 5.0}) is None  # the image's own test: not ours to guess
    assert health_argv("disabled") is None


def test_only_services_waited_on_as_healthy(tmp_path):
    state = desired(
        tmp_path,
        db={"image": "db:1", "healthcheck": HC},
        cache={"image": "c:1", "healthcheck": HC},
        app={
            "image": "a:1",
            "depends_on": {
                "db": {"condition": "service_healthy"},
                "cache": {"condition": "service_started"},
            },
        },
    )
    assert exec_ready_services(state) == {"db"}


def test_plan_says_so_for_starting_services_and_the_setting_turns_it_off(tmp_path):
    services = {
        "db": {"image": "db:1", "healthcheck": HC},
        "app": {"image": "a:1", "depends_on": {"db": {"condition": "service_healthy"}}},
    }
    state = desired(tmp_path, **services)
    notes = plan(state, ObservedState()).notes
    assert any(n.startswith("db: services waiting for it") and "by exec" in n for n in notes), notes
    assert not [n for n in plan(state, ObservedState(), ready_by_exec=False).notes if "by exec" in n]
    loaded = load_dict(tmp_path, {**base_spec(**services), "settings": {"ready_by_exec": False}})
    assert loaded.spec.settings.ready_by_exec is False and state.project  # the setting is part of the spec
