"""Service results and metrics: from this run's ``up`` or, with ``--no-up``, from what is running.

A service that did not become ready has no ``healthy`` time (nor ``startup`` when it never ran):
those are unavailable with the reason, so ``service.*.healthy < 30s`` is an error, not a pass over
the services that did.

A scaled service (``scale``/``deploy.replicas``) is one result with the same metrics: ready only when
every replica is, its times the slowest replica's, its restarts all of theirs; a replica that is
missing or not ready fails the service by its container's name."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from validator.checks.service_metrics import METRICS, health_checked
from validator.checks.settle import settled, unsettled
from validator.checks.watched import one_shot
from validator.core.metrics import MetricKey, metric_name
from validator.core.result import Result, locate
from validator.engine import compose_observe as C
from validator.engine import labels as L
from validator.engine import timings as T
from validator.engine.compose_labels import service_container
from validator.engine.observed import replica_number
from validator.engine.planner import PAST_TENSE
from validator.engine.readiness import runs_health_check
from validator.engine.timings import ran_for
from validator.engine.watch import host_limits, is_up
from validator.spec.load import LoadedSpec
from validator.spec.profiles import active

if TYPE_CHECKING:
    from validator.engine.apply import UpResult
    from validator.engine.docker_api import Engine


def not_reconciled(loaded: LoadedSpec, error: Exception) -> Result:
    """The one result of an ``up`` the engine refused (either orchestrator): the services are then
    judged as they are."""
    return Result(
        kind="service",
        name="reconcile",
        verdict="fail",
        expected="services up",
        actual="not reconciled",
        message=str(error),
        location=locate(loaded, ("services",)),
    )


def from_up(loaded: LoadedSpec, up: UpResult, engine: Engine) -> tuple[list[Result], dict[str, str]]:
    results, running = [], {}
    jobs = one_shot(loaded)
    for name in up.plan.order:
        r = up.services.get(name)
        if r is None:
            continue
        where = locate(loaded, ("services", name))
        ids = r.containers or ((r.container,) if r.container else ())
        details = [d for d in (engine.try_inspect(cid) for cid in ids) if d]
        detail = details[0] if details else None
        metrics = _metrics(name, r.timing, details)
        if detail and is_up(detail.get("State") or {}):
            running[name] = r.container or ""
        svc = loaded.spec.services[name]
        if svc.replicas == 0:
            results.append(_no_container(name, where, r.status == "ready" and not details, r.message))
            continue
        expected = "healthy" if svc.healthcheck else "running"
        actual = _states(details) if details else r.status
        verdict = "pass" if r.status == "ready" else ("skip" if r.status == "skipped" else "fail")
        done = PAST_TENSE.get(r.action, r.action) if r.action else "unchanged"
        message = done if r.status == "ready" else r.message
        if r.status == "ready" and details and all(_completed(d) for d in details) and name in jobs:
            expected, actual = "running or completed", "completed"
            took = _duration(details)
            message = f"{done}, completed" + (f" in {took:.2f}s" if took is not None else "")
        elif r.status == "ready" and details and expected == "running" and not any(_running(d) for d in details):
            # judged when it started (nothing waits for it to finish, engine/waiter.py): the verdict
            # stays that one, whatever the timing of this inspect; what it did since is said
            expected = "started"
            message = f"{done}; judged at its start (nothing waits for it to finish), it has since stopped"
        unavailable = (
            _unknown_times(name, svc, metrics)
            if r.status == "ready"
            else _missing(name, svc, metrics, f"did not become {expected}: {message}")
        )
        results.append(
            Result(
                kind="service",
                name=name,
                verdict=verdict,  # type: ignore[arg-type]
                expected=expected,
                actual=actual,
                message=message,
                location=where,
                metrics=metrics,
                unavailable=unavailable,
            )
        )
    undone = "; ".join(up.unfinished())
    if undone and all(r.status == "ready" for r in up.services.values()):
        # every service ready, yet a step of up's graph no service owns did not finish (a surplus
        # replica's or an orphan's stop past the time limit, an old container's failed pre_stop hook):
        # what runs is not what the spec says, and nothing else here would say so
        results.append(
            Result(
                kind="engine",
                name="up: every step done",
                verdict="fail",
                expected="every engine call of up done",
                actual=undone,
                message=f"up left steps undone: {undone}",
            )
        )
    return results, running


# measured by the Swarm backend alone: plain containers neither measure them nor call them unavailable
# (a criterion reading one on plain containers finds it missing, an error)
SWARM_ONLY = frozenset({"replicas_desired", "replicas_running", "replicas_healthy"})
# measured over the whole run by the usage sampler, which says itself when it has no value (a service
# that never became ready may still have been sampled: OOM-killed on its way up, say)
USAGE = frozenset({"memory_peak", "memory_peak_ratio", "cpu_peak", "oom_kills"})


def _declared(svc: Any) -> list[str]:
    return [
        d.field for d in METRICS.metrics if d.field not in SWARM_ONLY | USAGE and (d.applies is None or d.applies(svc))
    ]


def _unknown_times(name: str, svc: Any, metrics: dict[MetricKey, float]) -> dict[MetricKey, str]:
    """What a ready service declares but has no value for, said so rather than left out of a wildcard:
    times neither this run nor an earlier one measured on the container's current start (one started or
    restarted outside a measured run, whose engine record no longer reaches back to that start), a limit
    the spec sets that Docker does not report."""
    out = {}
    for field in _declared(svc):
        metric = metric_name("service", name, field)
        if metric in metrics:
            continue
        if field == "duration":
            # a ready service that runs on has no job duration: most services with the default restart
            # policy are servers, and listing each as unavailable would fill every report; a criterion
            # reading it finds it not measured (an error), as the wildcard rules want
            continue
        if field in ("startup", "healthy"):
            out[metric] = (
                f"service {name} is ready but its {field} time is unknown: its container's current start was "
                "not measured (started or restarted outside a measured run, and the engine's record does not "
                "reach back to that start; recreate it with `validator up --force-recreate` to measure it)"
            )
        else:
            out[metric] = f"service {name} is ready but Docker reports no single {field} for its containers"
    return out


def _missing(name: str, svc: Any, metrics: dict[MetricKey, float], why: str) -> dict[MetricKey, str]:
    """What a service that is not ready cannot vouch for, each with the reason naming the service: its
    health time always (a time saved from an earlier healthy spell is not this run's evidence; it is
    taken out of ``metrics``), and whatever else it declares but has no value for."""
    reason = f"service {name} {why}".rstrip(": ")
    if health_checked(svc):
        metrics.pop(metric_name("service", name, "healthy"), None)
    return {
        metric: reason for metric in (metric_name("service", name, f) for f in _declared(svc)) if metric not in metrics
    }


def observed(loaded: LoadedSpec, engine: Engine) -> tuple[list[Result], dict[str, str]]:
    """``--no-up``: judge what is running now without changing it."""

    project = loaded.spec.project
    # A stack that `docker compose up` started from the same file is judged too (by Compose's labels);
    # validator's own containers win where both exist.
    by_service: dict[str, list[dict[str, Any]]] = {}
    for summary in engine.containers(C.compose_filter(project)):
        # validator writes Compose's labels too: its own come below; a `docker compose run` one-off never
        # stands for its service (the plan's drift fails it while it runs)
        if L.PROJECT not in summary["Labels"] and service_container(summary["Labels"]):
            by_service.setdefault(summary["Labels"].get(C.SERVICE), []).append(summary)
    ours: dict[str, list[dict[str, Any]]] = {}
    for summary in engine.containers(L.project_filter(project)):
        ours.setdefault(summary["Labels"].get(L.SERVICE), []).append(summary)
    by_service.update(ours)
    saved = T.load(loaded.base_dir, project)
    services = active(loaded.spec.services, loaded.environment)
    ids = [c["Id"] for name, svc in services.items() if svc.replicas for c in by_service.get(name, [])]
    looked = settled({cid: engine.inspect(cid) for cid in ids}, engine.inspect)
    results, running = [], {}
    jobs = one_shot(loaded)
    for name, svc in services.items():
        where = locate(loaded, ("services", name))
        summaries = sorted(by_service.get(name, []), key=lambda c: (_replica(c), (c.get("Names") or [""])[0]))
        if svc.replicas == 0:
            names = ", ".join((c.get("Names") or ["/?"])[0].lstrip("/") for c in summaries)
            results.append(_no_container(name, where, not summaries, f"{names} still run it" if summaries else ""))
            continue
        if not summaries:
            results.append(
                Result(
                    kind="service",
                    name=name,
                    verdict="fail",
                    expected="running",
                    actual="no container",
                    message="run without --no-up to create it",
                    location=where,
                    unavailable=_missing(name, svc, {}, "has no container"),
                )
            )
            continue
        ids = [summary["Id"] for summary in summaries]
        details = [looked[cid] for cid in ids]
        inspected = dict(zip(ids, details, strict=True))
        timing = T.of_service(saved, name, ids, inspected.__getitem__)
        want_healthy = svc.healthcheck is not None and not svc.healthcheck.disabled
        job = name in jobs
        unready = [_name(detail) for detail in details if not _ready(detail, want_healthy, job)]
        problem = _replica_problem(svc.replicas, len(details), unready)
        up_now = [cid for cid, d in zip(ids, details, strict=True) if is_up(d.get("State") or {})]
        if up_now:
            running[name] = up_now[0]
        metrics = _metrics(name, timing, details)
        state = _states(details)
        single = svc.replicas == 1 and len(details) == 1  # said as before scale existed
        unavailable = (
            _unknown_times(name, svc, metrics)
            if not problem
            else _missing(name, svc, metrics, f"is not ready ({state if single else problem})")
        )
        results.append(
            Result(
                kind="service",
                name=name,
                verdict="fail" if problem else "pass",
                expected="healthy" if want_healthy else "running",
                actual=state,
                message=("not ready" if single else problem) if problem else "",
                location=where,
                metrics=metrics,
                unavailable=unavailable,
            )
        )
    return results, running


def _no_container(name: str, where: Any, none: bool, why: str) -> Result:
    """A service with ``scale: 0``: it passes when no container runs it (what the engine lists now),
    and measures nothing (its metrics are not declared, so no wildcard expects them)."""
    return Result(
        kind="service",
        name=name,
        verdict="pass" if none else "fail",
        expected="no container (scale 0)",
        actual="no container" if none else "a container",
        message="" if none else why or "a container still runs it",
        location=where,
    )


def _replica(summary: dict[str, Any]) -> int:
    """The replica number a container's labels give (validator's or Compose's)."""

    labels = summary.get("Labels") or {}
    return replica_number(labels.get(L.REPLICA) or labels.get(C.NUMBER))


def _ready(detail: dict[str, Any], want_healthy: bool, job: bool = False) -> bool:
    """Running (and healthy when it has a check), or a one-shot job that completed (exit 0)."""
    state = detail.get("State") or {}
    if job and _completed(detail):
        return True
    if unsettled(detail):
        return False
    if want_healthy or runs_health_check(detail):
        # a health check the image declares counts too (as on up's path): not passed yet is not ready
        return is_up(state) and (state.get("Health") or {}).get("Status") == "healthy"
    return is_up(state)


def _running(detail: dict[str, Any]) -> bool:
    return is_up(detail.get("State") or {})


def _completed(detail: dict[str, Any]) -> bool:
    state = detail.get("State") or {}
    return state.get("Status") == "exited" and state.get("ExitCode") == 0


def _duration(details: list[dict[str, Any]]) -> float | None:
    """The longest run of the completed containers, by the engine's own clock; None if one is unknown."""

    spans = [ran_for(detail) for detail in details]
    known = [span for span in spans if span is not None]
    return max(known) if known and len(known) == len(spans) else None


def _name(detail: dict[str, Any]) -> str:
    return str(detail.get("Name") or detail.get("Id", "?")[:12]).lstrip("/")


def _replica_problem(wanted: int, found: int, unready: list[str]) -> str:
    """Why a service's containers do not make it ready ("" when they do): too few or too many
    replicas, and which containers are not ready, by name."""
    problems = []
    if found != wanted:
        problems.append(f"{found} container{'s' if found != 1 else ''} run it, the spec asks for {wanted}")
    if unready:
        problems.append("not ready: " + ", ".join(unready))
    return "; ".join(problems)


def _states(details: list[dict[str, Any]]) -> str:
    """One container's state (``running, healthy``); for several, how many are in each state."""
    if len(details) == 1:
        return _state(details[0])
    counts: dict[str, int] = {}
    for detail in details:
        counts[_state(detail)] = counts.get(_state(detail), 0) + 1
    return "; ".join(f"{count}/{len(details)} {state}" for state, count in sorted(counts.items()))


def _state(detail: dict[str, Any]) -> str:
    if why := unsettled(detail):
        return f"{_bare_state(detail)}, but {why}"
    return _bare_state(detail)


def _bare_state(detail: dict[str, Any]) -> str:
    state = detail.get("State") or {}
    health = (state.get("Health") or {}).get("Status")
    return f"{state.get('Status', '?')}" + (f", {health}" if health else "")


def _metrics(name: str, timing: Any, details: list[dict[str, Any]]) -> dict[MetricKey, float]:
    """The service's metrics: its (slowest replica's) times, every replica's restarts, the limits every
    replica has."""
    out: dict[MetricKey, float] = {}
    if timing is not None:
        if timing.startup is not None:
            out[metric_name("service", name, "startup")] = float(timing.startup)
        if timing.healthy is not None:
            out[metric_name("service", name, "healthy")] = float(timing.healthy)
    if details:
        out[metric_name("service", name, "restarts")] = float(sum(d.get("RestartCount") or 0 for d in details))
        took = _duration(details) if all(_completed(d) for d in details) else None
        if took is not None:
            out[metric_name("service", name, "duration")] = took
        # a limit is the service's only when every replica has it (v9b case 05: replica 1's limits were
        # reported for replicas ``docker update`` had lifted); replicas that differ give no value
        each = [host_limits(d.get("HostConfig") or {}) for d in details]
        for field, value in each[0].items():
            if all(limits.get(field) == value for limits in each):
                out[metric_name("service", name, field)] = value
    return out


def stopped(loaded: LoadedSpec, name: str, why: str) -> Result:
    """A service the run stopped before judging (interrupted, the engine lost): an error, and
    everything it declares unavailable for that reason."""
    svc = loaded.spec.services[name]
    return Result(
        kind="service",
        name=name,
        verdict="error",
        expected="healthy" if health_checked(svc) else "running",
        actual="not judged",
        message=f"not finished: {why}",
        location=locate(loaded, ("services", name)),
        unavailable=_missing(name, svc, {}, f"was not judged: {why}"),
    )


def lost(loaded: LoadedSpec, result: Result, why: str) -> Result:
    """A service judged before the engine stopped answering: what it showed then is no evidence of
    the run (nothing says it held until the verdict), so it is an error and its metrics unavailable."""
    reason = f"service {result.name}: {why}"
    earlier = f"{result.verdict.upper()} {result.actual}".strip()
    return replace(
        result,
        verdict="error",
        actual="engine lost",
        message=f"{why} (before that: {earlier})",
        metrics={},
        unavailable={name: reason for name in (*result.metrics, *result.unavailable)},
    )
