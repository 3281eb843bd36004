"""``tcp``: a TCP connection from the host succeeds."""

import socket
import time
from typing import Literal

from validator.probes.base import Outcome, ProbeContext, ProbeSpec
from validator.spec.types import PortNumber


class Spec(ProbeSpec):
    kind: Literal["tcp"]
    host: str = "127.0.0.1"
    port: PortNumber


def run(spec: Spec, ctx: ProbeContext) -> Outcome:
    started = time.monotonic()
    timeout = max(0.1, min(spec.timeout, ctx.remaining()))
    try:
        with socket.create_connection((spec.host, spec.port), timeout=timeout):
            pass
    except OSError as exc:
        return Outcome(False, f"connect to {spec.host}:{spec.port}", f"{type(exc).__name__}: {exc}")
    elapsed = time.monotonic() - started
    return Outcome(
        True,
        f"connect to {spec.host}:{spec.port}",
        f"connected in {elapsed * 1000:.1f} ms",
        metrics={"duration": elapsed},
    )
