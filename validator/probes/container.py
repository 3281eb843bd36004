"""``container``: the service's container is running (and healthy), restarts are bounded, and the
memory and CPU limits Docker enforces are those the spec asks for — all read from the host."""

from collections.abc import Callable

from validator.core.metrics import Declared
from validator.probes.base import Outcome, ProbeContext, ProbeSkip
from validator.spec.probes.container import ContainerSpec
from validator.units import format_size

METRICS = (Declared(field="restarts", dimension="", meaning="times Docker restarted the service's container"),)


def run(spec: ContainerSpec, ctx: ProbeContext) -> Outcome:
    service = ctx.spec.services[spec.service]
    container = ctx.running.get(spec.service)
    if container is None:
        raise ProbeSkip(f"service {spec.service} is not running")
    info = ctx.engine().inspect(container)
    state, host = info["State"], info["HostConfig"]
    expected: list[str] = ["running"]
    actual: list[str] = [state.get("Status", "?")]
    problems: list[str] = []
    if state.get("Status") != "running":
        problems.append(f"status {state.get('Status')}")
    want_healthy = (
        spec.healthy
        if spec.healthy is not None
        else (service.healthcheck is not None and not service.healthcheck.disabled)
    )
    health = (state.get("Health") or {}).get("Status")
    if want_healthy:
        expected.append("healthy")
        actual.append(health or "no healthcheck")
        if health != "healthy":
            problems.append(f"health {health or 'none'}")
    restarts = int(info.get("RestartCount", 0))
    if spec.max_restarts is not None:
        expected.append(f"restarts <= {spec.max_restarts}")
        actual.append(f"restarts {restarts}")
        if restarts > spec.max_restarts:
            problems.append(f"{restarts} restarts")
    if spec.limits:
        pairs: list[tuple[str, float | None, float | None, Callable[[float], str]]] = [
            ("memory", service.memory_limit, host.get("Memory") or None, format_size),
            ("cpus", service.cpu_limit, (host.get("NanoCpus") or 0) / 1e9 or None, lambda v: f"{v:g}"),
            ("pids", service.pids, host.get("PidsLimit") or None, lambda v: f"{v:.0f}"),
        ]
        for name, want, have, fmt in pairs:
            if want is None:
                continue
            expected.append(f"{name} {fmt(want)}")
            actual.append(f"{name} {fmt(have) if have else 'unlimited'}")
            if have is None or abs(float(have) - float(want)) > 1e-6 * max(1.0, float(want)):
                problems.append(f"{name} limit {fmt(have) if have else 'unlimited'}, spec says {fmt(want)}")
    metrics = {"restarts": float(restarts)}
    return Outcome(
        passed=not problems,
        expected=", ".join(expected),
        actual=", ".join(actual),
        message="; ".join(problems),
        metrics=metrics,
    )
