"""Published ports and concurrent starts on the real engine (issue 27).

``up`` starts every service at once, whatever it publishes (engine/apply.py takes no lock). The
premise, checked here on the engine the tests run against: containers that publish fixed, ephemeral
or ranged host ports, started at the same instant, never fail where started one by one they would
not. The only port failure found on engine 20.10 (a host range on one IP overlapping the same range
on every interface: the engine allocates per host IP, and the second bind fails) fails just as often
one by one, so serialising would not avoid it. A port someone else holds is still reported naming
the holder: by the plan for a container, by the failed start for a process.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from tests.integration.conftest import free_port
from validator.engine import labels as L
from validator.errors import EngineError

pytestmark = pytest.mark.docker

ROUNDS = 3  # repetitions of each concurrent start: bounded, and enough to have shown a race here
PER_KIND = 8


def port_block(count: int) -> int:
    """The first of ``count`` consecutive ports free on every interface (bounded search)."""
    for _ in range(50):
        base = free_port()
        if base + count < 65000 and all(_free(p) for p in range(base, base + count)):
            return base
    raise AssertionError(f"no {count} consecutive free ports found")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def start_all(
    engine: Any, image: str, tag: str, bindings: Sequence[dict[str, list[dict[str, str]]]], at_once: bool
) -> list[str]:
    """Create one container per entry of ``bindings`` (PortBindings of container port 80), start them
    all at the same instant (a barrier) or one after another, remove them; the start errors."""
    ids = []
    for index, ports in enumerate(bindings):
        body = {
            "Image": image,
            "Cmd": ["sleep", "60"],
            "Labels": {"test.port-races": tag},
            "ExposedPorts": {"80/tcp": {}},
            "HostConfig": {"PortBindings": {"80/tcp": ports["80/tcp"]}, "Init": True},
            "StopSignal": "SIGKILL",
        }
        ids.append(engine.create_container(f"{tag}-{index}", body))
    errors: list[str] = []
    barrier = threading.Barrier(len(ids))

    def one(cid: str) -> None:
        if at_once:
            barrier.wait(timeout=60)
        try:
            engine.start(cid)
        except EngineError as exc:
            errors.append(str(exc))

    try:
        if at_once:
            threads = [threading.Thread(target=one, args=(cid,)) for cid in ids]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
        else:
            for cid in ids:
                one(cid)
    finally:
        for cid in ids:
            engine.remove_container(cid)
    return errors


def binding(host_ip: str = "", host_port: str = "") -> dict[str, list[dict[str, str]]]:
    return {"80/tcp": [{"HostIp": host_ip, "HostPort": host_port}]}


KINDS: dict[str, Callable[[int, int], dict[str, list[dict[str, str]]]]] = {
    "explicit 127.0.0.1:P:80": lambda base, i: binding("127.0.0.1", str(base + i)),
    "explicit P:80": lambda base, i: binding("", str(base + i)),
    "ephemeral 127.0.0.1::80": lambda base, i: binding("127.0.0.1"),
    "ephemeral 80": lambda base, i: binding(),
    "one range for all, 127.0.0.1": lambda base, i: binding("127.0.0.1", f"{base}-{base + PER_KIND - 1}"),
    "one range for all, every interface": lambda base, i: binding("", f"{base}-{base + PER_KIND - 1}"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_concurrent_starts_never_fail(engine, busybox, kind):
    for round_ in range(ROUNDS):
        base = port_block(PER_KIND)
        tag = f"vt-race-{uuid.uuid4().hex[:8]}"
        bindings = [KINDS[kind](base, i) for i in range(PER_KIND)]
        errors = start_all(engine, busybox, tag, bindings, at_once=True)
        assert errors == [], f"{kind}, round {round_ + 1}: {errors}"


def test_the_port_failure_found_fails_alike_one_by_one(engine, busybox):
    """A range on 127.0.0.1 and the same range on every interface: the engine hands out the same
    port on both (it allocates per host IP) and the second bind fails, at once or one by one."""
    base = port_block(4)
    mixed = [binding("127.0.0.1" if i % 2 else "", f"{base}-{base + 3}") for i in range(4)]
    at_once = start_all(engine, busybox, f"vt-race-{uuid.uuid4().hex[:8]}", mixed, at_once=True)
    one_by_one = start_all(engine, busybox, f"vt-race-{uuid.uuid4().hex[:8]}", mixed, at_once=False)
    assert len(at_once) == len(one_by_one), (at_once, one_by_one)


class InFlight:
    """Wraps an engine's ``start``: the most calls that were in flight at one moment."""

    def __init__(self, start: Callable[[str], None]) -> None:
        self.start = start
        self.lock = threading.Lock()
        self.now = self.most = 0

    def __call__(self, container: str) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            self.start(container)
        finally:
            with self.lock:
                self.now -= 1


def test_up_starts_services_publishing_ports_at_once(project, monkeypatch):
    """Fixed, ephemeral and ranged host ports in one project, every service started at once, three
    times over (cold, then recreated twice): every service ready, every container on its own port,
    and the engine's start calls in flight together (no lock makes them take turns)."""
    in_flight = InFlight(project.engine.start)
    monkeypatch.setattr(project.engine, "start", in_flight)
    fixed = port_block(4)
    ranged = port_block(4)
    services: dict[str, Any] = {f"fixed{i}": project.sleeper(ports=[f"127.0.0.1:{fixed + i}:80"]) for i in range(4)}
    services |= {f"lo{i}": project.sleeper(ports=["127.0.0.1::80"]) for i in range(3)}
    services |= {f"any{i}": project.sleeper(ports=["80"]) for i in range(3)}
    services["ranged"] = project.sleeper(ports=[f"127.0.0.1:{ranged}-{ranged + 3}:80"], scale=4)
    for round_ in range(ROUNDS):
        result = project.up(services, force_recreate=round_ > 0)
        assert result.ok, {n: r.message for n, r in result.services.items() if r.status != "ready"}
        published = [
            (p.get("IP"), p["PublicPort"])
            for c in project.engine.containers(L.project_filter(project.name))
            for p in c.get("Ports") or []
            if p.get("PublicPort")
        ]
        assert len(published) == len(set(published)) >= 14, published
        assert {port for _, port in published} >= {fixed + i for i in range(4)} | {ranged + i for i in range(4)}
        assert in_flight.most >= 2, "the start calls ran one after another"


def test_a_foreign_container_on_a_port_stops_up_before_anything_starts(project):
    ports = port_block(6)
    foreign = f"squatter-{project.name}"
    project.engine.create_container(
        foreign,
        {
            "Image": project.image,
            "Cmd": ["sleep", "3600"],
            "ExposedPorts": {"80/tcp": {}},
            "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(ports + 3)}]}},
        },
    )
    try:
        project.engine.start(foreign)
        services = {f"s{i}": project.sleeper(ports=[f"127.0.0.1:{ports + i}:80"]) for i in range(6)}
        with pytest.raises(EngineError, match=f"host port {ports + 3}/tcp is published by container {foreign}"):
            project.up(services)
        assert project.containers() == {}  # nothing half-applied
    finally:
        project.engine.remove_container(foreign)


def test_a_process_on_a_port_is_named_and_the_others_start(project):
    ports = port_block(6)
    holder = socket.socket()
    holder.bind(("127.0.0.1", ports + 2))
    holder.listen()
    services = {f"s{i}": project.sleeper(ports=[f"127.0.0.1:{ports + i}:80"]) for i in range(6)}
    try:
        result = project.up(services)
    finally:
        holder.close()
    failed = {name: r.message for name, r in result.services.items() if r.status != "ready"}
    assert list(failed) == ["s2"], failed
    assert f"host port {ports + 2}/tcp is held by python" in failed["s2"], failed["s2"]
    assert "(pid " in failed["s2"]
