"""What each service's containers used during the run, judged from the usage sampler's observations
(``engine/stats.py``): ``service.NAME.memory_peak``, ``memory_peak_ratio``, ``cpu_peak`` and
``oom_kills`` (declared with the other service metrics in ``checks/services.py``), one ``usage``
result per service, and the series the HTML report draws.

The evidence rules are every metric's: a peak is a value only when each of the service's containers
was observed for the whole run; when one was not (followed late, a stream lost), the peak seen is a
lower bound and says why; when none was sampled while running, it is unavailable. OOM kills are
counted from the engine's events, exactly when those were followed from start to stop.

A service the engine killed for lack of memory during the run fails its ``usage`` result, naming the
container, the limit and when; otherwise the result passes and says the peaks.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from validator.checks.services import USAGE
from validator.core.metrics import Bounds, MetricKey, metric_name
from validator.core.result import Result, locate
from validator.core.run import UsageSeries
from validator.engine.stats import ContainerUsage, Usage
from validator.spec.load import LoadedSpec
from validator.spec.profiles import active
from validator.units import format_size


def _measured(loaded: LoadedSpec) -> dict[str, Any]:
    """The services the run measures: those running by design (profiles enabled, scale above 0)."""
    return {n: s for n, s in active(loaded.spec.services, loaded.environment).items() if s.replicas > 0}


def judge(loaded: LoadedSpec, usage: Usage) -> tuple[list[Result], list[UsageSeries]]:
    """One ``usage`` result per service that runs a container, and every container's series."""
    services = _measured(loaded)
    results = []
    for name, svc in services.items():
        mine = sorted((u for u in usage.containers.values() if u.service == name), key=lambda u: u.name)
        results.append(_judge(loaded, name, svc, mine, usage))
    series = [_series(u) for u in usage.containers.values() if u.service in services and u.series]
    return results, series


def not_sampled(loaded: LoadedSpec, why: str) -> dict[MetricKey, str]:
    """Every usage metric the run declares, unavailable for ``why`` (sampling off, Swarm, no engine)."""
    out = {}
    for name, svc in _measured(loaded).items():
        for field in _fields(svc):
            out[metric_name("service", name, field)] = f"service {name} was not sampled: {why}"
    return out


def _fields(svc: Any) -> list[str]:
    """The usage fields the service declares (a ratio only with a memory limit)."""
    return [f for f in sorted(USAGE) if f != "memory_peak_ratio" or svc.memory_limit is not None]


def _judge(loaded: LoadedSpec, name: str, svc: Any, mine: list[ContainerUsage], usage: Usage) -> Result:
    where = locate(loaded, ("services", name))
    fields = _fields(svc)
    if not mine:
        why = f"service {name}: none of its containers ran while the run was sampled"
        if usage.skipped:
            why += f" (more containers than the sampler follows: {', '.join(usage.skipped[:5])} not followed)"
        return Result(
            kind="usage",
            name=name,
            verdict="skip",
            expected="no OOM kill",
            actual="not sampled",
            message=why,
            location=where,
            unavailable={metric_name("service", name, f): why for f in fields},
        )
    metrics: dict[MetricKey, float] = {}
    bounds: dict[MetricKey, Bounds] = {}
    unavailable: dict[MetricKey, str] = {}
    gaps = [(u, u.unobserved(usage.stopped_at)) for u in mine]
    gaps = [(u, why) for u, why in gaps if why]
    limits = {u.id: u.memory_limit if u.inspected else svc.memory_limit for u in mine}
    peaks = {u.id: _memory_peak(u, limits[u.id]) for u in mine}
    _peak(name, "memory_peak", peaks, gaps, metrics, bounds, unavailable)
    _peak(name, "cpu_peak", {u.id: u.cpu_peak for u in mine}, gaps, metrics, bounds, unavailable)
    if "memory_peak_ratio" in fields:
        _ratio(name, mine, peaks, limits, gaps, metrics, bounds, unavailable)
    kills = sorted((at, u) for u in mine for at in u.oom_kills)
    oom = metric_name("service", name, "oom_kills")
    if usage.events_problem:
        bounds[oom] = Bounds(
            low=float(len(kills)), why=f"service {name}: OOM kills are at least {len(kills)}: {usage.events_problem}"
        )
    else:
        metrics[oom] = float(len(kills))
    return Result(
        kind="usage",
        name=name,
        verdict="fail" if kills else ("pass" if _sampled(mine) else "skip"),
        expected="no OOM kill",
        actual=f"OOM-killed {len(kills)} time{'s' if len(kills) != 1 else ''}" if kills else _peaks(mine),
        message=_killed(kills, limits) if kills else ("" if _sampled(mine) else _never(name, mine)),
        location=where,
        metrics=metrics,
        bounds=bounds,
        unavailable=unavailable,
    )


def _memory_peak(u: ContainerUsage, limit: float | None) -> float | None:
    """The most memory the container used: the highest sample, or its limit when the engine killed it
    for lack of memory (the kernel kills only once the cgroup's usage reached its limit; the samples,
    a second apart, rarely catch that instant)."""
    if u.oom_kills and limit:
        return max(u.memory_peak or 0.0, limit)
    return u.memory_peak


def _sampled(mine: list[ContainerUsage]) -> bool:
    return any(u.memory_peak is not None for u in mine)


def _never(name: str, mine: list[ContainerUsage]) -> str:
    reasons = sorted({u.problem or "no stats answer while it ran" for u in mine})
    return f"service {name} was never sampled while running: {'; '.join(reasons)}"


def _peak(
    name: str,
    field: str,
    peaks: Mapping[str, float | None],
    gaps: list[tuple[ContainerUsage, str]],
    metrics: dict[MetricKey, float],
    bounds: dict[MetricKey, Bounds],
    unavailable: dict[MetricKey, str],
) -> None:
    key = metric_name("service", name, field)
    seen = [p for p in peaks.values() if p is not None]
    if not seen:
        what = "memory" if field == "memory_peak" else "CPU (it takes two samples)"
        unavailable[key] = f"service {name}: no {what} sample while it ran" + (
            f" ({gaps[0][0].name}: {gaps[0][1]})" if gaps else ""
        )
    elif gaps:
        container, why = gaps[0]
        bounds[key] = Bounds(
            low=max(seen),
            why=f"service {name}: container {container.name} was not observed for the whole run ({why}), so its "
            f"{field} is only known to be at least what was seen",
        )
    else:
        metrics[key] = max(seen)


def _ratio(
    name: str,
    mine: list[ContainerUsage],
    peaks: Mapping[str, float | None],
    limits: Mapping[str, float | None],
    gaps: list[tuple[ContainerUsage, str]],
    metrics: dict[MetricKey, float],
    bounds: dict[MetricKey, Bounds],
    unavailable: dict[MetricKey, str],
) -> None:
    key = metric_name("service", name, "memory_peak_ratio")
    sampled = [u for u in mine if peaks[u.id] is not None]
    ratios = [(peaks[u.id] or 0.0) / limit for u in sampled if (limit := limits[u.id])]
    if not sampled:
        unavailable[key] = f"service {name}: no memory sample while it ran"
    elif not ratios:
        unavailable[key] = (
            f"service {name}: its containers run without a memory limit"
            if all(u.inspected for u in sampled)
            else f"service {name}: the engine did not say its containers' memory limit"
        )
    elif gaps or len(ratios) < len(sampled):
        why = (
            f"container {gaps[0][0].name} was not observed for the whole run ({gaps[0][1]})"
            if gaps
            else "the memory limit of some of its containers is unknown"
        )
        bounds[key] = Bounds(low=max(ratios), why=f"service {name}: {why}, so the ratio is at least what was seen")
    else:
        metrics[key] = max(ratios)


def _peaks(mine: list[ContainerUsage]) -> str:
    """``memory peak 41.2 MiB of 64 MiB (64%), CPU peak 0.23 cores``."""
    top = max((u for u in mine if u.memory_peak is not None), key=lambda u: u.memory_peak or 0.0, default=None)
    if top is None or top.memory_peak is None:
        return "not sampled"
    memory = f"memory peak {format_size(top.memory_peak)}"
    if top.memory_limit:
        memory += f" of {format_size(top.memory_limit)} ({100 * top.memory_peak / top.memory_limit:.0f}%)"
    cpu = max((u.cpu_peak for u in mine if u.cpu_peak is not None), default=None)
    return memory + (f", CPU peak {cpu:.2f} cores" if cpu is not None else "")


def _killed(kills: list[tuple[float, ContainerUsage]], limits: Mapping[str, float | None]) -> str:
    """``the engine killed it for lack of memory under its 64 MiB memory limit: web-1 at 12:01:02``."""
    named = sorted({format_size(limit) for _, u in kills if (limit := limits[u.id])})
    under = f" under its {', '.join(named)} memory limit" if named else ""
    when = ", ".join(f"{u.name} at {time.strftime('%H:%M:%S', time.localtime(at))}" for at, u in kills[:5])
    return f"the engine killed it for lack of memory{under}: {when}" + (" ..." if len(kills) > 5 else "")


def _series(u: ContainerUsage) -> UsageSeries:
    return UsageSeries(
        service=u.service,
        container=u.name,
        memory_limit=u.memory_limit,
        at=[s.at for s in u.series],
        memory=[s.memory for s in u.series],
        cpu=[s.cpu for s in u.series],
    )
