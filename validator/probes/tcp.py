"""``tcp``: a TCP connection from the host succeeds."""

import time

from validator.probes.base import Outcome, ProbeContext
from validator.spec.probes.tcp import TcpSpec


def run(spec: TcpSpec, ctx: ProbeContext) -> Outcome:
    started = time.monotonic()
    timeout = max(0.1, min(spec.timeout, ctx.remaining()))
    try:
        ctx.tcp.connect(spec.host, spec.port, timeout)
    except OSError as exc:
        return Outcome(
            passed=False, expected=f"connect to {spec.host}:{spec.port}", actual=f"{type(exc).__name__}: {exc}"
        )
    elapsed = time.monotonic() - started
    return Outcome(
        passed=True,
        expected=f"connect to {spec.host}:{spec.port}",
        actual=f"connected in {elapsed * 1000:.1f} ms",
        metrics={"duration": elapsed},
    )
