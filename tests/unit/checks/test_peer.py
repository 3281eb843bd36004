"""The probe's peer must be the project's (``validator.checks.peer``): what a container of the project
publishes is compared by protocol, port and host address, and only the probe's own service on the
host network is judged by who listens. The engine's records are stand-ins (its inspection as the
engine writes it); listeners and processes are this machine's real ones."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.harness.specs import load_dict
from validator.checks import peer
from validator.probes.base import ProbeContext


class _Engine:
    """Inspections by container ID, as the engine writes them."""

    address = "unix:///var/run/docker.sock"

    def __init__(self, details: dict[str, dict[str, Any]]) -> None:
        self.details = details

    def try_inspect(self, container: str) -> dict[str, Any] | None:
        return self.details.get(container)


def _container(ports: dict[str, list[dict[str, str]]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"State": {"Running": True, "Pid": extra.pop("pid", 0)}, "NetworkSettings": {"Ports": ports or {}}, **extra}


def _judge(tmp_path, probe: dict[str, Any], details: dict[str, dict[str, Any]]) -> peer.Peer:
    services = {name: {"image": "x"} for name in details}
    loaded = load_dict(tmp_path, {"version": 1, "project": "peer", "services": services, "probes": {"p": probe}})
    ctx = ProbeContext(
        spec=loaded.spec,
        base_dir=tmp_path,
        deadline=time.monotonic() + 10,
        engine_factory=lambda: _Engine({f"c-{name}": detail for name, detail in details.items()}),
        running={name: f"c-{name}" for name in details},
    )
    return peer.judge(loaded.spec.probes["p"], ctx)


def _published(address: str, port: int, protocol: str = "tcp") -> dict[str, list[dict[str, str]]]:
    return {f"80/{protocol}": [{"HostIp": address, "HostPort": str(port)}]}


TCP = {"kind": "tcp", "service": "dns", "host": "127.0.0.1", "port": 18531}


def test_a_port_number_published_only_as_udp_is_not_the_probe_s_tcp_port(tmp_path):
    """Adversary v9 01: ``dns`` publishes 127.0.0.1:18531:53/udp; a foreign process listens on TCP
    18531. The tcp probe dials TCP: the project publishes nothing there."""
    found = _judge(tmp_path, TCP, {"dns": _container(_published("127.0.0.1", 18531, "udp"))})
    assert "tcp 127.0.0.1:18531 is published by no running container of project peer" in found.foreign
    assert "(it publishes 127.0.0.1:18531/udp)" in found.foreign
    assert _judge(tmp_path, TCP, {"dns": _container(_published("127.0.0.1", 18531))}) == peer.Peer()


@pytest.mark.parametrize(
    ("bound", "reached"),
    [("127.0.0.1", True), ("0.0.0.0", True), ("", True), ("127.0.0.2", False), ("::", False), ("::1", False)],
)
def test_the_published_address_must_cover_the_one_the_probe_dials(tmp_path, bound, reached):
    """A publish on 127.0.0.2 leaves 127.0.0.1's port to whoever holds it; 0.0.0.0 and "" take
    every IPv4 address (the engine lists its IPv6 binding, ``::``, apart)."""
    found = _judge(tmp_path, TCP, {"dns": _container(_published(bound, 18531))})
    assert (found.foreign == "") is reached, found


def test_localhost_must_be_covered_at_every_address_it_resolves_to(tmp_path, monkeypatch):
    """A client tries each address ``localhost`` resolves to: a foreign process on ::1 would answer
    a probe of a service published on 127.0.0.1 alone."""
    both = [(socket.AF_INET6, 1, 6, "", ("::1", 0, 0, 0)), (socket.AF_INET, 1, 6, "", ("127.0.0.1", 0))]
    monkeypatch.setattr(peer.socket, "getaddrinfo", lambda *a, **k: both)
    probe = {"kind": "http", "service": "web", "url": "http://localhost:18532/"}
    v4 = _published("127.0.0.1", 18532)
    assert (
        "tcp localhost:18532 is published by no running container"
        in _judge(tmp_path, probe, {"web": _container(v4)}).foreign
    )
    v6 = {"80/tcp": [*v4["80/tcp"], {"HostIp": "::1", "HostPort": "18532"}]}
    assert _judge(tmp_path, probe, {"web": _container(v6)}) == peer.Peer()


def test_another_service_on_the_host_network_excuses_no_probe(tmp_path):
    """Adversary v9 03: an unrelated ``agent`` on ``network_mode: host`` (a node exporter) switched
    the guard off for every probe of the project. Only the probe's own service can be excused."""
    probe = {"kind": "http", "service": "api", "url": "http://127.0.0.1:18540/health"}
    details = {
        "api": _container(_published("127.0.0.1", 18541)),
        "agent": _container(HostConfig={"NetworkMode": "host"}),
        "task": _container(Config={"Labels": {"com.docker.swarm.task.id": "t1"}}),
    }
    assert "tcp 127.0.0.1:18540 is published by no running container" in _judge(tmp_path, probe, details).foreign


@pytest.fixture
def listening():
    """A TCP listener of this process on 127.0.0.1, and its port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def test_a_host_networked_service_s_port_must_be_held_by_its_own_processes(tmp_path, listening):
    """The probe's own service shares this host's network: the process listening where the probe
    dials is this test's, so it is the service's only when the container's first process is this
    one (or an ancestor of it); a container whose first process is another (a child ``sleep``) sees
    a foreign listener, named."""
    probe = {"kind": "tcp", "service": "api", "host": "127.0.0.1", "port": listening}
    host = {"HostConfig": {"NetworkMode": "host"}}
    assert _judge(tmp_path, probe, {"api": _container(pid=os.getpid(), **host)}) == peer.Peer()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        found = _judge(tmp_path, probe, {"api": _container(pid=other.pid, **host)})
    finally:
        other.kill()
        other.wait(timeout=10)
    assert f"127.0.0.1:{listening} is held by " in found.foreign and f"(pid {os.getpid()})" in found.foreign
    assert "outside service api's container (which runs on the host network)" in found.foreign


def test_a_listener_whose_process_cannot_be_seen_is_said_unverified(tmp_path, listening, monkeypatch):
    probe = {"kind": "tcp", "service": "api", "host": "127.0.0.1", "port": listening}
    unseen = [peer.Listener(address="127.0.0.1", port=listening, pid=None, who="an unknown process")]
    monkeypatch.setattr(peer, "tcp_listeners", lambda: unseen)
    found = _judge(tmp_path, probe, {"api": _container(pid=os.getpid(), HostConfig={"NetworkMode": "host"})})
    assert found.foreign == "" and "runs on the host network" in found.unverified and "not verified" in found.unverified


def test_a_swarm_task_s_port_is_said_unverified_and_only_for_its_own_probe(tmp_path):
    probe = {"kind": "tcp", "service": "api", "host": "127.0.0.1", "port": 18543}
    task = _container(Config={"Labels": {"com.docker.swarm.task.id": "t1"}})
    found = _judge(tmp_path, probe, {"api": task})
    assert found.foreign == "" and "Swarm task" in found.unverified


def test_every_endpoint_a_probe_dials_is_judged(tmp_path):
    """A ``spark`` probe dials its master and reads its UI, a ``cdc`` probe its MySQL and master: a
    foreign Spark master on this host (a developer's) would run the job, or list the application."""
    spark = {"kind": "spark", "service": "worker", "master": "spark://127.0.0.1:17077", "ui": "http://127.0.0.1:18080"}
    master = {"7077/tcp": [{"HostIp": "127.0.0.1", "HostPort": "17077"}]}
    both = {**master, "8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}
    assert (
        "tcp 127.0.0.1:18080 is published by no"
        in _judge(tmp_path, spark, {"worker": _container(), "master": _container(master)}).foreign
    )
    assert _judge(tmp_path, spark, {"worker": _container(), "master": _container(both)}) == peer.Peer()
    cdc = {
        "kind": "cdc",
        "service": "worker",
        "master": "spark://127.0.0.1:17077",
        "port": 13306,
        "user": "u",
        "database": "d",
    }
    assert (
        "tcp 127.0.0.1:13306 is published by no"
        in _judge(tmp_path, cdc, {"worker": _container(), "master": _container(both)}).foreign
    )


def test_a_host_networked_service_may_dial_what_another_service_of_the_project_publishes(tmp_path, listening):
    """The port another service publishes is the project's (its engine proxy listens there, no
    process of the probe's own container): the publishing rule comes first."""
    probe = {"kind": "tcp", "service": "api", "host": "127.0.0.1", "port": listening}
    host = {"HostConfig": {"NetworkMode": "host"}}
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        details = {"api": _container(pid=other.pid, **host), "db": _container(_published("127.0.0.1", listening))}
        assert _judge(tmp_path, probe, details) == peer.Peer()
    finally:
        other.kill()
        other.wait(timeout=10)


def test_a_redirect_followed_to_another_process_s_port_does_not_pass(tmp_path):
    """With ``follow_redirects``, the answer judged is the last URL's: a redirect from the service's
    published port to a loopback port no container of the project publishes (a stale build's) is
    answered by another process, and fails; one within the published port passes."""
    import http.server
    import threading

    from validator.checks.probes import run_probe

    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    stale = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)

    class Redirect(Ok):
        def do_GET(self):
            if self.path == "/here":
                return super().do_GET()
            to = f"http://127.0.0.1:{stale.server_address[1]}/" if self.path == "/away" else "/here"
            self.send_response(302)
            self.send_header("Location", to)
            self.send_header("Content-Length", "0")
            self.end_headers()

    service = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    for server in (stale, service):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    port = service.server_address[1]
    verdicts = {}
    try:
        for path in ("away", "near"):
            probe = {
                "kind": "http",
                "service": "web",
                "url": f"http://127.0.0.1:{port}/{path}",
                "follow_redirects": True,
            }
            loaded = load_dict(
                tmp_path, {"version": 1, "project": "peer", "services": {"web": {"image": "x"}}, "probes": {"p": probe}}
            )
            ctx = ProbeContext(
                spec=loaded.spec,
                base_dir=tmp_path,
                deadline=time.monotonic() + 10,
                engine_factory=lambda: _Engine({"c-web": _container(_published("127.0.0.1", port))}),
                running={"web": "c-web"},
            )
            verdicts[path] = run_probe(loaded, "p", ctx)
    finally:
        for server in (stale, service):
            server.shutdown()
            server.server_close()
    away = verdicts["away"]
    assert away.verdict == "fail" and away.actual == "another process", away
    assert f"led to http://127.0.0.1:{stale.server_address[1]}/: tcp 127.0.0.1:" in away.message
    assert verdicts["near"].verdict == "pass", verdicts["near"]


def test_a_dual_stack_listener_is_counted_for_an_ipv4_probe_of_a_host_networked_service(tmp_path, monkeypatch):
    """A server on ``[::]:N`` takes connections to 127.0.0.1:N as well (dual stack): held by a
    process outside the container, it is foreign, not overlooked."""
    probe = {"kind": "tcp", "service": "api", "host": "127.0.0.1", "port": 18544}
    dual = [peer.Listener(address="::", port=18544, pid=os.getpid(), who="java (pid 1)")]
    monkeypatch.setattr(peer, "tcp_listeners", lambda: dual)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        found = _judge(tmp_path, probe, {"api": _container(pid=other.pid, HostConfig={"NetworkMode": "host"})})
    finally:
        other.kill()
        other.wait(timeout=10)
    assert "127.0.0.1:18544 is held by java (pid 1)" in found.foreign, found


def _own_non_loopback_address() -> str:
    import psutil  # here: only this test lists the interfaces

    for nic in psutil.net_if_addrs().values():
        for found in nic:
            if found.family == socket.AF_INET and not found.address.startswith("127."):
                return str(found.address)
    pytest.skip("this machine has no non-loopback IPv4 address")


@pytest.mark.parametrize("host", [socket.gethostname(), "127.1", "0x7f000001", "[::ffff:127.0.0.1]", "own"])
def test_an_address_of_this_machine_is_judged_however_it_is_spelled(tmp_path, host):
    """Adversary v9b 01 and 02: the machine's hostname, ``127.1``, ``0x7f000001``, an IPv4-mapped
    ``::ffff:127.0.0.1`` and this machine's own non-loopback address (docker0's gateway, the LAN
    address) are all dialled on this machine: a port there the project does not publish is another
    process's; a publish on 0.0.0.0 covers each."""
    if host == socket.gethostname():
        try:
            socket.getaddrinfo(host, None)
        except OSError:
            pytest.skip("this machine's hostname does not resolve")
    host = _own_non_loopback_address() if host == "own" else host
    probe = {"kind": "http", "service": "web", "url": f"http://{host}:18533/health"}
    found = _judge(tmp_path, probe, {"web": _container(_published("127.0.0.1", 18534))})
    assert "is published by no running container of project peer" in found.foreign, found
    assert _judge(tmp_path, probe, {"web": _container(_published("0.0.0.0", 18533))}) == peer.Peer()


def test_an_address_of_another_machine_is_not_judged(tmp_path):
    """198.51.100.7 (TEST-NET-2) is no address of this machine: no container's publishing here proves or
    disproves what answers there."""
    probe = {"kind": "http", "service": "web", "url": "http://198.51.100.7:18533/health"}
    assert peer._local_addresses("198.51.100.7") == ()
    assert _judge(tmp_path, probe, {"web": _container(_published("127.0.0.1", 18534))}) == peer.Peer()
