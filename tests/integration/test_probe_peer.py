"""The probe's peer must be the project's, on a real engine (adversary v9 01 and 03): ``check`` on a
small project of its own, a foreign process on this host where the probe dials. Each asserts the
probe does not pass on the foreign answer and ``check`` exits non-zero; the last, that a service on
the host network serving the port itself passes."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.integration.conftest import free_port
from tests.integration.test_adversarial_verdicts import check, results

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@contextmanager
def foreign_server(port: int = 0) -> Iterator[int]:
    """A host process's HTTP server on 127.0.0.1 (a developer's server, a stale build) answering
    200 to everything; its port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_a_tcp_probe_does_not_pass_on_a_port_the_service_publishes_only_as_udp(project):
    """01: ``dns`` publishes 127.0.0.1:PORT:53/udp; a foreign process listens on TCP PORT. The tcp
    probe of ``dns`` reached that process: a FAIL naming what the project does publish there."""
    with foreign_server() as port:
        dns = {**project.sleeper(), "ports": [f"127.0.0.1:{port}:53/udp"]}
        probes = {"dns-port": {"kind": "tcp", "service": "dns", "host": "127.0.0.1", "port": port}}
        code, report = check(project, project.spec({"dns": dns}, probes=probes))
    probe = results(report, "probe")[0]
    assert (
        probe["verdict"] == "fail" and f"tcp 127.0.0.1:{port} is published by no running container" in probe["message"]
    )
    assert f"(it publishes 127.0.0.1:{port}/udp)" in probe["message"], probe
    assert code == 1


def test_an_unrelated_host_networked_service_does_not_excuse_another_service_s_probe(project):
    """03: ``api`` publishes another port; a stale api build serves the probe's port on the host;
    an unrelated ``agent`` runs on the host network (started first). The probe of ``api`` fails."""
    with foreign_server() as stale:
        api = {**project.sleeper(), "ports": [f"127.0.0.1:{free_port()}:8080"], "depends_on": ["agent"]}
        agent = {**project.sleeper(), "network_mode": "host"}
        probes = {"api-health": {"kind": "http", "service": "api", "url": f"http://127.0.0.1:{stale}/"}}
        code, report = check(project, project.spec({"api": api, "agent": agent}, probes=probes))
    probe = results(report, "probe")[0]
    assert probe["verdict"] == "fail" and "is published by no running container" in probe["message"], probe
    assert code == 1


def test_a_host_networked_service_s_probe_passes_on_its_own_listener_only(project):
    """The probe's own service on the host network publishes nothing: a foreign server on the port
    fails it (naming the process), busybox httpd of the service's own container passes it."""
    with foreign_server() as port:
        idle = {**project.sleeper(), "network_mode": "host"}
        probes = {"web": {"kind": "http", "service": "web", "url": f"http://127.0.0.1:{port}/"}}
        code, report = check(project, project.spec({"web": idle}, probes=probes))
    probe = results(report, "probe")[0]
    assert probe["verdict"] == "fail" and "a process outside service web's container" in probe["message"], probe
    assert code == 1
    port = free_port()
    serving = {**project.sleeper(command=["httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", "/"]), "network_mode": "host"}
    probes = {"web": {"kind": "http", "service": "web", "url": f"http://127.0.0.1:{port}/", "status": [200, 403, 404]}}
    wait = {"retries": 5, "retry_interval": "0.5s"}
    code, report = check(project, project.spec({"web": serving}, probes={"web": {**probes["web"], **wait}}))
    probe = results(report, "probe")[0]
    assert probe["verdict"] == "pass" and "not verified" not in probe["message"], probe
    assert code == 0, report["run"]["results"]
