"""``check``'s service stage on a Swarm manager: reconcile (or plan, or only look), then one
result per service with its replica metrics; an under-replicated service fails naming the
missing tasks and the engine's reasons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from validator.core.result import Result
from validator.engine.docker_api import Engine
from validator.errors import EngineError
from validator.spec.load import LoadedSpec
from validator.swarm import reconcile as R


def service_stage(
    loaded: LoadedSpec,
    engine: Engine,
    *,
    mode: str,
    remove_orphans: bool,
    timeout: float | None,
    say: Callable[[str, str], None],
    drift: Callable[[LoadedSpec, Any], list[Result]],
) -> tuple[list[Result], dict[str, str]]:
    """(results, running task container on this engine per service) for ``mode`` up, no-up or plan."""
    extra: list[Result] = []
    actions: dict[str, str | None] = {}
    messages: dict[str, str] = {}
    if mode in ("plan", "no-up"):  # --no-up judges drift too: what runs must be what the spec says
        planned = R.make_plan(loaded, engine, remove_orphans=remove_orphans)
        extra = drift(loaded, planned.plan)
    elif mode == "up":
        try:
            result = R.up(loaded, engine, progress=say, remove_orphans=remove_orphans, timeout=timeout, lock=False)
        except EngineError as exc:
            from validator.checks.services import not_reconciled

            extra = [not_reconciled(loaded, exc)]
        else:
            actions = {name: r.action for name, r in result.services.items()}
            messages = {name: r.message for name, r in result.services.items() if r.status != "ready"}
    views, ids = R.current_views(loaded, engine)
    results, running = R.service_results(loaded, engine, views, actions, messages, ids)
    return extra + results, running
