"""``validator up`` once its look-ahead runs (commands/up.py): the spec read and validated, the
backend's ``up``, the summary and, under ``-v``, where the time went.

A module of its own so that ``commands/up.py`` can start the look-ahead's inspects before this one's
imports (the backends, the applier, the spec's model: most of ``up``'s start-up) are made.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from validator import STARTED, redact
from validator.backends.registry import backend
from validator.cli_common import eprint, line_progress
from validator.engine.ahead import LookAhead
from validator.engine.apply import UpResult
from validator.engine.docker_api import Connecting
from validator.engine.unsupported import require_applicable
from validator.errors import EXIT_FAILED, EXIT_OK
from validator.load import load_spec
from validator.spec.load import LoadedSpec


def run_up(args: argparse.Namespace, files: list[str], connecting: Connecting, ahead: LookAhead) -> int:
    """``up`` once the look-ahead has started: the spec read, up, the summary printed; the exit code."""
    loaded = load_spec(files)
    chosen = backend(loaded, args.orchestrator, warn=eprint)
    # fields plain containers do not apply yet are located errors before Docker is asked (the Swarm
    # backend's own refusals came from ``backend``)
    require_applicable(loaded, refuse_unsupported=chosen.refuses_compose_fields)
    for warning in loaded.warnings:
        eprint(warning)
    spec_loaded = time.perf_counter()
    engine = connecting.engine()
    connected = time.perf_counter()
    result = chosen.up(
        loaded,
        engine,
        progress=line_progress(args.quiet),
        remove_orphans=args.remove_orphans,
        force_recreate=args.force_recreate,
        build=args.build,
        timeout=args.timeout,
        lock_wait=args.lock_timeout,
        say=eprint,
        ahead=ahead,
    )
    print(render_summary(result))
    if isinstance(result, UpResult):  # the Swarm backend's result has no graph of steps
        for line in result.unfinished():
            eprint(f"not done: {line}")
    if args.verbose:
        print(render_start(spec_loaded, connected))
        print(render_phases(result, loaded))
        if isinstance(result, UpResult) and result.steps:
            print(render_steps(result))
    return EXIT_OK if result.ok else EXIT_FAILED


def render_summary(result: Any) -> str:
    """The table of services; ``result`` is either backend's up result (same attribute names)."""
    rows = [("service", "status", "action", "startup", "healthy")]
    for name in result.plan.order:
        r = result.services.get(name)
        if r is None:
            continue
        timing = r.timing
        rows.append(
            (
                name,
                r.status,
                r.action or "-",
                f"{timing.startup:.2f}s" if timing and timing.startup is not None else "-",
                f"{timing.healthy:.2f}s" if timing and timing.healthy is not None else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    changed = sum(1 for r in result.services.values() if r.action)
    lines.append(
        f"{'all services ready' if result.ok else 'NOT READY'} in {result.duration:.2f}s "
        f"({changed} changed, {len(result.services) - changed} unchanged)"
    )
    for r in result.services.values():
        if r.status != "ready":
            lines.append(f"{r.name}: {r.status}: {r.message}")
    return "\n".join(lines)


def render_start(spec_loaded: float, connected: float) -> str:
    """Under ``-v``: validator's own start-up before its first change, which the engine floor has not."""

    return (
        f"start-up (seconds): imports and the spec {spec_loaded - STARTED:.3f}, "
        f"engine connection {connected - spec_loaded:.3f}"
    )


def render_phases(result: object, loaded: object) -> str:
    """Under ``-v``: where each changed service's time went, to compare with the floor (the engine's
    own create and start, then its first health probe one ``interval`` after start on API < 1.44).
    The gap between the start call returning and the ``start`` event is what waiting costs us."""

    assert isinstance(result, UpResult) and isinstance(loaded, LoadedSpec)
    lines = ["phases (seconds): create call, start call, start event after the call, running -> healthy"]
    for name in result.plan.order:
        r = result.services.get(name)
        timing = r.timing if r is not None and r.action else None
        if timing is None:
            continue
        calls = (timing.create or 0.0) + (timing.start or 0.0)
        parts = [
            f"create {timing.create:.3f}" if timing.create is not None else "create -",
            f"start {timing.start:.3f}" if timing.start is not None else "start -",
            f"event +{timing.startup - calls:.3f}" if timing.startup is not None else "event -",
        ]
        if timing.healthy is not None:
            health = loaded.spec.services[name].healthcheck
            interval = f" (health interval {health.interval:g})" if health and health.interval else ""
            parts.append(f"healthy +{timing.healthy:.3f}{interval}")
        lines.append(f"  {name}: " + ", ".join(parts))
    return "\n".join(lines)


def render_steps(result: UpResult) -> str:
    """Under ``-v``: each step of the graph up walked (engine/graph.py), when it began and ended,
    seconds from the first step's start; a step not run says why."""
    began = [r.started for r in result.steps.values() if r.started is not None]
    origin = min(began) if began else 0.0
    lines = ["steps (seconds from the first): start, end, step"]
    for key, r in sorted(result.steps.items(), key=lambda item: (item[1].started is None, item[1].started or 0.0)):
        if r.started is None or r.ended is None:
            why = redact.text(r.error.splitlines()[0]) if r.error else ""
            lines.append(f"  {'-':>7} {'-':>7}  {key}: {r.status} ({why})")
        else:
            status = "" if r.status == "done" else f": {r.status}"
            lines.append(f"  {r.started - origin:7.3f} {r.ended - origin:7.3f}  {key}{status}")
    return "\n".join(lines)
