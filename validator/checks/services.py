"""Service results and metrics: from this run's ``up`` or, with ``--no-up``, from what is running."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from validator.core.result import Result, locate
from validator.engine.planner import PAST_TENSE
from validator.spec.load import LoadedSpec

if TYPE_CHECKING:
    from validator.engine.apply import UpResult
    from validator.engine.docker_api import Engine


def from_up(loaded: LoadedSpec, up: UpResult, engine: Engine) -> tuple[list[Result], dict[str, str]]:
    results, running = [], {}
    for name in up.plan.order:
        r = up.services.get(name)
        if r is None:
            continue
        where = locate(loaded, ("services", name))
        detail = engine.try_inspect(r.container) if r.container else None
        metrics = _metrics(name, r.timing, detail)
        if detail and (detail.get("State") or {}).get("Running"):
            running[name] = r.container or ""
        expected = "healthy" if loaded.spec.services[name].healthcheck else "running"
        actual = _state(detail) if detail else r.status
        verdict = "pass" if r.status == "ready" else ("skip" if r.status == "skipped" else "fail")
        done = PAST_TENSE.get(r.action, r.action) if r.action else "unchanged"
        message = done if r.status == "ready" else r.message
        results.append(Result("service", name, verdict, expected, actual, message, 0.0, where, metrics))  # type: ignore[arg-type]
    return results, running


def observed(loaded: LoadedSpec, engine: Engine) -> tuple[list[Result], dict[str, str]]:
    """``--no-up``: judge what is running now without changing it."""
    from validator.engine import compose_observe as C
    from validator.engine import labels as L
    from validator.engine import timings as T
    from validator.spec.profiles import active

    project = loaded.spec.project
    # A stack that `docker compose up` started from the same file is judged too (by Compose's labels);
    # validator's own container wins where both exist.
    by_service = {c["Labels"].get(C.SERVICE): c for c in reversed(engine.containers(C.compose_filter(project)))}
    by_service.update({c["Labels"].get(L.SERVICE): c for c in engine.containers(L.project_filter(project))})
    saved = T.load(loaded.base_dir, project)
    results, running = [], {}
    for name, svc in active(loaded.spec.services, loaded.environment).items():
        where = locate(loaded, ("services", name))
        summary = by_service.get(name)
        if summary is None:
            results.append(
                Result(
                    "service", name, "fail", "running", "no container", "run without --no-up to create it", 0.0, where
                )
            )
            continue
        detail = engine.inspect(summary["Id"])
        timing = T.known(saved, name, summary["Id"]) or T.from_inspect(detail)
        state = detail.get("State") or {}
        want_healthy = svc.healthcheck is not None and not svc.healthcheck.disabled
        ok = bool(state.get("Running")) and (not want_healthy or (state.get("Health") or {}).get("Status") == "healthy")
        if state.get("Running"):
            running[name] = summary["Id"]
        results.append(
            Result(
                "service",
                name,
                "pass" if ok else "fail",
                "healthy" if want_healthy else "running",
                _state(detail),
                "" if ok else "not ready",
                0.0,
                where,
                _metrics(name, timing, detail),
            )
        )
    return results, running


def _state(detail: dict[str, Any]) -> str:
    state = detail.get("State") or {}
    health = (state.get("Health") or {}).get("Status")
    return f"{state.get('Status', '?')}" + (f", {health}" if health else "")


def _metrics(name: str, timing: Any, detail: dict[str, Any] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    if timing is not None:
        if timing.startup is not None:
            out[f"service.{name}.startup"] = float(timing.startup)
        if timing.healthy is not None:
            out[f"service.{name}.healthy"] = float(timing.healthy)
    if detail:
        host = detail.get("HostConfig") or {}
        out[f"service.{name}.restarts"] = float(detail.get("RestartCount") or 0)
        if host.get("Memory"):
            out[f"service.{name}.memory_limit"] = float(host["Memory"])
        if host.get("NanoCpus"):
            out[f"service.{name}.cpus"] = host["NanoCpus"] / 1e9
    return out
