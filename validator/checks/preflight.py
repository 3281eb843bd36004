"""Preflight (checklist T003-T005 and its risk list): what the host offers before anything starts.

Memory, CPUs and disk from psutil; the Docker engine's version; tool versions from their own
output; every host port the spec needs is free, or held by this project's own container — when a
foreign process holds it, the result names the process and its PID.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from validator import children
from validator.checks.host_metrics import METRICS as METRICS  # declared apart: lint reads them
from validator.core.metrics import MetricKey, metric_name
from validator.core.result import Result, locate
from validator.engine import labels as L
from validator.engine.address import on_this_machine
from validator.engine.listeners import Listener, tcp_listeners
from validator.redact import add_encoder, clip, quoted
from validator.spec.load import LoadedSpec
from validator.units import format_size
from validator.versions import satisfies, versions_in_line

if TYPE_CHECKING:
    from validator.checks.context import CheckContext
    from validator.engine.docker_api import Engine


def measure(loaded: LoadedSpec, engine_at: str) -> dict[MetricKey, float]:
    """The host metrics, whether or not the spec states requirements. A count psutil cannot tell is
    left out (unmeasured), not reported as 0; so is every one when the engine at ``engine_at`` runs on
    another machine (this machine's figures would be taken for that one's)."""
    import psutil

    if not on_this_machine(engine_at):
        return {}

    memory = psutil.virtual_memory()
    out = {
        metric_name("host", "", "memory_available"): float(memory.available),
        metric_name("host", "", "memory_total"): float(memory.total),
    }
    cpus = psutil.cpu_count(logical=True)
    if cpus:
        out[metric_name("host", "", "cpus")] = float(cpus)
    with contextlib.suppress(OSError):
        free = psutil.disk_usage(str(loaded.base_dir / loaded.spec.host.disk_path)).free
        out[metric_name("host", "", "disk_free")] = float(free)
    return out


def run(ctx: CheckContext) -> Iterator[Result]:
    loaded, engine = ctx.loaded, ctx.engine
    if not on_this_machine(ctx.engine_at):
        # the containers run on the engine's machine: this one's memory, disk and ports are no evidence
        yield from _elsewhere(loaded, engine, ctx.engine_at)
    else:
        yield from _resources(loaded)
        yield from _ports(loaded, engine)
    if loaded.spec.host.engine is not None and engine is not None:
        yield from _engine(loaded, engine)
    # tools run here whatever the engine: the suites, the Spark driver and Maven run on this machine
    for name, tool in loaded.spec.host.tools.items():
        yield _tool(loaded, name, tool)


def _resources(loaded: LoadedSpec) -> Iterator[Result]:
    import psutil

    host = loaded.spec.host
    memory = psutil.virtual_memory()
    if host.memory is not None:
        ok = memory.available >= host.memory
        yield Result(
            kind="host",
            name="memory available",
            verdict="pass" if ok else "fail",
            expected=f">= {format_size(host.memory)}",
            actual=format_size(memory.available),
            message="" if ok else f"of {format_size(memory.total)} in all",
            location=locate(loaded, ("host", "memory")),
        )
    cpus = psutil.cpu_count(logical=True) or 0
    if host.cpus is not None:
        yield _cpus(loaded, cpus, "")
    if host.disk is not None:
        yield _disk(loaded)


def _cpus(loaded: LoadedSpec, cpus: int, where: str) -> Result:
    assert loaded.spec.host.cpus is not None
    return Result(
        kind="host",
        name="cpus",
        verdict="pass" if cpus >= loaded.spec.host.cpus else "fail",
        expected=f">= {loaded.spec.host.cpus:g}",
        actual=str(cpus),
        message=where,
        location=locate(loaded, ("host", "cpus")),
    )


def _disk(loaded: LoadedSpec) -> Result:
    import psutil

    host = loaded.spec.host
    assert host.disk is not None
    name, expected, where = f"disk free at {host.disk_path}", f">= {format_size(host.disk)}", ("host", "disk")
    try:
        free = float(psutil.disk_usage(str(loaded.base_dir / host.disk_path)).free)
    except OSError as exc:
        return Result(
            kind="host", name=name, verdict="error", expected=expected, message=str(exc), location=locate(loaded, where)
        )
    ok = free >= host.disk
    return Result(
        kind="host",
        name=name,
        verdict="pass" if ok else "fail",
        expected=expected,
        actual=format_size(free),
        location=locate(loaded, where),
    )


def _elsewhere(loaded: LoadedSpec, engine: Engine | None, address: str) -> Iterator[Result]:
    """Host requirements when the engine runs on another machine: CPUs as that engine reports them;
    memory available, disk free and free ports are not measured there, so each is an error saying so
    (never this machine's figure, which would pass or fail the wrong host)."""
    host = loaded.spec.host
    why = f"not measured: the engine at {address} runs on another machine, and this machine's figure says nothing of it"
    if host.memory is not None:
        yield _unmeasured(loaded, "memory available", f">= {format_size(host.memory)}", ("host", "memory"), why)
    if host.cpus is not None:
        cpus = _engine_cpus(engine)
        if cpus is None:
            yield _unmeasured(loaded, "cpus", f">= {host.cpus:g}", ("host", "cpus"), why)
        else:
            yield _cpus(loaded, cpus, f"as the engine at {address} reports them")
    if host.disk is not None:
        yield _unmeasured(
            loaded, f"disk free at {host.disk_path}", f">= {format_size(host.disk)}", ("host", "disk"), why
        )
    ours = _project_ports(loaded, engine)
    wanted = _wanted_ports(loaded)
    for binding, (service, path) in sorted(wanted.items()):
        label = _label(binding, service, wanted)
        holder = _ours(binding, ours)
        if holder:
            yield _held_by_us(loaded, label, holder, path)
        else:
            yield _unmeasured(loaded, label, "free", path, why)


def _engine_cpus(engine: Engine | None) -> int | None:
    if engine is None:
        return None
    try:
        count = engine.info().get("NCPU")
    except Exception:  # noqa: BLE001 - an engine that cannot say leaves the count unmeasured
        return None
    return count if isinstance(count, int) and count > 0 else None


def _unmeasured(loaded: LoadedSpec, name: str, expected: str, path: tuple[str | int, ...], why: str) -> Result:
    return Result(
        kind="host", name=name, verdict="error", expected=expected, message=why, location=locate(loaded, path)
    )


def _engine(loaded: LoadedSpec, engine: Engine) -> Iterator[Result]:
    assert loaded.spec.host.engine is not None
    requirement = loaded.spec.host.engine
    version = engine.version()
    server, api = str(version.get("Version", "?")), str(version.get("ApiVersion", engine.api_version))
    where = locate(loaded, ("host", "engine"))
    if requirement.version:
        ok = satisfies(server, requirement.version)
        yield Result(
            kind="host",
            name="docker engine version",
            verdict="pass" if ok else "fail",
            expected=requirement.version,
            actual=server,
            message=f"at {engine.address}",
            location=where,
        )
    if requirement.api_version:
        ok = satisfies(api, requirement.api_version)
        yield Result(
            kind="host",
            name="docker engine API",
            verdict="pass" if ok else "fail",
            expected=requirement.api_version,
            actual=api,
            location=where,
        )


def _tool(loaded: LoadedSpec, name: str, tool: Any) -> Result:
    import re

    where = locate(loaded, ("host", "tools", name))
    tried: list[str] = []
    began = time.monotonic()
    search = os.pathsep.join([os.environ.get("PATH", ""), os.path.dirname(sys.executable)])
    add_encoder("shell quoting", shlex.quote)  # the command is shown as shlex.join writes it
    for command in [tool.command, *tool.alternatives]:
        shown = shlex.join(command)
        found = shutil.which(command[0], path=search)
        if found is None:
            tried.append(f"{shown}: {command[0]} not found")
            continue
        try:
            proc = children.run([found, *command[1:]], timeout=20, text=True)
        except (OSError, subprocess.TimeoutExpired) as exc:
            tried.append(f"{shown}: {exc}")
            continue
        output = (proc.stdout + "\n" + proc.stderr).strip()
        if proc.returncode != 0:
            tried.append(f"{shown}: exit {proc.returncode}: {clip(output.splitlines()[-1], 120) if output else ''}")
            continue
        if tool.pattern:
            match = re.search(tool.pattern, output)
            text = match.group(1) if match and match.groups() else (match.group(0) if match else "")
        else:
            # the first line of output with a version names the tool's, unless it names several: a
            # MariaDB client's `Ver 15.1 Distrib 10.11.6` would pass a MySQL 8 minimum on either
            found = versions_in_line(proc.stdout + "\n" + proc.stderr)
            if len(found) > 1:
                shown_found = ", ".join(str(v) for v in found)
                tried.append(f"{shown}: several versions on one line ({shown_found}): name the tool's with 'pattern'")
                continue
            text = str(found[0]) if found else ""
        if not text:
            tried.append(f"{shown}: no version in its output {quoted(clip(output, 80))}")
            continue
        ok = satisfies(text, tool.version)
        return Result(
            kind="host",
            name=f"tool {name}",
            verdict="pass" if ok else "fail",
            expected=tool.version,
            actual=text,
            message=f"from `{shown}`",
            duration=time.monotonic() - began,
            location=where,
        )
    return Result(
        kind="host",
        name=f"tool {name}",
        verdict="fail",
        expected=tool.version,
        actual="not found",
        message="; ".join(tried),
        duration=time.monotonic() - began,
        location=where,
    )


@dataclass(frozen=True, order=True, kw_only=True)
class _Binding:
    """A host port the spec needs: its number, protocol and host address ("" for every address)."""

    port: int
    protocol: str = "tcp"
    address: str = ""


_Wanted = dict[_Binding, tuple[str | None, tuple[str | int, ...]]]


def _wanted_ports(loaded: LoadedSpec) -> _Wanted:
    """Every fixed host port the spec needs: binding -> (the service publishing it or None, its path)."""
    wanted: _Wanted = {}
    for number in loaded.spec.host.ports:
        wanted.setdefault(_Binding(port=number), (None, ("host", "ports")))
    for name, svc in loaded.spec.services.items():
        for index, mapping in enumerate(svc.ports):
            for binding in mapping.bindings():
                if binding.fixed_host_port is not None:
                    key = _Binding(
                        port=binding.fixed_host_port, protocol=binding.protocol, address=binding.host_ip or ""
                    )
                    wanted[key] = (name, ("services", name, "ports", index))
    return wanted


def _label(binding: _Binding, service: str | None, wanted: _Wanted) -> str:
    """ "port 8080 free", the protocol named when it is not TCP, the address when the spec wants the
    same port and protocol on several."""
    shared = sum(1 for w in wanted if (w.port, w.protocol) == (binding.port, binding.protocol)) > 1
    where = f"{binding.address or '*'}:" if shared else ""
    protocol = "" if binding.protocol == "tcp" else f"/{binding.protocol}"
    return f"port {where}{binding.port}{protocol} free" + (f" (for {service})" if service else "")


def _overlap(one: str, other: str) -> bool:
    """Whether two host addresses ("" or a wildcard: every address of the family) share a socket
    address: binding one takes the port from the other."""
    try:
        a = ipaddress.ip_address(one) if one else None
        b = ipaddress.ip_address(other) if other else None
    except ValueError:
        return one == other
    if a is None or b is None:
        return True
    return a == b or ((a.is_unspecified or b.is_unspecified) and a.version == b.version)


def _ours(binding: _Binding, ours: list[tuple[_Binding, str]]) -> str:
    """Which container of the project holds ``binding`` ("" when none): the same port and protocol
    on an address that takes it — a port number the project publishes as UDP, or on another
    address, leaves the spec's binding to whoever holds it."""
    for held, holder in ours:
        if (held.port, held.protocol) == (binding.port, binding.protocol) and _spans(held.address, binding.address):
            return holder
    return ""


def _spans(held: str, wanted: str) -> bool:
    """Whether a socket on ``held`` covers the address ``wanted`` names (a wanted "": every address,
    which the engine binds and lists as 0.0.0.0 and ::)."""
    if held == "" or held == wanted:
        return True
    try:
        wide = ipaddress.ip_address(held)
        return wide.is_unspecified and (wanted == "" or ipaddress.ip_address(wanted).version == wide.version)
    except ValueError:
        return False


def _held_by_us(loaded: LoadedSpec, label: str, holder: str, path: tuple[str | int, ...]) -> Result:
    return Result(
        kind="host",
        name=label,
        verdict="pass",
        expected="free or held by this project",
        actual=f"held by this project's {holder}",
        location=locate(loaded, path),
    )


def _ports(loaded: LoadedSpec, engine: Engine | None) -> Iterator[Result]:
    wanted = _wanted_ports(loaded)
    if not wanted:
        return
    ours = _project_ports(loaded, engine)
    listening = _listeners()
    for binding, (service, path) in sorted(wanted.items()):
        where = locate(loaded, path)
        label = _label(binding, service, wanted)
        holder = _ours(binding, ours)
        if holder:
            yield _held_by_us(loaded, label, holder, path)
            continue
        # the project's own sockets on part of the address (its container publishes 127.0.0.1:P where
        # the spec asks for P on every address) are not in the way; any other listener there is
        mine = [(h, who) for h, who in ours if (h.port, h.protocol) == (binding.port, binding.protocol)]
        holders = [
            h.who
            for h in listening
            if binding.protocol == "tcp"
            and h.port == binding.port
            and _overlap(h.address, binding.address)
            and not any(_spans(held.address, h.address) for held, _ in mine)
        ]
        if not holders and mine:
            yield _held_by_us(loaded, label, mine[0][1], path)
            continue
        if not holders and _bindable(binding):
            yield Result(kind="host", name=label, verdict="pass", expected="free", actual="free", location=where)
        else:
            yield Result(
                kind="host",
                name=label,
                verdict="fail",
                expected="free",
                actual=f"held by {holders[0] if holders else 'another process'}",
                message="stop it or change the port in the spec",
                location=where,
            )


def _project_ports(loaded: LoadedSpec, engine: Engine | None) -> list[tuple[_Binding, str]]:
    """Each host binding of the project's containers (port, protocol, address) and which container holds it."""
    if engine is None:
        return []

    out = []
    for container in engine.containers(L.project_filter(loaded.spec.project)):
        name = (container.get("Names") or ["/?"])[0].lstrip("/")
        for port in container.get("Ports") or []:
            if port.get("PublicPort"):
                held = _Binding(
                    port=int(port["PublicPort"]),
                    protocol=str(port.get("Type") or "tcp"),
                    address=str(port.get("IP") or ""),
                )
                out.append((held, f"container {name}"))
    return out


def _listeners() -> list[Listener]:
    return tcp_listeners()


def _bindable(binding: _Binding) -> bool:
    """Whether a server could bind ``binding`` now (on loopback and every address when it names none)."""
    kind = socket.SOCK_STREAM if binding.protocol == "tcp" else socket.SOCK_DGRAM
    for address in [binding.address] if binding.address else ["127.0.0.1", "0.0.0.0"]:
        try:
            family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
        except ValueError:
            return False  # the spec's loader accepts IP addresses only
        try:
            sock = socket.socket(family, kind)
        except OSError:
            return False
        with sock:
            if kind == socket.SOCK_STREAM:
                # as every server (docker-proxy included) binds: a port whose last connections linger in
                # TIME_WAIT (a stack just taken down) is free for it, and must not read as held (UDP has
                # no TIME_WAIT; the option would let it share a port another socket holds)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((address, binding.port))
            except OSError:
                return False
    return True
