"""The TCP sockets listening on this machine and whose they are (psutil).

Apart from ``holders.py`` (which names the container or process holding a port after the engine
refused one) so that the probes' and preflight's peer checks can ask without loading the engine's
observation modules: ``lint`` loads the probe catalog, and with it whatever the probes import.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Listener:
    """A TCP socket listening on this machine: its address ("0.0.0.0" and "::" are every address of
    their family), port, and process (pid None when this user may not see whose it is)."""

    address: str
    port: int
    pid: int | None
    who: str


def tcp_listeners() -> list[Listener]:
    """Every listening TCP socket of this machine's network namespace, as far as this user may see (psutil)."""
    import psutil  # only on a failure path, and for ``check``'s preflight and probes

    try:
        connections = psutil.net_connections(kind="inet")
    except (psutil.AccessDenied, OSError):
        return []
    out = []
    for conn in connections:
        if conn.status != psutil.CONN_LISTEN or not conn.laddr:
            continue
        try:
            name = psutil.Process(conn.pid).name() if conn.pid else "an unknown process"
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            name = "an unknown process"
        who = f"{name} (pid {conn.pid})" if conn.pid else name
        out.append(Listener(address=str(conn.laddr.ip), port=int(conn.laddr.port), pid=conn.pid or None, who=who))
    return out
