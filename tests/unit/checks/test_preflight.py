"""Preflight against the real host: psutil figures, real tools, real sockets."""

from __future__ import annotations

import os
import socket
import sys

from tests.metrics import key
from validator.checks import preflight
from validator.checks.registry import CheckContext


def results(ctx: CheckContext):
    return {r.name: r for r in preflight.run(ctx)}


def test_memory_cpus_disk(ctx_for):
    found = results(ctx_for(host={"memory": "1m", "cpus": 1, "disk": "1m"}))
    assert [found[n].verdict for n in ("memory available", "cpus", "disk free at .")] == ["pass"] * 3
    found = results(ctx_for(host={"memory": "64TiB", "cpus": 4096}))
    assert found["memory available"].verdict == "fail" and found["memory available"].expected == ">= 64 TiB"
    assert found["cpus"].verdict == "fail"


def test_tools_with_alternatives(ctx_for):
    python = sys.executable
    found = results(
        ctx_for(
            host={
                "tools": {
                    "python": {"command": [python, "--version"], "version": ">=3.11"},
                    "compose": {
                        "command": ["no-such-tool-xyz", "version"],
                        "alternatives": [[python, "--version"]],
                        "version": ">=3",
                    },
                    "missing": {"command": ["no-such-tool-xyz", "--version"], "version": ">=1"},
                    "too-old": {"command": [python, "--version"], "version": ">=99"},
                }
            }
        )
    )
    assert found["tool python"].verdict == "pass" and found["tool python"].actual.startswith("3.")
    assert found["tool compose"].verdict == "pass"
    assert found["tool missing"].verdict == "fail" and "no-such-tool-xyz not found" in found["tool missing"].message
    assert found["tool too-old"].verdict == "fail"


def test_free_port_and_a_port_held_by_this_process(ctx_for):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    busy = holder.getsockname()[1]
    free_sock = socket.socket()
    free_sock.bind(("127.0.0.1", 0))
    free = free_sock.getsockname()[1]
    free_sock.close()
    try:
        found = results(ctx_for(host={"ports": [busy, free]}))
    finally:
        holder.close()
    assert found[f"port {free} free"].verdict == "pass"
    held = found[f"port {busy} free"]
    assert held.verdict == "fail" and f"(pid {os.getpid()})" in held.actual and "python" in held.actual.lower()


def test_a_port_whose_last_connections_linger_in_time_wait_is_free(ctx_for):
    """A stack just taken down leaves its port in TIME_WAIT; servers bind it (SO_REUSEADDR), so the
    preflight must not call it held (a false alarm seen right after `pytest -m stack`)."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end of the connection enters TIME_WAIT
    client.close()
    server.close()
    plain = socket.socket()
    try:
        plain.bind(("127.0.0.1", port))
        lingering = False
    except OSError:
        lingering = True
    finally:
        plain.close()
    assert lingering, "the set-up did not leave the port in TIME_WAIT"
    found = results(ctx_for(host={"ports": [port]}))
    assert found[f"port {port} free"].verdict == "pass", found[f"port {port} free"]


def test_host_metrics_are_measured_without_requirements(ctx_for):
    metrics = preflight.measure(ctx_for().loaded, "unix:///var/run/docker.sock")
    assert (
        metrics[key("host.memory_available")] > 0
        and metrics[key("host.cpus")] >= 1
        and metrics[key("host.disk_free")] > 0
    )


class _RemoteEngine:
    """An engine on another machine, as preflight reads it: its CPU count, and one container of the
    project publishing port 8080."""

    address = "tcp://10.9.8.7:2375"

    def info(self):
        return {"NCPU": 64}

    def containers(self, filters):
        return [{"Names": ["/demo-web-1"], "Ports": [{"PublicPort": 8080}]}]


def test_a_remote_engine_is_not_measured_by_this_machine(ctx_for):
    """The containers run on the engine's machine: this machine's memory, disk and free ports are no
    evidence there (each an error saying so), CPUs are the engine's own count, and a port the project's
    own container holds there is known through the engine."""
    import dataclasses

    local = ctx_for(host={"memory": "1m", "cpus": 2, "disk": "1m", "ports": [8080, 8081]})
    ctx = dataclasses.replace(local, engine=_RemoteEngine(), engine_at=_RemoteEngine.address)
    found = results(ctx)
    for name in ("memory available", "disk free at .", "port 8081 free"):
        assert found[name].verdict == "error" and "runs on another machine" in found[name].message, found[name]
    assert found["cpus"].verdict == "pass" and found["cpus"].actual == "64", found["cpus"]
    assert found["port 8080 free"].verdict == "pass" and "demo-web-1" in found["port 8080 free"].actual
    assert preflight.measure(ctx.loaded, ctx.engine_at) == {}


def test_which_engine_addresses_are_this_machine():
    from validator.engine.address import on_this_machine

    here = [
        "unix:///var/run/docker.sock",
        "unix://",
        "tcp://127.0.0.1:2375",
        "tcp://localhost:2376",
        "tcp://[::1]:2375",
    ]
    elsewhere = ["tcp://10.0.0.5:2375", "ssh://me@box", "tcp://docker.example:2376", "npipe:////./pipe/x", "tcp://"]
    assert all(on_this_machine(a) for a in here) and not any(on_this_machine(a) for a in elsewhere)


class _LocalEngine:
    """This machine's engine, as preflight reads it: the project's container ``demo-dns-1`` and what
    it publishes (port summaries as the engine lists them)."""

    address = "unix:///var/run/docker.sock"

    def __init__(self, ports):
        self.ports = ports

    def containers(self, filters):
        return [{"Names": ["/demo-dns-1"], "Ports": self.ports}]


def test_a_port_is_held_by_the_project_only_with_its_protocol_and_address(ctx_for):
    """Adversary v9 01: the project's container publishes port N as UDP (or on 127.0.0.2) and a
    foreign process listens on TCP 127.0.0.1:N. The spec's TCP port on 127.0.0.1 is not the
    project's: the holder is named; the same binding published by the project is held by it."""
    import dataclasses

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    services = {"dns": {"image": "x", "ports": [f"127.0.0.1:{port}:53"]}}
    local = ctx_for(services=services)
    try:
        for published in ({"Type": "udp", "IP": "127.0.0.1"}, {"Type": "tcp", "IP": "127.0.0.2"}):
            engine = _LocalEngine([{"PublicPort": port, "PrivatePort": 53, **published}])
            found = results(dataclasses.replace(local, engine=engine))[f"port {port} free (for dns)"]
            assert found.verdict == "fail" and f"(pid {os.getpid()})" in found.actual, (published, found)
        for published in ({"Type": "tcp", "IP": "127.0.0.1"}, {"Type": "tcp", "IP": "0.0.0.0"}):
            engine = _LocalEngine([{"PublicPort": port, "PrivatePort": 53, **published}])
            found = results(dataclasses.replace(local, engine=engine))[f"port {port} free (for dns)"]
            assert found.verdict == "pass" and "demo-dns-1" in found.actual, (published, found)
    finally:
        holder.close()


def test_a_udp_port_held_by_another_process_is_not_free(ctx_for):
    """A UDP port is judged by binding UDP: a foreign socket holding it fails, a TCP listener on the
    same number is no concern of it."""
    held = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    held.bind(("127.0.0.1", 0))
    port = held.getsockname()[1]
    try:
        found = results(ctx_for(services={"dns": {"image": "x", "ports": [f"127.0.0.1:{port}:53/udp"]}}))
    finally:
        held.close()
    assert found[f"port {port}/udp free (for dns)"].verdict == "fail"
    listener = socket.socket()
    listener.bind(("127.0.0.1", port))
    listener.listen()
    try:
        found = results(ctx_for(services={"dns": {"image": "x", "ports": [f"127.0.0.1:{port}:53/udp"]}}))
    finally:
        listener.close()
    assert found[f"port {port}/udp free (for dns)"].verdict == "pass"
