"""The light transport against the real engine: every call moved off the Docker SDK, the event
stream, exec, errors in the engine's words, many threads at once, a socket that is not there, and
``plan`` / ``down`` that never import the SDK."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from validator.engine import labels as L
from validator.engine.address import engine_address
from validator.engine.docker_api import Engine
from validator.errors import EngineError, UnreachableError

pytestmark = pytest.mark.docker


@pytest.fixture(params=["transport", "sdk"])
def via(request, project):
    """The project's engine over the transport, or the same engine's calls over the SDK's session
    (as for a tcp:// or ssh:// engine): each Engine method is written once, for both paths."""
    if request.param == "transport":
        yield project.engine
        return
    address = engine_address()
    sdk = Engine(Engine._sdk_client(address, 30, "auto"), address, timeout=30)
    assert sdk.transport is None
    fixture_engine, project.engine = project.engine, sdk
    try:
        yield sdk
    finally:
        project.engine = fixture_engine
        sdk.api.close()


def sleeper(project: Any, name: str, command: list[str] | None = None) -> str:
    """Create (not start) a labelled busybox container of this project; its ID."""
    body = {
        "Image": project.image,
        "Cmd": command or ["sleep", "300"],
        "Labels": {L.PROJECT: project.name, L.SERVICE: name},
        "HostConfig": {"Init": True},
    }
    return project.engine.create_container(f"{project.name}-{name}", body)


def test_a_local_engine_speaks_over_the_transport(engine):
    engine = Engine.connect(timeout=30)  # a new one: others' tests may have built the fixture's SDK
    assert engine.transport is not None and engine._api is None, "the SDK was built for a local socket"
    assert engine.api_version == engine.version()["ApiVersion"]  # 1.41 here: below the SDK's cap
    assert engine.answers() and engine.info()["ID"] and engine.bridge_gateway()


def test_a_container_from_create_to_remove(project, via):
    engine = via
    cid = sleeper(project, "one")
    assert engine.inspect(cid)["State"]["Status"] == "created"
    assert [c["Id"] for c in engine.containers(L.project_filter(project.name))] == [cid]
    engine.start(cid)
    assert engine.inspect(cid)["State"]["Running"] is True
    began = time.monotonic()
    engine.stop(cid, 0)
    assert time.monotonic() - began < 5 and engine.inspect(cid)["State"]["Running"] is False
    engine.remove_container(cid, volumes=True)
    assert engine.try_inspect(cid) is None
    engine.remove_container(cid)  # already gone: ignored
    assert engine.containers(L.project_filter(project.name)) == []
    assert engine.image_id(project.image) and engine.image_tagged(project.image) is not None
    assert engine.image_id(f"{project.name}/no-such-image:1") is None


def test_networks_and_volumes(project, via):
    engine = via
    labels = {L.PROJECT: project.name}
    engine.create_network(f"{project.name}_net", labels, None, True, False, {}, None, False)
    engine.create_volume(f"{project.name}_data", labels, None, {})
    (net,) = engine.networks(L.project_filter(project.name))
    assert net["Internal"] is True and engine.inspect_network(net["Id"])["Name"] == f"{project.name}_net"
    assert [v["Name"] for v in engine.volumes(L.project_filter(project.name))] == [f"{project.name}_data"]
    cid = sleeper(project, "netted")
    engine.connect_network(cid, f"{project.name}_net", ["alias-a"])
    endpoint = engine.inspect(cid)["NetworkSettings"]["Networks"][f"{project.name}_net"]
    assert "alias-a" in endpoint["Aliases"]
    with pytest.raises(EngineError, match=rf"^cannot create network {project.name}_net: .*already exists"):
        engine.create_network(f"{project.name}_net", labels, None, True, False, {}, None, False)
    # the fixture removes what is left on failure
    engine.remove_container(cid)
    engine.remove_network(f"{project.name}_net")
    engine.remove_volume(f"{project.name}_data")
    assert engine.networks(L.project_filter(project.name)) == []
    assert engine.volumes(L.project_filter(project.name)) == []


def test_the_engines_refusals_in_its_own_words(project, via):
    engine = via
    with pytest.raises(EngineError) as bad:
        engine.create_container(f"{project.name}-bad", {"Image": project.image, "Cmd": "not-a-list", "Tty": "yes"})
    assert str(bad.value).startswith(f"cannot create container {project.name}-bad: ")
    assert "json: cannot unmarshal string" in str(bad.value)
    sleeper(project, "twice")
    twice = rf'^cannot create container {project.name}-twice: Conflict\. .*"/{project.name}-twice"'
    with pytest.raises(EngineError, match=twice):
        sleeper(project, "twice")
    with pytest.raises(EngineError, match=r"^cannot inspect container no-such-xyz: No such container: no-such-xyz$"):
        engine.inspect("no-such-xyz")


def test_eight_threads_at_once(project, via):
    engine = via
    ids = {sleeper(project, f"t{n}") for n in range(3)}
    seen: list[set[str]] = []
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                listed = {c["Id"] for c in engine.containers(L.project_filter(project.name))}
                for cid in listed:
                    assert engine.inspect(cid)["Id"] == cid
                assert engine.try_inspect("no-such-xyz") is None
                seen.append(listed)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    assert len(seen) == 8 * 15 and all(listed == ids for listed in seen)


def test_the_event_stream_sees_a_start_and_closes_from_another_thread(project, via):
    engine = via
    stream = engine.events({"type": ["container"], "label": [f"{L.PROJECT}={project.name}"]})
    events: list[dict[str, Any]] = []
    reader = threading.Thread(target=lambda: events.extend(stream), daemon=True)
    reader.start()
    cid = sleeper(project, "watched")
    engine.start(cid)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(e.get("status") == "start" and e.get("id") == cid for e in events):
        time.sleep(0.05)
    assert any(e.get("status") == "start" and e.get("id") == cid for e in events), events
    assert {e["status"] for e in events} >= {"create", "start"}
    began = time.monotonic()
    stream.close()
    reader.join(5)
    assert not reader.is_alive() and time.monotonic() - began < 1.0


def test_events_since_replay_what_happened(project, via):
    engine = via
    since = time.time() - 1
    cid = sleeper(project, "past")
    stream = engine.events({"type": ["container"], "label": [f"{L.PROJECT}={project.name}"]}, since=since)
    first: list[dict[str, Any]] = []
    reader = threading.Thread(target=lambda: first.extend([next(iter(stream))]), daemon=True)
    reader.start()
    reader.join(10)
    stream.close()
    assert first and first[0]["id"] == cid and first[0]["status"] == "create"


def test_exec_exit_codes_output_and_timeout(project, via):
    engine = via
    cid = sleeper(project, "exec")
    engine.start(cid)
    # stdout and stderr reach the engine through two pipes: their order between them is not kept
    code, text = engine.exec(cid, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (code, sorted(text.splitlines())) == (3, ["err", "out"])
    assert engine.exec(cid, ["true"]) == (0, "")
    big = engine.exec(cid, ["sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done"])
    assert big[0] == 0 and big[1].splitlines()[-1] == "line-1999" and len(big[1].splitlines()) == 2000
    code, text = engine.exec(cid, ["id", "-u"], user="65534")
    assert (code, text.strip()) == (0, "65534")
    began = time.monotonic()
    assert engine.exec(cid, ["sleep", "30"], timeout=0.5) == (124, "command did not finish within 0.5s")
    assert time.monotonic() - began < 3
    code, text = engine.exec(cid, ["no-such-command-xyz"])
    assert code != 0  # the engine's own code for a missing executable (126/127), not a crash
    engine.stop(cid, 0)
    with pytest.raises(EngineError, match=rf"^cannot exec in container {cid[:12]}: .*is not running"):
        engine.exec(cid, ["true"])


def test_a_missing_socket_is_unreachable(run_cli, tmp_path):
    with pytest.raises(UnreachableError, match=r"^cannot reach the Docker engine at unix:///tmp/vt-no-such\.sock: "):
        Engine.connect("unix:///tmp/vt-no-such.sock", timeout=5)
    (tmp_path / "infra.yaml").write_text("version: 1\nproject: demo\nservices:\n  a:\n    image: x\n")
    for command in ("plan", "up", "down", "check"):
        result = run_cli(command, "--host", "unix:///tmp/vt-no-such.sock", cwd=tmp_path)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 3, (command, result.stderr)
        assert len(lines) == 1 and "cannot reach the Docker engine at unix:///tmp/vt-no-such.sock" in lines[0]
        assert "Traceback" not in result.stderr


def imported(run_cli: Any, cwd: Any, *args: str) -> tuple[Any, set[str]]:
    """Run ``validator ARGS`` with ``-X importtime``: the process and the top-level packages it imported."""
    result = run_cli(*args, cwd=cwd, env={"PYTHONPROFILEIMPORTTIME": "1"})
    names = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return result, names


def test_plan_up_and_down_do_not_import_the_sdk(project, run_cli):
    (project.folder / "infra.yaml").write_text(
        f"version: 1\nproject: {project.name}\nservices:\n  a:\n    image: {project.image}\n"
        '    command: ["sleep", "300"]\n    init: true\n'
    )
    # plan (changes: exit 1), cold up, no-op up, plan (nothing to do), down
    for command, code in (("plan", 1), ("up", 0), ("up", 0), ("plan", 0), ("down", 0)):
        result, names = imported(run_cli, project.folder, command)
        assert result.returncode == code, (command, result.stdout[-2000:], result.stderr[-2000:])
        assert "validator" in names and "http" in names  # the measurement itself works
        assert not names & {"docker", "requests", "urllib3"}, (command, names & {"docker", "requests", "urllib3"})
    assert project.containers() == {}
