"""``scale``/``deploy.replicas`` on the real engine: N containers per service, scaled up and down
without recreating the replicas that stay, dependents waiting for every replica, a replica that never
turns healthy failing its service by name, and the same count and fields as ``docker compose up``
(``scale: 0`` no container, ``deploy.mode: global`` one)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.integration.test_check import check
from tests.integration.test_compose_fields import Compose, comparable
from tests.metrics import report_metrics
from validator.engine import labels as L
from validator.engine.compose_observe import NUMBER, SERVICE, compose_filter
from validator.engine.stamps import engine_time

pytestmark = pytest.mark.docker


@pytest.fixture
def composed(compose_bin, project, tmp_path):
    made = Compose(compose_bin, tmp_path, f"{project.name}c")
    yield made
    made.down()


def replicas(project: Any, service: str = "web") -> dict[str, dict[str, Any]]:
    """name -> summary of the project's containers of ``service``."""
    return {
        c["Names"][0].lstrip("/"): c
        for c in project.engine.containers(L.project_filter(project.name))
        if c["Labels"].get(L.SERVICE) == service
    }


def test_replicas_scale_up_and_down_without_recreating_the_ones_that_stay(project):
    web = project.sleeper(healthcheck={"test": ["CMD", "true"], "interval": "1s", "timeout": "900ms"})
    three = {"web": {**web, "deploy": {"replicas": 3}}}
    result = project.up(three)
    assert result.ok, result.services
    found = replicas(project)
    names = [f"{project.name}-web-{n}" for n in (1, 2, 3)]
    assert sorted(found) == names
    assert [found[name]["Labels"][L.REPLICA] for name in names] == ["1", "2", "3"]
    assert all(c["State"] == "running" and "(healthy)" in c["Status"] for c in found.values())
    web_result = result.services["web"]
    assert web_result.containers == tuple(found[name]["Id"] for name in names)
    assert project.plan(three).empty

    one = project.up({"web": web})  # scale down to one: the highest go, replica 1 stays as it is
    assert one.ok
    assert {name: c["Id"] for name, c in replicas(project).items()} == {names[0]: found[names[0]]["Id"]}
    assert project.plan({"web": web}).empty

    two = {"web": {**web, "scale": 2}}
    plan = project.plan(two)
    assert [(a.kind, a.target) for a in plan.actions] == [("create", f"{project.name}-web-2")]
    assert project.up(two).ok
    now = replicas(project)
    assert sorted(now) == names[:2] and now[names[0]]["Id"] == found[names[0]]["Id"]

    changed = {"web": {**web, "scale": 2, "environment": {"MODE": "two"}}}
    assert [a.kind for a in project.plan(changed).actions] == ["recreate", "recreate"]
    assert project.up(changed).ok
    assert not {c["Id"] for c in replicas(project).values()} & {c["Id"] for c in now.values()}

    # --no-up judges every replica: one stopped fails the service, by its container's name
    project.engine.stop(replicas(project)[names[1]]["Id"], 1)
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(changed), sort_keys=False))
    done = check(project, "--no-up", "--no-suites", "--report", "json=r.json", timeout=120)
    assert done.returncode == 1, done.stdout[-2000:]
    data = json.loads((project.folder / "r.json").read_text())
    (service,) = [r for r in data["run"]["results"] if r["kind"] == "service"]
    assert service["verdict"] == "fail" and service["message"].startswith(f"not ready: {names[1]}"), service
    assert service["actual"] == "1/2 exited, unhealthy; 1/2 running, healthy"  # as the engine words each

    from validator.engine.reconcile import down

    gone = down(project.load(changed), project.engine, progress=project.progress)
    assert sorted(gone.containers) == names[:2] and not replicas(project)


def test_dependents_wait_for_every_replica_to_be_healthy(project):
    # the replica that wins the mkdir on the shared folder is ready at once, the others 3 s later
    (project.folder / "shared").mkdir()
    web = project.sleeper(
        command=["sh", "-c", "mkdir /shared/first 2>/dev/null || sleep 3; touch /tmp/ok; exec sleep 3600"],
        volumes=["./shared:/shared"],
        healthcheck={"test": ["CMD", "test", "-e", "/tmp/ok"], "interval": "1s", "timeout": "900ms", "retries": 30},
        deploy={"replicas": 3},
    )
    api = project.sleeper(depends_on={"web": {"condition": "service_healthy"}})
    result = project.up({"web": web, "api": api}, extra={"settings": {"ready_by_exec": False}})
    assert result.ok, result.services
    healthy_at = []
    for summary in replicas(project).values():
        log = project.engine.inspect(summary["Id"])["State"]["Health"]["Log"]
        healthy_at.append(min(engine_time(e["End"]) for e in log if e["ExitCode"] == 0))
    (api_container,) = replicas(project, "api").values()
    started = engine_time(project.engine.inspect(api_container["Id"])["State"]["StartedAt"])
    assert len(healthy_at) == 3 and started is not None
    assert max(healthy_at) - min(healthy_at) > 1.5, healthy_at  # staggered: the first alone would be too early
    assert started >= max(healthy_at), (started, healthy_at)
    timing = result.services["web"].timing
    assert timing is not None and timing.healthy_at is not None and timing.healthy_at >= max(healthy_at) - 0.5


def test_ready_by_exec_waits_for_every_replica(project):
    # the engine's first probe comes one interval (4 s) after start; the exec test passes at once in
    # one replica and after 2 s in the other: the dependent starts between the two
    (project.folder / "shared").mkdir()
    web = project.sleeper(
        command=["sh", "-c", "mkdir /shared/first 2>/dev/null || sleep 2; touch /tmp/ok; exec sleep 3600"],
        volumes=["./shared:/shared"],
        healthcheck={"test": ["CMD", "test", "-e", "/tmp/ok"], "interval": "4s", "timeout": "900ms"},
        scale=2,
    )
    api = project.sleeper(depends_on={"web": {"condition": "service_healthy"}})
    result = project.up({"web": web, "api": api})
    assert result.ok, result.services
    timing = result.services["web"].timing
    assert timing is not None and timing.ready_at is not None and timing.healthy_at is not None
    (api_container,) = replicas(project, "api").values()
    started = engine_time(project.engine.inspect(api_container["Id"])["State"]["StartedAt"])
    assert started is not None
    # after the slower replica passed by exec (2 s in), before the engine's own health status came
    assert timing.ready_at - 0.5 <= started < timing.healthy_at, (timing, started)
    assert timing.ready is not None and timing.ready >= 1.5, timing


def test_one_replica_that_never_turns_healthy_fails_the_service_and_its_criteria(project):
    # the one replica that wins the mkdir on the shared folder marks itself bad
    (project.folder / "shared").mkdir()
    web = project.sleeper(
        command=["sh", "-c", "mkdir /shared/first 2>/dev/null && touch /tmp/bad; exec sleep 3600"],
        volumes=["./shared:/shared"],
        healthcheck={"test": ["CMD", "test", "!", "-e", "/tmp/bad"], "interval": "1s", "timeout": "900ms"},
        health_timeout="8s",
        deploy={"replicas": 3},
    )
    spec = project.spec(
        {"web": web},
        criteria={
            "SC8": {"title": "health", "condition": "service.*.healthy < 30s"},
            "SC7": {"title": "start", "condition": "service.web.startup < 60s"},
        },
    )
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    done = check(project, "--no-suites", "--report", "json=r.json", timeout=180)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    data = json.loads((project.folder / "r.json").read_text())
    results = {r["id"]: r for r in data["run"]["results"] if r["kind"] != "usage"}  # usage has the service's id too
    assert results["web"]["verdict"] == "fail"
    bad = [n for n in replicas(project) if "(unhealthy)" in replicas(project)[n]["Status"]]
    assert len(bad) == 1, replicas(project)
    assert f"web replica {bad[0][-1]} ({bad[0]})" in results["web"]["message"], results["web"]["message"]
    assert results["SC8"]["verdict"] == "error", results["SC8"]
    assert "service.web.healthy is unavailable: service web did not become healthy" in results["SC8"]["message"]
    assert "service.web.healthy" not in report_metrics(data)
    # every replica started (the slowest replica's startup stands, the sick one's included)
    assert results["SC7"]["verdict"] == "pass", results["SC7"]


def test_replicas_equal_what_compose_creates(engine, project, composed):
    compose = composed
    block = project.sleeper(
        environment={"MODE": "test"},
        labels={"team": "data"},
        healthcheck={"test": ["CMD", "true"], "interval": "1s"},
        ports=["127.0.0.1::8080"],  # no host port: the engine picks one per replica
    )
    services = {"web": {**block, "deploy": {"replicas": 3}}}
    compose.up({"services": services})
    assert project.up(services).ok
    theirs = {
        int(c["Labels"][NUMBER]): engine.inspect(c["Id"])
        for c in engine.containers(compose_filter(compose.name))
        if c["Labels"].get(SERVICE) == "web"
    }
    ours = {int(c["Labels"][L.REPLICA]): engine.inspect(c["Id"]) for c in replicas(project).values()}
    assert sorted(theirs) == sorted(ours) == [1, 2, 3]
    for number in (1, 2, 3):
        assert comparable(ours[number], project.name) == comparable(theirs[number], compose.name)
        assert theirs[number]["Config"]["Labels"][SERVICE] == ours[number]["Config"]["Labels"][L.SERVICE] == "web"
        assert ours[number]["Name"] == f"/{project.name}-web-{number}"  # Compose: <project>-web-<n> too
        assert theirs[number]["Name"] == f"/{compose.name}-web-{number}"
        network = f"{project.name}_default"
        assert ours[number]["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostIp"] == "127.0.0.1"
        assert "web" in ours[number]["NetworkSettings"]["Networks"][network]["Aliases"]
    assert len({ours[n]["NetworkSettings"]["Ports"]["8080/tcp"][0]["HostPort"] for n in (1, 2, 3)}) == 3


def test_a_foreign_container_holding_a_replica_name_is_a_conflict_and_untouched(project):
    import subprocess

    from validator.errors import EngineError

    foreign = f"{project.name}-web-2"
    subprocess.run(
        ["docker", "create", "--name", foreign, project.image, "sleep", "1"], check=True, capture_output=True
    )
    try:
        web = {"web": project.sleeper(scale=2)}
        assert project.up({"web": project.sleeper()}).ok  # one replica: its own name, no conflict
        plan = project.plan(web)
        assert any(f"the name {foreign} is taken by container {foreign}" in c for c in plan.conflicts), plan.conflicts
        with pytest.raises(EngineError, match=f"the name {foreign} is taken"):
            project.up(web)
        # nothing half-applied: the one replica kept its name, the stranger is as it was
        assert sorted(replicas(project)) == [f"{project.name}-web-1"]
        state = subprocess.run(
            ["docker", "inspect", "-f", "{{.State.Status}}", foreign], capture_output=True, text=True
        )
        assert state.stdout.strip() == "created"
    finally:
        subprocess.run(["docker", "rm", "-f", foreign], capture_output=True)


def test_a_scaled_stack_compose_started_is_judged_replica_by_replica(engine, project, composed, capsys):
    from validator.main import main

    web = project.sleeper(healthcheck={"test": ["CMD", "true"], "interval": "1s"}, deploy={"replicas": 2})
    composed.name = project.name  # Compose starts the stack under the spec's own project name
    composed.up({"services": {"web": web}})
    before = {c["Id"]: c["Status"] for c in engine.containers(compose_filter(project.name))}
    assert len(before) == 2
    spec = project.folder / "infra.yaml"
    spec.write_text(yaml.safe_dump(project.spec({"web": web}), sort_keys=False))
    assert main(["plan", "-f", str(spec)]) == 0, capsys.readouterr()
    assert main(["check", "--no-up", "--no-suites", "--no-progress", "-f", str(spec)]) == 0, capsys.readouterr()
    assert "2/2 running, healthy" in capsys.readouterr().out

    spec.write_text(yaml.safe_dump(project.spec({"web": {**web, "deploy": {"replicas": 3}}}), sort_keys=False))
    assert main(["plan", "-f", str(spec)]) == 1
    out = capsys.readouterr()
    assert "web: docker compose runs 2 containers of it, the spec asks for 3" in out.out + out.err
    assert main(["check", "--no-up", "--no-suites", "--no-progress", "-f", str(spec)]) == 1
    assert "2 containers run it, the spec asks for 3" in capsys.readouterr().out
    assert {c["Id"] for c in engine.containers(compose_filter(project.name))} == set(before)  # never touched
    assert engine.containers(L.project_filter(project.name)) == []


def test_an_interrupt_while_replicas_start_exits_130_and_the_next_up_converges(project):
    import signal
    import subprocess
    import sys
    import time

    web = project.sleeper(
        command=["sh", "-c", "sleep 3; touch /tmp/ok; exec sleep 3600"],
        healthcheck={"test": ["CMD", "test", "-e", "/tmp/ok"], "interval": "1s", "timeout": "900ms", "retries": 30},
        deploy={"replicas": 3},
    )
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec({"web": web}), sort_keys=False))
    proc = subprocess.Popen(
        [sys.executable, "-m", "validator", "up", "--no-progress"],
        cwd=project.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while len(replicas(project)) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)  # until every replica exists: the interrupt lands while they are waited for
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, out[-1000:], err[-2000:])
    assert "Traceback" not in err, err
    project.assert_owned_only()
    final = subprocess.run(
        [sys.executable, "-m", "validator", "up", "--no-progress"],
        cwd=project.folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert final.returncode == 0, final.stdout[-2000:] + final.stderr[-2000:]
    assert sorted(replicas(project)) == [f"{project.name}-web-{n}" for n in (1, 2, 3)]
    assert project.plan({"web": web}).empty


def test_scale_zero_runs_no_container_and_dependents_do_not_wait_for_it_as_in_compose(engine, project, composed):
    # off's health test never passes and api waits for it to be healthy: neither Compose nor validator
    # waits for a service with no container (Compose's up --wait would time out otherwise)
    sick = {"test": ["CMD", "false"], "interval": "1s", "timeout": "900ms", "retries": 1}
    api = project.sleeper(depends_on={"off": {"condition": "service_healthy"}})
    services = {"off": project.sleeper(healthcheck=sick, scale=0), "api": api}
    composed.up({"services": services})
    theirs = sorted(c["Labels"][SERVICE] for c in engine.containers(compose_filter(composed.name)))
    result = project.up(services)
    assert result.ok, result.services
    assert result.services["off"].container is None and result.services["off"].containers == ()
    ours = {c["Labels"][L.SERVICE]: c["Id"] for c in engine.containers(L.project_filter(project.name))}
    assert sorted(ours) == theirs == ["api"]
    assert project.plan(services).empty

    # one replica, then none again: it is removed, and the dependent that runs is left as it is
    well = {"test": ["CMD", "true"], "interval": "1s", "timeout": "900ms"}
    assert project.up({"off": project.sleeper(healthcheck=well), "api": api}).ok
    assert sorted(replicas(project, "off")) == [f"{project.name}-off-1"]
    zero = {"off": project.sleeper(healthcheck=well, scale=0), "api": api}
    assert [(a.kind, a.target) for a in project.plan(zero).actions] == [("remove", f"{project.name}-off-1")]
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(zero), sort_keys=False))
    shown = project.cli("plan", "--format", "json", timeout=60)
    assert shown.returncode == 1, shown.stderr  # changes to make
    (action,) = json.loads(shown.stdout)["actions"]
    assert action == {
        "kind": "remove",
        "target": f"{project.name}-off-1",
        "service": "off",
        "reasons": ["scaled to 0 replicas (this is replica 1)"],
        "replica": 1,
    }
    again = project.up(zero)
    assert again.ok and again.services["off"].action == "scale"
    assert replicas(project, "off") == {}
    assert [c["Id"] for c in replicas(project, "api").values()] == [ours["api"]]

    # check: off passes as "no container" and measures nothing, so the wildcard reads api alone
    criteria = {"START": {"title": "every service starts", "condition": "service.*.startup < 60s"}}
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec(zero, criteria=criteria), sort_keys=False))
    done = check(project, "--no-suites", "--report", "json=r.json", timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    data = json.loads((project.folder / "r.json").read_text())
    results = {(r["kind"], r["name"]): r for r in data["run"]["results"]}
    assert results[("service", "off")]["verdict"] == "pass"
    assert results[("service", "off")]["actual"] == "no container"
    off = [e for e in data["run"]["evidence"] if e["key"]["family"] == "service" and e["key"]["member"] == "off"]
    assert not off
    assert data["criteria"] == {"START": "pass"}

    # --no-up on the stack Compose started from the same services judges it the same way, untouched
    spec = {**project.spec(services), "project": composed.name}
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    before = {c["Id"] for c in engine.containers(compose_filter(composed.name))}
    observed = check(project, "--no-up", "--no-suites", "--report", "json=c.json", timeout=120)
    assert observed.returncode == 0, observed.stdout[-2000:] + observed.stderr[-2000:]
    data = json.loads((project.folder / "c.json").read_text())
    verdicts = {r["name"]: r["verdict"] for r in data["run"]["results"] if r["kind"] == "service"}
    assert verdicts == {"off": "pass", "api": "pass"}
    assert {c["Id"] for c in engine.containers(compose_filter(composed.name))} == before


def test_global_mode_is_one_container_on_one_engine_as_compose_runs_it(engine, project, composed):
    services = {"agent": project.sleeper(deploy={"mode": "global"})}
    composed.up({"services": services})
    theirs = [c for c in engine.containers(compose_filter(composed.name)) if c["Labels"].get(SERVICE) == "agent"]
    result = project.up(services)
    assert result.ok, result.services
    assert len(theirs) == 1 and sorted(replicas(project, "agent")) == [f"{project.name}-agent-1"]
    assert project.plan(services).empty


def test_a_probe_of_a_scaled_service_vouches_for_every_replica(project):
    """Review 2, case 05: a command probe named after a scaled service runs against each replica; the
    replica that lost the shared lock fails it by number (before, replica 1 alone was asked)."""
    (project.folder / "shared").mkdir()
    web = project.sleeper(
        command=["sh", "-c", "mkdir /shared/lock 2>/dev/null && touch /tmp/working; exec sleep 3600"],
        volumes=["./shared:/shared"],
        deploy={"replicas": 2},
    )
    probes = {"working": {"kind": "command", "service": "web", "command": ["test", "-e", "/tmp/working"]}}
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec({"web": web}, probes=probes)))
    done = check(project, "--no-suites", "--report", "json=r.json", timeout=180)
    results = {r["name"]: r for r in json.loads((project.folder / "r.json").read_text())["run"]["results"]}
    probe = results["working"]
    assert probe["verdict"] == "fail", probe
    lost = [n for n in replicas(project) if n != _lock_holder(project)]
    assert f"replica {lost[0][-1]}: exit 1" in probe["message"], (probe, lost)
    assert done.returncode == 1


def _lock_holder(project: Any) -> str:
    import subprocess

    for name in replicas(project):
        if subprocess.run(["docker", "exec", name, "test", "-e", "/tmp/working"], timeout=60).returncode == 0:
            return name
    return ""


def test_a_replica_that_dies_before_its_service_is_ready_fails_the_service(project):
    """Review 2, case 13: the replica that wins the lock is healthy at once and crashes once 2 s later
    (restart: always brings it back); the other turns healthy after 6 s, so up reports the service at
    +6 s. Each replica is watched from its own ready moment: the crash at +2 s fails the service."""
    (project.folder / "shared").mkdir()
    script = (
        "if mkdir /shared/lock 2>/dev/null; then touch /tmp/ok; sleep 2; echo crash >&2; exit 1; fi; "
        "[ -e /shared/slow ] || { mkdir /shared/slow 2>/dev/null; sleep 6; }; touch /tmp/ok; exec sleep 3600"
    )
    web = project.sleeper(
        command=["sh", "-c", script],
        volumes=["./shared:/shared"],
        restart="always",
        healthcheck={"test": ["CMD", "test", "-e", "/tmp/ok"], "interval": "500ms", "timeout": "400ms", "retries": 40},
        deploy={"replicas": 2},
    )
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec({"web": web}), sort_keys=False))
    done = check(project, "--no-suites", "--report", "json=r.json", timeout=180)
    data = json.loads((project.folder / "r.json").read_text())
    service = next(r for r in data["run"]["results"] if r["kind"] == "service" and r["name"] == "web")
    assert service["verdict"] == "fail" and "died at" in service["message"], (service, done.stdout[-2000:])
    assert done.returncode == 1
