"""``tcp``: a TCP connection from the host succeeds, and the peer keeps it (see ``HOLD``)."""

import socket
import time
from typing import Literal

from validator.probes.base import Outcome, ProbeContext, ProbeSpec
from validator.spec.types import PortNumber


class Spec(ProbeSpec):
    kind: Literal["tcp"]
    host: str = "127.0.0.1"
    port: PortNumber


# How long the peer must keep an accepted connection open (or say something first). A published port
# is accepted by the engine's userland proxy (docker-proxy) whatever listens in the container; the
# proxy then dials the container and, when nothing listens there, closes the connection within
# milliseconds. A connect alone would count the proxy as the service.
HOLD = 0.5


def run(spec: Spec, ctx: ProbeContext) -> Outcome:
    started = time.monotonic()
    timeout = max(0.1, min(spec.timeout, ctx.remaining()))
    what = f"connect to {spec.host}:{spec.port}"
    try:
        with socket.create_connection((spec.host, spec.port), timeout=timeout) as sock:
            elapsed = time.monotonic() - started
            dropped = _dropped(sock, max(0.05, min(HOLD, ctx.remaining())))
    except OSError as exc:
        return Outcome(False, what, f"{type(exc).__name__}: {exc}", reached=False)
    if dropped:
        return Outcome(
            False,
            what,
            f"accepted, then {dropped} at once",
            "nothing answers behind it: a published port is accepted by the engine's proxy even when "
            "nothing listens in the container",
            reached=False,
        )
    return Outcome(
        True,
        f"connect to {spec.host}:{spec.port}",
        f"connected in {elapsed * 1000:.1f} ms",
        metrics={"duration": elapsed},
    )


def _dropped(sock: socket.socket, hold: float) -> str:
    """How the peer dropped the accepted connection within ``hold`` seconds ("" when it kept it open
    or sent a first byte: a server waiting for a request, or greeting its client, as MySQL does)."""
    sock.settimeout(hold)
    try:
        first = sock.recv(1)
    except TimeoutError:
        return ""
    except ConnectionResetError:
        return "reset"
    return "" if first else "closed"
