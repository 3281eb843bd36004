"""The outside review of the graph executor (adversary graph4), class B: a kept container was judged by
its label and its state alone. Each case on a real engine, failing on the code reviewed: ``up`` now
keeps a container only with a launch record (engine/launches.py) that every launch step succeeded, and
takes an exited-0 container for a completed job only when its exit 0 is its completion."""

from __future__ import annotations

import socket

import pytest
import yaml

from tests.integration.conftest import free_port
from validator.engine.launches import LaunchRecords
from validator.engine.planner import NOT_LAUNCHED

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _write(project, services, **extra) -> None:
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(services, **extra)))


def _state(project, service: str) -> str:
    return str(project.containers()[service]["State"])


def test_case07_a_failed_post_start_hook_is_not_forgotten_by_the_next_up(project, engine):
    """07: the post_start hook exits 3; the first up failed, the second kept the running container and
    called it ready, check passed. Now the container has no launch record: every up recreates it and
    runs the hook again, and fails on it as the first did."""
    web = project.sleeper(post_start=[{"command": ["sh", "-c", "echo initialising; exit 3"]}])
    first = project.up({"web": web}, timeout=60)
    assert not first.ok and "post_start hook exited with status 3" in first.services["web"].message
    kept = project.containers()["web"]["Id"]
    assert _state(project, "web") == "running"  # left as it is, for its logs: not rolled back
    second = project.up({"web": web}, timeout=60)
    assert not second.ok and "post_start hook exited with status 3" in second.services["web"].message
    assert not LaunchRecords.of(engine).launched([kept, project.containers()["web"]["Id"]])
    (action,) = [a for a in second.plan.actions if a.service == "web"]
    assert action.kind == "recreate" and action.reasons == (NOT_LAUNCHED,)
    assert project.containers()["web"]["Id"] != kept
    _write(project, {"web": web})
    check = project.cli("check", "--no-progress", "--no-suites", "--no-history", "--timeout", "60", timeout=180)
    assert check.returncode == 1, check.stdout[-2000:]
    assert "post_start hook exited with status 3" in check.stdout


def test_case08_a_container_whose_files_were_not_copied_is_never_started_without_them(project):
    """08: copying the config file failed (read-only root) and left the container created; the next up
    only started it, without /etc/app.conf, and called it ready. Now it is recreated and the copy tried
    again (and fails again, naming why): never started without its files."""
    web = project.sleeper(read_only=True, configs=[{"source": "appconf", "target": "/etc/app.conf"}])
    configs = {"appconf": {"content": "mode=production\n"}}
    first = project.up({"web": web}, timeout=60, extra={"configs": configs})
    assert not first.ok and "cannot copy files" in first.services["web"].message
    assert _state(project, "web") == "created"
    second = project.up({"web": web}, timeout=60, extra={"configs": configs})
    assert not second.ok and "cannot copy files" in second.services["web"].message
    assert [a.kind for a in second.plan.actions if a.service == "web"] == ["recreate"]
    assert _state(project, "web") == "created"  # the copy failed before any start


def test_case02_a_stopped_server_that_exited_0_is_started_and_waited_for(project, engine):
    """02: db (a server with a health check) exits 0 on SIGTERM; stopped by hand, it was taken for a
    completed job: not started, called ready, and app (service_healthy on db) started without it.
    Now it is started and waited for healthy before app is created."""
    db = project.http_service(
        command=[
            "sh",
            "-c",
            "trap 'exit 0' TERM; mkdir -p /www; echo ok >/www/index.html; httpd -f -p 8080 -h /www & wait",
        ],
        init=False,
    )
    app = project.sleeper(depends_on={"db": {"condition": "service_healthy"}})
    assert project.up({"db": db, "app": app}, timeout=60).ok
    kept = project.containers()["db"]["Id"]
    assert LaunchRecords.of(engine).launched([kept]) == {kept}  # launched in full: recorded
    engine.stop(kept, 5)
    assert engine.inspect(kept)["State"]["ExitCode"] == 0
    engine.remove_container(project.containers()["app"]["Id"])
    second = project.up({"db": db, "app": app}, timeout=60)
    assert second.ok, {n: r.message for n, r in second.services.items()}
    assert second.services["db"].action == "start"  # kept (its record), started again: not "completed"
    assert project.containers()["db"]["Id"] == kept
    assert project.containers()["db"]["Status"].endswith("(healthy)")
    assert second.steps[f"wait {project.name}-db-1 healthy"].status == "done"
    assert _state(project, "app") == "running"


def test_case11_a_dependent_up_stopped_is_started_again_by_the_next_up(project, engine):
    """11: up stopped app to restart it after db's recreate, and db's new container could not start (its
    host port was held): app stayed stopped (exit 0 on SIGTERM) and the next up called it a completed
    job, ready. Stopped by up, app has no launch record any more: the next up recreates it."""
    port = free_port()
    app = {
        "image": project.image,
        "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
        "depends_on": {"db": {"condition": "service_started", "restart": True}},
    }

    def db(round_: int) -> dict[str, object]:
        return project.sleeper(ports=[f"127.0.0.1:{port}:8080"], environment={"ROUND": str(round_)})

    assert project.up({"db": db(1), "app": app}, timeout=60).ok
    engine.stop(project.containers()["db"]["Id"], 1)  # frees the port for the holder below
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", port))
        holder.listen()
        second = project.up({"db": db(2), "app": app}, timeout=60)
    assert not second.ok and second.services["db"].status == "failed"
    stopped = project.containers()["app"]
    assert stopped["State"] == "exited" and stopped["Status"].startswith("Exited (0)")
    third = project.up({"db": db(2), "app": app}, timeout=60)
    assert third.ok, {n: r.message for n, r in third.services.items()}
    assert third.services["app"].action in ("recreate", "restart", "start")
    assert _state(project, "app") == "running" and _state(project, "db") == "running"
    assert not LaunchRecords.of(engine).launched([stopped["Id"]])  # up stopped it: its record went then


def test_a_launched_project_is_kept_and_down_drops_its_records(project, engine):
    """The positive side: a full launch is recorded, the next up keeps every container (no action), and
    down drops the records with the containers."""
    services = {"web": project.sleeper(post_start=[{"command": ["true"]}]), "side": project.sleeper()}
    assert project.up(services, timeout=60).ok
    ids = [c["Id"] for c in project.containers().values()]
    records = LaunchRecords.of(engine)
    assert records.launched(ids) == set(ids)
    again = project.up(services, timeout=60)
    assert again.ok and again.plan.actions == ()
    _write(project, services)
    assert project.cli("down", "-q", timeout=120).returncode == 0
    assert records.launched(ids) == frozenset()
