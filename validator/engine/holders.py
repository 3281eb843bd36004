"""Who holds a host port: a container that publishes it, else a process listening on it.

Asked only after the engine refused to start a container ("port is already allocated", "address
already in use"), whose message names the port but not the holder. The plan names a foreign
container holding a port before anything starts (observed.py); this covers what took the port
since, and host processes, which the engine knows nothing of.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from validator.engine import compose_observe as C
from validator.engine import labels as L
from validator.engine.listeners import tcp_listeners
from validator.redact import quoted
from validator.spec.ports import PortBinding

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine


def fixed_ports(port_texts: Iterable[str]) -> list[PortBinding]:
    """The bindings with one fixed host port, from a service's ``ports`` as the desired state keeps them."""
    return [b for b in map(PortBinding.parse, port_texts) if b.fixed_host_port is not None]


def port_holders(engine: Engine, bindings: Iterable[PortBinding], container: str) -> list[str]:
    """One line per fixed host port of ``bindings`` that something other than ``container`` holds."""
    wanted = {(b.fixed_host_port, b.protocol) for b in bindings if b.fixed_host_port is not None}
    if not wanted:
        return []
    held: dict[tuple[int, str], str] = {}
    for summary in engine.containers({"status": ["running", "restarting", "paused"]}):
        if summary.get("Id") == container:
            continue
        for port in summary.get("Ports") or []:
            key = (int(port.get("PublicPort") or 0), str(port.get("Type") or "tcp"))
            if key in wanted:
                held.setdefault(key, _container(summary))
    processes = listeners()
    for number, protocol in wanted:
        if (number, protocol) not in held and protocol == "tcp" and number in processes:
            held[(number, protocol)] = processes[number]
    return [f"host port {number}/{protocol} is held by {who}" for (number, protocol), who in sorted(held.items())]


def _container(summary: dict[str, Any]) -> str:
    name = (summary.get("Names") or ["/?"])[0].lstrip("/")
    labels = summary.get("Labels") or {}
    project = labels.get(L.PROJECT) or labels.get(C.PROJECT)
    owner = f", project {quoted(project)})" if project else ")"
    return f"container {name} ({str(summary.get('Id', ''))[:12]}" + owner


def listeners() -> dict[int, str]:
    """TCP port -> the process listening on it (on any address), as far as this user may see."""
    out: dict[int, str] = {}
    for listener in tcp_listeners():
        out.setdefault(listener.port, listener.who)
    return out
