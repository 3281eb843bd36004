"""The Swarm backend on a real three-node swarm (one manager, two workers; see
tests/harness/swarm.py) and on a single-node swarm: placement, replicas, a no-op second up,
a pinned service landing on the labelled worker, a drained node detected as under-replication,
unschedulable and unhealthy services failing with the engine's reasons, down."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest

from tests.harness import swarm as S
from tests.harness.specs import load_dict, write_spec
from validator.engine.docker_api import Engine
from validator.swarm import api
from validator.swarm import reconcile as R

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HEALTH = {"test": ["CMD", "true"], "interval": "1s", "timeout": "500ms"}
FAST_RESTART = {"condition": "any", "delay": "200ms"}


def _harness(count: int, busybox: str):
    if S.available():
        pytest.skip(S.available())
    harness = S.SwarmNodes(count=count)
    harness.start()
    try:
        harness.load_image(busybox)
    except BaseException:
        harness.stop()
        raise
    return harness


@pytest.fixture(scope="module")
def cluster(busybox):
    harness = _harness(3, busybox)
    yield harness
    assert harness.stop() == []


@pytest.fixture
def manager(cluster) -> Engine:
    return Engine.connect(cluster.manager.url, timeout=30)


class Stack:
    def __init__(self, engine: Engine, folder: Any, image: str) -> None:
        self.engine = engine
        self.folder = folder
        self.image = image
        self.project = f"vsw-{uuid.uuid4().hex[:8]}"
        self.lines: list[str] = []

    def load(self, services: dict[str, Any]) -> Any:
        return load_dict(self.folder, self.spec(services))

    def spec(self, services: dict[str, Any]) -> dict[str, Any]:
        return {"version": 1, "project": self.project, "services": services}

    def up(self, services: dict[str, Any], **options: Any) -> R.SwarmUpResult:
        return R.up(self.load(services), self.engine, progress=lambda w, m: self.lines.append(f"{w}: {m}"), **options)

    def service(self, name: str) -> dict[str, Any]:
        (found,) = [s for s in api.services(self.engine, self.project) if s["Spec"]["Name"] == f"{self.project}_{name}"]
        return found

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        path = write_spec(self.folder, self.spec(self._services))
        env = {**os.environ, "DOCKER_HOST": self.engine.address, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "validator", *args, "-f", str(path), "--orchestrator", "swarm"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    _services: dict[str, Any] = {}


@pytest.fixture
def stack(manager, tmp_path, busybox):
    made = Stack(manager, tmp_path, busybox)
    yield made
    R.down(made.load({}), manager, remove_orphans=True, progress=lambda w, m: None)
    assert api.services(manager, made.project) == []


def _web(image: str, **deploy: Any) -> dict[str, Any]:
    return {
        "image": image,
        "command": ["sleep", "3600"],
        "init": True,
        "healthcheck": HEALTH,
        "deploy": {"restart_policy": FAST_RESTART, **deploy},
    }


def test_replicas_spread_over_nodes_and_a_second_up_changes_nothing(stack, cluster):
    services = {
        "web": _web(
            stack.image,
            replicas=3,
            placement={"preferences": [{"spread": "node.id"}]},
            resources={"limits": {"memory": "64m", "cpus": 0.25}, "reservations": {"memory": "8m"}},
        ),
        "agent": {"image": stack.image, "command": ["sleep", "3600"], "init": True, "deploy": {"mode": "global"}},
    }
    first = stack.up(services)
    assert first.ok, first.services
    web = first.views["web"]
    assert (web.desired, web.healthy) == (3, 3)
    assert sorted(t.node for t in web.tasks) == sorted(n.name for n in cluster.nodes)
    assert all(t.startup is not None and t.startup > 0 for t in web.tasks)
    assert first.views["agent"].desired == 3 and first.views["agent"].ready
    limits = stack.service("web")["Spec"]["TaskTemplate"]["Resources"]
    assert limits["Limits"]["MemoryBytes"] == 64 * 2**20 and limits["Reservations"]["MemoryBytes"] == 8 * 2**20

    before = {name: stack.service(name)["Version"]["Index"] for name in services}
    tasks_before = {t.id for v in first.views.values() for t in v.tasks}
    assert R.make_plan(stack.load(services), stack.engine).plan.empty
    second = stack.up(services)
    assert second.ok and all(r.action is None for r in second.services.values())
    assert {name: stack.service(name)["Version"]["Index"] for name in services} == before
    assert {t.id for v in second.views.values() for t in v.tasks} == tasks_before


def test_a_changed_field_is_planned_and_rolled_out(stack):
    services = {"web": _web(stack.image, replicas=2, update_config={"parallelism": 2, "order": "start-first"})}
    assert stack.up(services).ok
    services["web"]["environment"] = {"MODE": "b"}
    planned = R.make_plan(stack.load(services), stack.engine).plan
    (action,) = planned.actions
    assert (action.kind, action.reasons) == ("update-service", ("environment: +MODE",))
    result = stack.up(services)
    assert result.ok and result.services["web"].action == "update-service"
    env = stack.service("web")["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert env == ["MODE=b"]


def test_a_service_pinned_by_node_label_lands_on_that_worker(stack, cluster):
    target = cluster.workers[1]
    cluster.update_node(target, labels={"vsw.tier": "db"})
    services = {"db": _web(stack.image, replicas=2, placement={"constraints": ["node.labels.vsw.tier == db"]})}
    result = stack.up(services)
    assert result.ok, result.services["db"].message
    assert [t.node for t in result.views["db"].tasks] == [target.name, target.name]


def test_a_node_drained_during_a_run_is_under_replication(stack, cluster):
    target = cluster.workers[0]
    cluster.update_node(target, labels={"vsw.pin": "drain"})
    services = {"pinned": _web(stack.image, replicas=1, placement={"constraints": ["node.labels.vsw.pin == drain"]})}
    stack._services = services
    assert stack.up(services).ok
    try:
        cluster.update_node(target, availability="drain")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            views, _ = R.current_views(stack.load(services), stack.engine)
            if not views["pinned"].ready and views["pinned"].reasons:
                break
            time.sleep(0.3)
        done = stack.cli("check", "--no-up", "--no-history", "--no-progress")
        assert done.returncode == 1, done.stdout + done.stderr
        assert "FAIL" in done.stdout and "pinned" in done.stdout
        assert "0/1 tasks healthy; missing 1" in done.stdout
        assert "no suitable node" in done.stdout
    finally:
        cluster.update_node(target, availability="active")


def test_an_unschedulable_service_fails_fast_with_the_engines_reason(stack):
    services = {"huge": _web(stack.image, replicas=1, resources={"reservations": {"memory": "4096GiB"}})}
    started = time.monotonic()
    result = stack.up(services, timeout=60)
    assert not result.ok
    assert time.monotonic() - started < 30
    message = result.services["huge"].message
    assert "0/1 tasks healthy; missing 1" in message and "insufficient resources" in message


def test_an_unhealthy_service_fails_naming_its_failures(stack):
    services = {"sick": _web(stack.image, replicas=1)}
    services["sick"]["healthcheck"] = {"test": ["CMD", "false"], "interval": "500ms", "timeout": "400ms", "retries": 1}
    result = stack.up(services, timeout=60)
    assert not result.ok
    assert "tasks failed since up began" in result.services["sick"].message
    assert "unhealthy" in result.services["sick"].message


def test_cli_plan_up_check_down_exit_codes(stack):
    stack._services = {"web": _web(stack.image, replicas=2)}
    assert stack.cli("plan").returncode == 1
    up = stack.cli("up")
    assert up.returncode == 0, up.stdout + up.stderr
    assert stack.cli("plan").returncode == 0
    check = stack.cli("check", "--no-history", "--no-progress")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "PASS  service web" in check.stdout
    down = stack.cli("down")
    assert down.returncode == 0 and "removed 1 service(s), 1 network(s)" in down.stdout
    assert api.services(stack.engine, stack.project) == []


def imported(result: subprocess.CompletedProcess[str]) -> set[str]:
    """The top-level packages a run with ``PYTHONPROFILEIMPORTTIME`` imported."""
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_swarm_commands_on_a_local_socket_do_not_import_the_sdk(stack):
    """The manager is a unix socket: every Swarm call goes through the standard library's HTTP."""
    stack._services = {"web": _web(stack.image, replicas=2)}
    sdk = {"docker", "requests", "urllib3"}
    for command, code in (("plan", 1), ("up", 0), ("plan", 0), ("check", 0), ("down", 0)):
        extra = ("--no-history", "--no-progress") if command == "check" else ()
        result = stack.cli(command, *extra, env={"PYTHONPROFILEIMPORTTIME": "1"})
        names = imported(result)
        assert result.returncode == code, (command, result.stdout[-2000:], result.stderr[-3000:])
        assert "validator" in names and "http" in names  # the measurement itself works
        assert not names & sdk, (command, names & sdk)
    assert api.services(stack.engine, stack.project) == []


def test_single_node_swarm(busybox, tmp_path):
    harness = _harness(1, busybox)
    try:
        engine = Engine.connect(harness.manager.url, timeout=30)
        made = Stack(engine, tmp_path, busybox)
        services = {"web": _web(busybox, replicas=2)}
        result = made.up(services)
        assert result.ok and result.views["web"].healthy == 2
        assert R.make_plan(made.load(services), engine).plan.empty
        R.down(made.load(services), engine, progress=lambda w, m: None)
        assert api.services(engine, made.project) == []
    finally:
        assert harness.stop() == []


def test_check_runs_against_several_engines_and_fails_if_one_does(cluster, busybox, tmp_path):
    """Two engines at once (plain containers on two of the nodes): one section and verdict per
    target in one report, exit 1 because the second target runs nothing."""
    import json

    first, second = cluster.workers[0].url, cluster.workers[1].url
    project = f"vsw-{uuid.uuid4().hex[:8]}"
    spec = {
        "version": 1,
        "project": project,
        "services": {"app": {"image": busybox, "command": ["sleep", "3600"], "init": True}},
        "settings": {"targets": [first]},
    }
    path = write_spec(tmp_path, spec)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "validator", *args, "-f", str(path), "--no-progress"],
            capture_output=True,
            text=True,
            timeout=120,
        )

    try:
        assert cli("up", "--host", first).returncode == 0
        alone = cli("check", "--no-up", "--no-history")  # settings.targets: the first engine only
        assert alone.returncode == 0, alone.stdout + alone.stderr
        report = tmp_path / "multi.json"
        both = cli(
            "check",
            "--no-up",
            "--no-history",
            "--host",
            first,
            "--host",
            second,
            "--report",
            "console",
            "--report",
            f"json={report}",
        )
        assert both.returncode == 1, both.stdout + both.stderr
        assert f"=== target {first} ===" in both.stdout and f"=== target {second} ===" in both.stdout
        assert f"{first}: PASSED, {second}: FAILED" in both.stdout
        results = json.loads(report.read_text())["run"]["results"]
        verdicts = {(r["target"], r["kind"], r["name"]): r["verdict"] for r in results if r["kind"] == "service"}
        assert verdicts == {(first, "service", "app"): "pass", (second, "service", "app"): "fail"}
    finally:
        cli("down", "--host", first)


def test_configs_and_secrets_reach_every_task_and_new_content_rolls_out(stack):
    (stack.folder / "app.conf").write_text("colour = blue\n")
    (stack.folder / "token.txt").write_text("token-one")

    def services(word: str) -> dict[str, Any]:
        app = _web(stack.image, replicas=2, placement={"preferences": [{"spread": "node.id"}]})
        app["configs"] = [{"source": "app", "target": "/etc/app.conf"}]
        app["secrets"] = ["token"]
        # Healthy only when both files hold what the spec's files hold: the wait proves delivery.
        app["healthcheck"] = {
            "test": ["CMD-SHELL", f"grep -q blue /etc/app.conf && grep -q {word} /run/secrets/token"],
            "interval": "1s",
            "timeout": "900ms",
        }
        return app

    def load(word: str) -> Any:
        data = stack.spec({"app": services(word)})
        data["configs"] = {"app": {"file": "./app.conf"}}
        data["secrets"] = {"token": {"file": "./token.txt"}}
        return load_dict(stack.folder, data)

    first = R.up(load("token-one"), stack.engine, progress=lambda w, m: None)
    assert first.ok, first.services["app"].message
    (stack.folder / "token.txt").write_text("token-two")
    planned = R.make_plan(load("token-two"), stack.engine).plan
    assert [a.kind for a in planned.actions] == ["create-secret", "update-service"]
    assert "mounted file token.txt changed" in planned.actions[1].reasons
    second = R.up(load("token-two"), stack.engine, progress=lambda w, m: None)
    assert second.ok, second.services["app"].message
    secrets = api.objects(stack.engine, "secret", {"label": f"dev.validator.project={stack.project}"})
    assert len(secrets) == 1, "the secret of the old content is pruned"
    R.down(load("token-two"), stack.engine, progress=lambda w, m: None)
    assert api.objects(stack.engine, "secret", {"label": f"dev.validator.project={stack.project}"}) == []
    assert api.objects(stack.engine, "config", {"label": f"dev.validator.project={stack.project}"}) == []


@pytest.mark.parametrize("where", ["host engine", "worker"])
def test_swarm_commands_need_a_manager_and_say_so(where, engine, cluster, busybox, tmp_path):
    """The host's engine is not in a swarm (and is never put in one by these tests); a worker
    cannot manage services: one clean line, exit 1, nothing changed."""
    path = write_spec(tmp_path, {"version": 1, "project": "vsw-none", "services": {"a": {"image": busybox}}})
    if where == "host engine" and (engine.api.info().get("Swarm") or {}).get("LocalNodeState") == "active":
        pytest.skip("the host's engine is in a swarm here (not by these tests)")
    host = engine.address if where == "host engine" else cluster.workers[0].url
    done = subprocess.run(
        [sys.executable, "-m", "validator", "plan", "-f", str(path), "--orchestrator", "swarm", "--host", host],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    expected = "is not in a swarm" if where == "host engine" else "is a swarm worker: point --host at a manager"
    assert expected in done.stderr and "Traceback" not in done.stderr
