"""``validator up``: make Docker match the spec, wait until every service is ready, print timings.

Exit 0 when every service is ready, 1 when one failed, 2 bad spec, 3 no engine, 130/143 interrupted.
"""

from __future__ import annotations

import argparse

from validator.cli_common import add_engine_option, add_output_options, add_spec_option, eprint, line_progress
from validator.errors import EXIT_FAILED, EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_option(parser)
    add_engine_option(parser)
    add_output_options(parser)
    parser.add_argument(
        "--remove-orphans", action="store_true", help="remove containers of services no longer in the spec"
    )
    parser.add_argument("--force-recreate", action="store_true", help="recreate every container")
    parser.add_argument("--build", action="store_true", help="rebuild images of services with 'build'")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="overall bound (default: settings.up_timeout)")


def run(args: argparse.Namespace) -> int:
    from validator.engine.desired import require_applicable
    from validator.engine.docker_api import Engine
    from validator.engine.reconcile import up
    from validator.spec.load import load_spec

    loaded = load_spec(args.files)
    require_applicable(loaded)  # fields plan/up do not apply yet are located errors before Docker is asked
    for warning in loaded.warnings:
        eprint(warning)
    engine = Engine.connect(args.host)
    result = up(
        loaded,
        engine,
        progress=line_progress(args.quiet),
        remove_orphans=args.remove_orphans,
        force_recreate=args.force_recreate,
        build=args.build,
        timeout=args.timeout,
        lock_wait=args.lock_timeout,
        say=eprint,
    )
    print(render_summary(result))
    return EXIT_OK if result.ok else EXIT_FAILED


def render_summary(result: object) -> str:
    from validator.engine.apply import UpResult

    assert isinstance(result, UpResult)
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
