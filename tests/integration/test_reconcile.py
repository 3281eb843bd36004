"""plan / up / down against a real Docker engine with real containers."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.integration.conftest import free_port
from validator.engine import labels as L
from validator.errors import EngineError

pytestmark = pytest.mark.docker

MUTATING = {
    "create_container_from_config",
    "start",
    "stop",
    "remove_container",
    "create_network",
    "remove_network",
    "create_volume",
    "remove_volume",
    "connect_container_to_network",
    "pull",
    "build",
    "restart",
    "kill",
    "rename",
    "update_container",
    "pause",
    "unpause",
}


class Spy:
    """Wraps the SDK client and records every method called on it."""

    def __init__(self, api):
        self._api = api
        self.calls: list[str] = []

    def __getattr__(self, name):
        attr = getattr(self._api, name)
        if callable(attr):

            def record(*args, **kwargs):
                self.calls.append(name)
                return attr(*args, **kwargs)

            return record
        return attr


def spy_requests(engine):
    """Records "METHOD path" of every JSON call the engine makes (over the transport or the SDK)."""
    calls: list[str] = []
    real = engine._request

    def record(method, path, *args, **kwargs):
        calls.append(f"{method} {path}")
        return real(method, path, *args, **kwargs)

    engine._request = record
    return calls


def test_cold_up_waits_in_dependency_order_then_noop(project):
    services = {
        "web": project.http_service(free_port()),
        "job": {"image": project.image, "command": ["sh", "-c", "echo migrated"]},
        "worker": project.sleeper(
            depends_on={"web": {"condition": "service_healthy"}, "job": {"condition": "service_completed_successfully"}}
        ),
    }
    result = project.up(services)
    assert result.ok, project.lines
    web, job, worker = (result.services[n] for n in ("web", "job", "worker"))
    assert web.timing.startup < 10 and 0 < web.timing.healthy < 10
    # web is waited on as healthy: the worker may start once web's health test passes by exec
    assert web.timing.ready is not None and worker.timing.requested_at >= web.timing.ready_at
    assert worker.timing.requested_at >= job.timing.healthy_at
    assert project.plan(services).empty

    spy = Spy(project.engine.api)
    project.engine.api = spy
    requests = spy_requests(project.engine)
    try:
        again = project.up(services)
    finally:
        project.engine.api = spy._api
        del project.engine._request
    assert again.ok and all(r.action is None for r in again.services.values())
    assert not MUTATING & set(spy.calls), spy.calls
    assert requests and all(call.startswith("GET ") for call in requests), requests
    assert again.services["web"].timing.startup == web.timing.startup  # the figure measured at creation


@pytest.mark.parametrize(
    "drift", ["environment", "command", "ports", "limits", "mounted-config", "healthcheck", "image"]
)
def test_each_drift_recreates_exactly_the_changed_service(project, drift):
    (project.folder / "conf").mkdir()
    (project.folder / "conf" / "app.conf").write_text("level = 1\n")
    port = free_port()
    base = project.http_service(port, environment={"MODE": "one"}, mem_limit="64m", volumes=["./conf:/etc/app:ro"])
    other = project.sleeper()
    assert project.up({"web": base, "other": other}).ok
    before = {name: c["Id"] for name, c in project.containers().items()}
    changed = dict(base)
    expected = {
        "environment": "environment: MODE changed",
        "command": "command:",
        "ports": "ports: +127.0.0.1:",
        "limits": "mem_limit: 64 MiB -> 96 MiB",
        "mounted-config": "mounted file conf/app.conf changed",
        "healthcheck": "healthcheck.interval: 1s -> 2s",
        "image": "moved to a new ID",
    }[drift]
    if drift == "environment":
        changed["environment"] = {"MODE": "two"}
    elif drift == "command":
        changed["command"] = ["httpd", "-f", "-p", "8080", "-h", "/www", "-v"]
    elif drift == "ports":
        changed["ports"] = [f"127.0.0.1:{free_port()}:8080"]
    elif drift == "limits":
        changed["mem_limit"] = "96m"
    elif drift == "mounted-config":
        (project.folder / "conf" / "app.conf").write_text("level = 2\n")
    elif drift == "healthcheck":
        changed["healthcheck"] = {**base["healthcheck"], "interval": "2s", "timeout": "1s"}
    elif drift == "image":
        tag = f"validator-test/busybox:drift-{project.name}"
        subprocess.run(["docker", "tag", project.image, tag], check=True)
        assert project.up({"web": {**base, "image": tag}, "other": other}).ok
        before = {name: c["Id"] for name, c in project.containers().items()}
        subprocess.run(
            ["docker", "commit", "--change", f"LABEL drift={project.name}", before["web"], tag],
            check=True,
            capture_output=True,
        )
        changed["image"] = tag
    plan = project.plan({"web": changed, "other": other})
    assert [(a.kind, a.service) for a in plan.actions] == [("recreate", "web")], plan
    assert any(expected in reason for reason in plan.actions[0].reasons), plan.actions[0].reasons
    result = project.up({"web": changed, "other": other})
    assert result.ok, project.lines
    after = {name: c["Id"] for name, c in project.containers().items()}
    assert after["web"] != before["web"] and after["other"] == before["other"]
    assert project.plan({"web": changed, "other": other}).empty
    if drift == "image":
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def test_unhealthy_container_fails_fast_with_its_health_log(project):
    svc = project.sleeper(
        healthcheck={
            "test": ["CMD", "sh", "-c", "echo not-ready-yet; exit 1"],
            "interval": "1s",
            "timeout": "500ms",
            "retries": 2,
        },
        health_timeout="60s",
    )
    began = time.monotonic()
    result = project.up({"bad": svc})
    elapsed = time.monotonic() - began
    assert not result.ok and elapsed < 15
    message = result.services["bad"].message
    assert "bad: turned unhealthy" in message and "not-ready-yet" in message


def test_exiting_container_fails_at_once_with_exit_code_and_logs(project):
    result = project.up(
        {
            "boom": {
                "image": project.image,
                "command": ["sh", "-c", "echo about-to-fail; exit 3"],
                "healthcheck": {"test": ["CMD", "true"], "interval": "30s", "timeout": "1s"},
                "health_timeout": "60s",
            }
        }
    )
    assert not result.ok
    assert "exited with code 3" in result.services["boom"].message
    assert "about-to-fail" in result.services["boom"].message
    assert result.duration < 15


def test_dependants_of_a_failed_service_are_not_started(project):
    result = project.up(
        {
            "boom": {
                "image": project.image,
                "command": ["sh", "-c", "exit 1"],
                "healthcheck": {"test": ["CMD", "true"], "interval": "1s", "timeout": "500ms"},
            },
            "app": project.sleeper(depends_on={"boom": {"condition": "service_healthy"}}),
        }
    )
    assert result.services["app"].status == "skipped"
    assert "dependency boom" in result.services["app"].message
    assert "app" not in project.containers()


def test_crash_loop_gets_its_restart_grace_then_fails(project):
    svc = {
        "image": project.image,
        "command": ["sh", "-c", "echo crashing; exit 1"],
        "restart": "always",
        "healthcheck": {"test": ["CMD", "true"], "interval": "1s", "timeout": "500ms"},
        "restart_grace": "4s",
    }
    began = time.monotonic()
    result = project.up({"loop": svc})
    assert not result.ok
    assert 3.5 < time.monotonic() - began < 20
    assert "restart_grace" in result.services["loop"].message


def test_foreign_container_is_a_conflict_and_left_alone(project):
    foreign = f"{project.name}-web-1"
    subprocess.run(
        ["docker", "run", "-d", "--name", foreign, project.image, "sleep", "3600"], check=True, capture_output=True
    )
    try:
        with pytest.raises(EngineError, match=f"the name {foreign} is taken by container {foreign}"):
            project.up({"web": project.sleeper()})
        state = subprocess.run(
            ["docker", "inspect", "-f", "{{.State.Running}} {{.Config.Labels}}", foreign],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert state.startswith("true") and L.PROJECT not in state
    finally:
        subprocess.run(["docker", "rm", "-f", foreign], capture_output=True)


def test_foreign_port_holder_is_named(project):
    port = free_port()
    foreign = f"squatter-{project.name}"
    subprocess.run(
        ["docker", "run", "-d", "--name", foreign, "-p", f"127.0.0.1:{port}:8080", project.image, "sleep", "3600"],
        check=True,
        capture_output=True,
    )
    try:
        plan = project.plan({"web": project.http_service(port)})
        assert any(f"host port {port}/tcp is published by container {foreign}" in c for c in plan.conflicts)
        with pytest.raises(EngineError, match=foreign):
            project.up({"web": project.http_service(port)})
    finally:
        subprocess.run(["docker", "rm", "-f", foreign], capture_output=True)


def test_orphans_are_kept_until_asked(project):
    from validator.engine.reconcile import down

    assert project.up({"a": project.sleeper(), "b": project.sleeper()}).ok
    plan = project.plan({"a": project.sleeper()})
    assert plan.empty and "orphan container" in plan.notes[0]
    assert set(project.containers()) == {"a", "b"}
    assert project.up({"a": project.sleeper()}).ok
    assert set(project.containers()) == {"a", "b"}
    kept = down(project.load({"a": project.sleeper()}), project.engine, progress=project.progress)
    assert kept.kept_orphans == [f"{project.name}-b-1"] and set(project.containers()) == {"b"}
    assert project.up({"a": project.sleeper()}, remove_orphans=True).ok
    assert set(project.containers()) == {"a"}


def test_down_removes_networks_and_volumes_only_when_asked(project):
    from validator.engine.reconcile import down

    extra = {"volumes": {"data": None}}
    svc = project.sleeper(volumes=["data:/data"])
    assert project.up({"a": svc}, extra=extra).ok
    result = down(project.load({"a": svc}, **extra), project.engine, progress=project.progress)
    assert result.networks == [f"{project.name}_default"] and result.volumes == []
    assert [v["Name"] for v in project.engine.volumes(L.project_filter(project.name))] == [f"{project.name}_data"]
    result = down(project.load({"a": svc}, **extra), project.engine, volumes=True, progress=project.progress)
    assert result.volumes == [f"{project.name}_data"]
