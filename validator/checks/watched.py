"""A service judged over the whole run, not only when ``up`` was over: what the engine reported
about its containers (``engine/watch.py``) from the moment it was ready — when ``up`` reported it
(for a container ``up`` kept as it found it: the watcher's start, before the observation the plan
relied on; run/pipeline.py), or when the run began under ``--no-up`` — until the last observation
after the probes and suites.

A container that died, was OOM-killed, restarted, turned unhealthy (whoever declared the health
check, the spec or the image) or was removed in that time fails its service, naming what and when;
so does one not running, or unhealthy, at the last observation. A one-shot job (a service another
waits for with ``service_completed_successfully``) may exit 0. With ``restart_grace``, one death or
unhealthy spell per container the container recovered from within the grace is tolerated (still
counted as a restart); a second is a crash loop. That one allowance is spent by every piece of
evidence of a spell, once: a restart by its policy the engine counted and the run did not see
(before it), a death or unhealthy spell ``up``'s wait forgave, one during the run (checks/grace.py).
At the last observation a container is up only when the engine says it runs and is neither
restarting (its restart back-off) nor paused, and a health check (the spec's or the image's) that
has not passed yet ("starting") is not health. ``restarts`` counts, per container, every death
followed by a start once it was ready, whoever caused it (a stop and start by hand too, v9b case 06),
plus the engine's RestartCount at the last observation beyond the restarts the run saw: the restarts
by its policy since it was last started by hand, so a kept container's crash loop that began before
the run counts. The limits (``memory_limit``, ``cpus``) are read again from every replica at the last
observation: one changed, or updated in place during the run, is no value (``limits_changed``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from validator.checks.grace import SPELLS, Grace, Spent
from validator.core.metrics import MetricKey, metric_name
from validator.core.result import Result
from validator.engine import compose_fields
from validator.engine import labels as L
from validator.engine.compose_labels import service_of
from validator.engine.watch import COMPOSE_PROJECT, ContainerWatch, Happening, is_up
from validator.errors import FatalError
from validator.spec.profiles import active

if TYPE_CHECKING:
    from validator.engine.watch import RunWatcher
    from validator.spec.load import LoadedSpec

SHOWN = 3  # events named per kind; the rest counted


@dataclass(frozen=True, kw_only=True)
class Watched:
    problems: list[str] = field(default_factory=list)  # "" when it held the whole run
    restarts: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def judge(
    containers: Iterable[ContainerWatch],
    *,
    since: float,
    run_started: float,
    completes: bool = False,
    grace: float | None = None,
    ready_each: Mapping[str, float] | None = None,
) -> Watched:
    """The service over the run: its containers' happenings from ``since`` on, and their state at
    the last observation. ``completes``: a one-shot job (exit 0 is its success). ``ready_each``: when
    ``up`` found each container (by ID) ready: a replica is watched from its own ready moment, not from
    the service's (its slowest replica's), so a replica that dies in between is seen."""
    problems: list[str] = []
    restarts = 0
    for watch in containers:
        # the restarts the evidence shows: the run's (every death followed by a start once it was ready,
        # whoever caused it) and those by its policy the engine counted and the run did not see (a kept
        # container's loop restarted before the run too: its earlier deaths are no less real)
        own = min(since, (ready_each or {}).get(watch.id, since))
        spent = Spent.of(watch, own, grace)
        restarts += spent.unseen + len(watch.restarts(own))
        found = _during(watch, own, run_started, completes, grace, spent) + _before(spent) + _at_last(watch, completes)
        if found:
            problems.append(f"{watch.name} " + "; ".join(found))
    return Watched(problems=problems, restarts=restarts)


def _during(
    watch: ContainerWatch, since: float, started: float, completes: bool, grace: float | None, spent: Spent
) -> list[str]:
    seen = watch.after(since)
    spared = Grace(later=watch.happenings, grace=grace, spent=spent)
    bad = [h for h in seen if h.action in ("die", "oom") or (h.action == "health_status" and h.health == "unhealthy")]
    kept = [h for h in bad if not (h.action == "die" and completes and h.exit_code == 0) and not spared.tolerates(h)]
    deaths = [h for h in kept if h.action == "die"]
    ooms = [h for h in kept if h.action == "oom"]
    unhealthy = [h for h in kept if h.action == "health_status"]
    restart_times = set(watch.restarts(since))
    restarted = [h for h in seen if h.action in ("start", "restart") and h.at in restart_times]
    removed = [h for h in seen if h.action == "destroy"]
    out = []
    if deaths:
        out.append("died " + _list(deaths, started, _exit))
    if ooms:
        out.append("was killed for lack of memory (OOM) " + _list(ooms, started))
    if restarted and grace is None:
        times = f"{len(restarted)} time{'s' if len(restarted) != 1 else ''}"
        out.append(f"was restarted {times} " + _list(restarted, started))
    if unhealthy:
        out.append("turned unhealthy " + _list(unhealthy, started))
    if removed:
        out.append("was removed " + _list(removed, started))
    if spared.refused and spent.total:
        out.append(f"came back within restart_grace, but its one spell per container was spent {spent.where()}")
    return out


def _before(spent: Spent) -> list[str]:
    """Spells before the watch beyond the allowance (one with ``restart_grace``, none without): the
    restarts by its policy the run did not see are evidence as a restart seen during it is."""
    if spent.total <= (SPELLS if spent.grace is not None else 0):
        return []
    if spent.grace is None:
        n = spent.unseen
        return [
            f"was restarted {n} time{'s' if n != 1 else ''} by its restart policy before the run "
            "(the engine's RestartCount): it died and came back"
        ]
    return [
        f"died or turned unhealthy and came back {spent.total} times {spent.where()}: restart_grace tolerates "
        f"{SPELLS} spell per container, a second is a crash loop"
    ]


def _at_last(watch: ContainerWatch, completes: bool) -> list[str]:
    if watch.last_at is None:
        return []
    if watch.gone:
        return ["no longer exists at the last observation"]
    state = watch.last or {}
    code = state.get("ExitCode")
    if state.get("Restarting"):
        return [f"is restarting at the last observation (the engine holds it in its restart back-off; exit {code})"]
    if state.get("Paused"):
        return ["is paused at the last observation"]
    if not is_up(state):
        if completes and code == 0:
            return []
        return [f"is not running at the last observation ({state.get('Status', '?')}, exit {code})"]
    health = (state.get("Health") or {}).get("Status")
    if health == "unhealthy":
        return ["is unhealthy at the last observation"]
    if health == "starting":
        # a health check (the spec's or the image's) that has not passed yet proves nothing either way
        return ["has not passed its health check at the last observation (starting): its health is not known"]
    return []


def _exit(h: Happening) -> str:
    return f" (exit {h.exit_code})" if h.exit_code is not None else ""


def _list(happenings: list[Happening], started: float, detail: Callable[[Happening], str] | None = None) -> str:
    def one(h: Happening) -> str:
        return f"at {when(h.seen_at, started)}{detail(h) if detail else ''}"

    shown = ", ".join(one(h) for h in happenings[:SHOWN])
    more = len(happenings) - SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def when(at: float, started: float) -> str:
    """``10:01:02 UTC (+12.3s)``: the moment, and how far into the run."""
    return time.strftime("%H:%M:%S UTC", time.gmtime(at)) + f" (+{max(0.0, at - started):.1f}s)"


def rejudge(
    loaded: LoadedSpec,
    watcher: RunWatcher,
    services: list[tuple[int, Result]],
    ready_at: dict[str, float],
    run_started: float,
    ready_each: Mapping[str, float] | None = None,
    copies_now: Callable[[str, str], list[str]] | None = None,
) -> list[tuple[int, Result]]:
    """The last observation, then each service result judged again over the run: (index, result) for
    those that change. A service that held keeps its verdict, its ``restarts`` now the run's count.
    ``copies_now``: how a container's copied files differ now (engine/copies.py): a copy the container's
    own process or a hand replaced since up read it back fails its service here."""
    current = _current(watcher)
    watcher.observe_last(cid for ids in current.values() for cid in ids)
    jobs = one_shot(loaded)
    out = []
    for index, result in services:
        svc = loaded.spec.services.get(result.name)
        if svc is None or svc.replicas == 0 or result.verdict not in ("pass", "fail"):
            continue
        since = ready_at.get(result.name, watcher.started_at)
        judged = _judged(watcher, result.name, current.get(result.name, []), since)
        watched = judge(
            judged,
            since=since,
            run_started=run_started,
            completes=result.name in jobs,
            grace=svc.restart_grace,
            ready_each=ready_each,
        )
        problems = watched.problems or ([] if judged else ["no container at the last observation"])
        if copies_now is not None:
            problems = problems + [why for cid in current.get(result.name, []) for why in copies_now(result.name, cid)]
        changed = limits_changed(result, judged, since)
        out.append((index, _amended(result, watched.restarts, problems, changed)))
    return out


def one_shot(loaded: LoadedSpec) -> frozenset[str]:
    """The services whose exit 0 is success: the jobs by ``compose_fields.jobs`` (another service of the
    enabled profiles waits for them with ``service_completed_successfully``), the planner's rule. A
    service nobody so waits for that exits 0 during the run is broken, whatever restart policy its
    file writes out: a server that stops cleanly exits 0 too."""
    services = active(loaded.spec.services, loaded.environment)
    return compose_fields.jobs(svc.depends_on for svc in services.values())


def _current(watcher: RunWatcher) -> dict[str, list[str]]:
    """The project's containers now, by service (validator's label, or Compose's for ``--no-up``)."""
    out: dict[str, list[str]] = {}
    try:
        listed = [
            *watcher.engine.containers(L.project_filter(watcher.project)),
            *watcher.engine.containers({"label": [f"{COMPOSE_PROJECT}={watcher.project}"]}),
        ]
    except FatalError:
        return out  # the engine went away: the watcher says so (lost)
    for summary in listed:
        labels = summary.get("Labels") or {}
        service = service_of(labels)  # a `docker compose run` one-off is no service's
        if service and summary["Id"] not in out.get(service, []):
            out.setdefault(service, []).append(summary["Id"])
    return out


def _judged(watcher: RunWatcher, service: str, ids: list[str], since: float) -> list[ContainerWatch]:
    """The service's containers now, and those removed since it was ready (their removal is news)."""
    now = [w for w in (watcher.watch_of(cid) for cid in ids) if w is not None]
    removed = [
        w
        for w in watcher.of_service(service)
        if w.id not in ids and any(h.action == "destroy" and h.seen_at >= since for h in w.happenings)
    ]
    return now + removed


# measured once the container ran, or read from its configuration (``limits_changed`` reads that again
# at the last observation): true whatever it did after
FACTS_AT_START = frozenset({"startup", "memory_limit", "cpus"})
LIMITS = ("memory_limit", "cpus")


def limits_changed(result: Result, watches: Iterable[ContainerWatch], since: float) -> dict[MetricKey, str]:
    """The service's limits that do not hold for the whole run, each with why: a limit ``up`` read is the
    service's only when every replica still has it at the last observation and none was changed in
    place (``docker update``) since it was ready, when what it ran under in between is not known
    (v9b case 05: limits lifted during the run passed on the values read when ``up`` was over)."""
    watches = list(watches)
    updated = [w.name for w in watches if any(h.action == "update" and h.seen_at >= since for h in w.happenings)]
    out: dict[MetricKey, str] = {}
    for limit in LIMITS:
        metric = metric_name("service", result.id, limit)
        was = result.metrics.get(metric)
        if was is None:
            continue
        now = {w.name: (w.limits or {}).get(limit) for w in watches if w.limits is not None}
        differ = sorted(name for name, value in now.items() if value != was)
        if differ:
            out[metric] = (
                f"service {result.name}'s {limit} was {was:.10g} when it was ready, "
                f"not at the last observation on {', '.join(differ)}"
            )
        elif updated:
            out[metric] = (
                f"service {result.name}'s configuration was changed in place during the run (docker update on "
                f"{', '.join(sorted(updated))}): its {limit} in between is not known"
            )
    return out


def _amended(result: Result, restarts: int, problems: list[str], changed: Mapping[MetricKey, str]) -> Result:
    restarts_metric = metric_name("service", result.id, "restarts")
    metrics: dict[MetricKey, float] = dict(result.metrics)
    unavailable: dict[MetricKey, str] = dict(result.unavailable)
    for name, why in changed.items():
        metrics.pop(name, None)
        unavailable[name] = why
    if restarts_metric in metrics or restarts_metric in unavailable:
        metrics[restarts_metric] = float(restarts)
        unavailable.pop(restarts_metric, None)
    if not problems:
        return replace(result, metrics=metrics, unavailable=unavailable)
    what = "during the run: " + "; ".join(problems)
    reason = f"service {result.name} did not hold for the whole run ({'; '.join(problems)})"
    # a service that failed its watch vouches for nothing it measured over the run, but what was fixed
    # before it could fail stays a fact: its start time and the limits the engine enforces; so is a
    # restart count above 0 (``restarts == 0`` fails on it); 0 from a service that died is no evidence
    for name in list(metrics):
        if name.field in FACTS_AT_START or (name == restarts_metric and restarts > 0):
            continue
        metrics.pop(name)
        unavailable[name] = reason
    return replace(
        result,
        verdict="fail",
        actual="did not hold" if result.verdict == "pass" else result.actual,  # a failed one keeps what it saw
        message=what if result.verdict == "pass" else f"{result.message}; {what}",
        metrics=metrics,
        unavailable=unavailable,
    )
