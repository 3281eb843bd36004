"""``tcp``: a TCP connection from the host succeeds, and the peer keeps it (see ``HOLD``)."""

from validator.probes.base import Outcome, ProbeContext
from validator.spec.probes.tcp import TcpSpec

# How long the peer must keep an accepted connection open (or say something first). A published port
# is accepted by the engine's userland proxy (docker-proxy) whatever listens in the container; the
# proxy then dials the container and, when nothing listens there, closes the connection within
# milliseconds. A connect alone would count the proxy as the service.
HOLD = 0.5


def run(spec: TcpSpec, ctx: ProbeContext) -> Outcome:
    timeout = max(0.1, min(spec.timeout, ctx.remaining()))
    what = f"connect to {spec.host}:{spec.port}"
    try:
        answer = ctx.tcp.connect(spec.host, spec.port, timeout, hold=max(0.05, min(HOLD, ctx.remaining())))
    except OSError as exc:
        return Outcome(passed=False, expected=what, actual=f"{type(exc).__name__}: {exc}", reached=False)
    if answer.dropped:
        return Outcome(
            passed=False,
            expected=what,
            actual=f"accepted, then {answer.dropped} at once",
            message="nothing answers behind it: a published port is accepted by the engine's proxy even when "
            "nothing listens in the container",
            reached=False,
        )
    return Outcome(
        passed=True,
        expected=what,
        actual=f"connected in {answer.seconds * 1000:.1f} ms",
        metrics={"duration": answer.seconds},
    )
