"""Memory limits advised from history (``validator report --limits``): per service, the memory peaks
of the last runs (median and worst) against its declared limit, and a suggested limit.

The rule (and why): the suggestion is the worst peak times 1.25 — a quarter of headroom over the
most it was seen to use, as a JVM's or a database's use varies with its data between runs — but
never below the median times 1.5, so one quiet run does not talk it down; rounded up to a size
people write (a multiple of 16 MiB below 256 MiB, 64 MiB below 1 GiB, 128 MiB below 4 GiB, 512 MiB
above). A service OOM-killed in one of the runs reached its limit (its peak counts as the limit),
so the suggestion is at least a quarter above the limit it was killed under: measure again after
raising it. Flagged first: a service OOM-killed in any run, then one whose worst peak came within
20% of its limit (``CLOSE``).

A run whose peak is only a lower bound (the service was not observed for the whole run) still
counts: the service used at least that much; but it is not the peak, so under a limit it is no
all-clear. ``report --limits`` says "no limit was reached or came close" (exit 0) only when every
service that runs by design was measured, exactly, in every run read; else it names what was not.

The advice knows only what was used, not what a
service is told it may use (a JVM's ``-Xmx``, Spark's executor memory): a limit below that is a
kill waiting for the first run that needs it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from validator.core.metrics import metric_name
from validator.core.run import RunResult
from validator.units import format_size

MIB = 1024 * 1024
GIB = 1024 * MIB
HEADROOM = 1.25  # over the worst peak
MEDIAN_FLOOR = 1.5  # never below the median peak times this
CLOSE = 0.8  # a worst peak at or above this share of the limit is flagged
STEPS = ((256 * MIB, 16 * MIB), (GIB, 64 * MIB), (4 * GIB, 128 * MIB))
LARGE_STEP = 512 * MIB


@dataclass(frozen=True, kw_only=True)
class Advice:
    service: str
    runs: int  # runs with a memory peak for it
    partial: int  # of those, runs whose peak is only a lower bound
    oom_unknown: int = 0  # of those, runs whose OOM kills were not counted exactly
    median: float  # bytes
    worst: float
    limit: float | None  # the newest run's memory limit (bytes); None: no limit
    oom_runs: int  # runs in which the engine OOM-killed one of its containers
    cpu_worst: float | None  # cores
    cpus: float | None  # the newest run's CPU limit
    suggested: int  # bytes

    @property
    def ratio(self) -> float | None:
        return self.worst / self.limit if self.limit else None

    @property
    def flag(self) -> str:
        """``OOM``, ``CLOSE`` or ""."""
        if self.oom_runs:
            return "OOM"
        ratio = self.ratio
        return "CLOSE" if ratio is not None and ratio >= CLOSE else ""

    @property
    def unsure(self) -> bool:
        """Not flagged, yet not shown clear either: a lower-bound peak under a limit may be the real peak
        or far below it, and an OOM kill not counted may have happened. (A lower bound at or above
        ``CLOSE`` of the limit is a flag all the same: the real peak is at least that.)"""
        return not self.flag and ((self.partial > 0 and self.limit is not None) or self.oom_unknown > 0)


def round_up(size: float) -> int:
    """Up to a size people write: 16 MiB steps below 256 MiB, 64 below 1 GiB, 128 below 4 GiB, else 512."""
    step = next((step for below, step in STEPS if size <= below), LARGE_STEP)
    return max(step, math.ceil(size / step) * step)


def suggest(peaks: list[float], limit: float | None, oom: bool) -> int:
    worst = max(peaks)
    if oom and limit:
        worst = max(worst, limit)
    return round_up(max(worst * HEADROOM, statistics.median(peaks) * MEDIAN_FLOOR))


def compose_size(size: int) -> str:
    """``2560m``, ``2g``: as ``mem_limit`` takes it."""
    return f"{size // GIB}g" if size % GIB == 0 else f"{math.ceil(size / MIB)}m"


def advise(runs: list[RunResult], services: list[str]) -> tuple[list[Advice], list[str]]:
    """Advice per service with a peak in ``runs`` (newest first), flagged ones first; and the
    services with none."""
    out, missing = [], []
    for name in services:
        peaks, partial, ooms, oom_unknown, cpu = [], 0, 0, 0, []
        for run in runs:
            evidence = run.evidence.get(metric_name("service", name, "memory_peak"))
            if evidence is None or evidence.low is None:
                continue
            peaks.append(evidence.low)
            partial += not evidence.is_exact
            kills = run.evidence.get(metric_name("service", name, "oom_kills"))
            ooms += bool(kills is not None and kills.low)
            oom_unknown += kills is None or not kills.is_exact
            used = run.evidence.get(metric_name("service", name, "cpu_peak"))
            if used is not None and used.low is not None:
                cpu.append(used.low)
        if not peaks:
            missing.append(name)
            continue
        newest = next(r for r in runs if metric_name("service", name, "memory_peak") in r.evidence)
        limit = newest.metrics.get(metric_name("service", name, "memory_limit"))
        out.append(
            Advice(
                service=name,
                runs=len(peaks),
                partial=partial,
                median=statistics.median(peaks),
                worst=max(max(peaks), limit) if ooms and limit else max(peaks),
                limit=limit,
                oom_runs=ooms,
                oom_unknown=oom_unknown,
                cpu_worst=max(cpu) if cpu else None,
                cpus=newest.metrics.get(metric_name("service", name, "cpus")),
                suggested=suggest(peaks, limit, bool(ooms)),
            )
        )
    order = {"OOM": 0, "CLOSE": 1, "": 2}
    out.sort(key=lambda a: (order[a.flag], -(a.ratio or 0.0), a.service))
    return out, missing


def render(advice: list[Advice], missing: list[str], count: int) -> str:
    lines = [
        f"memory limits from the last {count} run(s): peaks as `docker stats` counts memory; suggested = worst x "
        f"{HEADROOM:g}, at least median x {MEDIAN_FLOOR:g}, rounded up",
        f"  {'':5} {'service':18} {'limit':>9} {'median':>9} {'worst':>9} {'of limit':>8} {'OOM':>5} "
        f"{'CPU worst':>12} {'suggested':>10} {'margin':>7}",
    ]
    for a in advice:
        cpu = "-" if a.cpu_worst is None else f"{a.cpu_worst:.2f}" + (f"/{a.cpus:g}" if a.cpus else "")
        lines.append(
            f"  {a.flag:5} {a.service:18} {_size(a.limit):>9} {_size(a.median):>9} {_size(a.worst):>9} "
            f"{'-' if a.ratio is None else f'{100 * a.ratio:.0f}%':>8} {f'{a.oom_runs}/{a.runs}':>5} {cpu:>12} "
            f"{compose_size(a.suggested):>10} {f'+{100 * (a.suggested / a.worst - 1):.0f}%':>7}"
        )
    for a in advice:
        lines += [f"  {line}" for line in _notes(a)]
    if missing:
        lines.append(f"  no memory sample in these runs: {', '.join(missing)}")
    flagged = sum(1 for a in advice if a.flag)
    unknown = unknowns(advice, missing)
    if flagged:
        lines.append(f"{flagged} limit(s) to look at")
    elif unknown:
        lines.append(f"no all-clear: not measured (or only lower bounds) in these runs: {', '.join(unknown)}")
    else:
        lines.append("no limit was reached or came close")
    return "\n".join(lines)


def unknowns(advice: list[Advice], missing: list[str]) -> list[str]:
    """The services the runs cannot vouch for: no sample at all, or only bounds under their limit. An
    all-clear needs every service measured: no evidence is not evidence of room."""
    return sorted([*missing, *(a.service for a in advice if a.unsure)])


def _notes(a: Advice) -> list[str]:
    limit = _size(a.limit)
    out = []
    if a.flag == "OOM":
        out.append(
            f"{a.service}: OOM-killed under {limit} in {a.oom_runs} of {a.runs} run(s): it needs more than that; "
            f"raise mem_limit to {compose_size(a.suggested)} (or lower what it is told to use) and measure again"
        )
    elif a.flag == "CLOSE":
        out.append(
            f"{a.service}: its worst peak came within {100 * (1 - (a.ratio or 0)):.0f}% of its {limit} limit: "
            f"raise mem_limit to {compose_size(a.suggested)} or lower what it is told to use"
        )
    elif a.limit and a.limit >= 2 * a.suggested:
        out.append(
            f"{a.service}: its peaks used under half its {limit} limit: {compose_size(a.suggested)} would cover them "
            "(mind what it is told it may use, such as a JVM's heap)"
        )
    if a.partial:
        out.append(f"{a.service}: not observed for the whole of {a.partial} run(s): those peaks are lower bounds")
    if a.oom_unknown and not a.oom_runs:
        out.append(f"{a.service}: its OOM kills were not counted in {a.oom_unknown} run(s)")
    return out


def _size(value: float | None) -> str:
    return "-" if value is None else format_size(value).replace(" ", "")
