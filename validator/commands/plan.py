"""``validator plan``: what ``up`` would do and why, field by field. Changes nothing.

Exit 0 when nothing would change, 1 when something would (a CI drift gate), 2 bad spec, 3 no engine.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from validator.backends.registry import DEFAULT, add_orchestrator_option, backend
from validator.cli_common import add_engine_option, add_spec_option, eprint
from validator.engine.docker_api import Connecting
from validator.engine.unsupported import require_applicable
from validator.errors import EXIT_FAILED, EXIT_OK
from validator.load import load_spec
from validator.redact import redactor, write_structured


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_option(parser)
    add_engine_option(parser)
    add_orchestrator_option(parser)
    parser.add_argument("--remove-orphans", action="store_true", help="plan removal of containers of removed services")
    parser.add_argument("--force-recreate", action="store_true", help="plan to recreate every container")
    parser.add_argument("--build", action="store_true", help="plan to rebuild images of services with 'build'")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    connecting = Connecting(args.host)  # while the spec is read (engine/docker_api.py)
    loaded = load_spec(args.files)
    chosen = backend(loaded, args.orchestrator, warn=eprint)
    # fields plain containers do not apply yet are located errors before Docker is asked (the Swarm
    # backend's own refusals came from ``backend``)
    require_applicable(loaded, refuse_unsupported=chosen.refuses_compose_fields)
    engine = connecting.engine()
    planned = chosen.make_plan(
        loaded, engine, remove_orphans=args.remove_orphans, force_recreate=args.force_recreate, build=args.build
    )
    plan = planned.plan
    if args.format == "json":
        write_structured(
            json.dumps(
                redactor().deep(
                    {
                        "project": loaded.spec.project,
                        "engine": engine.address,
                        "orchestrator": chosen.name,
                        "changes": not plan.empty,
                        "actions": [_action(a) for a in plan.actions],
                        "conflicts": list(plan.conflicts),
                        "notes": list(plan.notes),
                        "unchanged": list(plan.unchanged),
                        # neither unchanged nor an action: not comparable yet (a pulled image's, Compose's)
                        "unverified": [{"service": name, "why": why} for name, why in plan.unverified],
                    }
                ),
                indent=2,
            )
            + "\n"
        )
        return EXIT_FAILED if not plan.empty else EXIT_OK
    print(
        f"plan for project {loaded.spec.project} (engine {engine.address}, API {engine.api_version}"
        + (f", {chosen.name}" if chosen.name != DEFAULT else "")
        + ")"
    )
    for conflict in plan.conflicts:
        print(f"  CONFLICT: {conflict}")
    for action in plan.actions:
        label = f"{action.kind} {action.service or action.target}"
        if action.service and action.target != action.service and action.kind not in ("pull", "build"):
            label += f" ({action.target})"
        if len(action.reasons) <= 1:
            print(f"  {label}" + (f": {action.reasons[0]}" if action.reasons else ""))
        else:
            print(f"  {label}:")
            for reason in action.reasons:
                print(f"      - {reason}")
    if plan.unchanged:
        print(f"  unchanged: {', '.join(plan.unchanged)}")
    for note in plan.notes:
        print(f"  note: {note}")
    if plan.empty:
        print("nothing to do")
        return EXIT_OK
    count = len(plan.actions)
    print(
        f"{count} change{'s' if count != 1 else ''}"
        + (f", {len(plan.conflicts)} conflict(s)" if plan.conflicts else "")
    )
    return EXIT_FAILED


def _action(action: Any) -> dict[str, Any]:
    """One action as JSON: which replica a container action concerns, and a rename's new name."""
    out = {"kind": action.kind, "target": action.target, "service": action.service, "reasons": list(action.reasons)}
    if getattr(action, "replica", None) is not None:
        out["replica"] = action.replica
    if getattr(action, "new_name", None):
        out["new_name"] = action.new_name
    return out
