"""``validator up``: make Docker match the spec, wait until every service is ready, print timings.

Exit 0 when every service is ready, 1 when one failed, 2 bad spec, 3 no engine, 130/143 interrupted.
"""

from __future__ import annotations

import argparse
import os

from validator.backends.registry import add_orchestrator_option
from validator.cli_common import add_engine_option, add_output_options, add_spec_option
from validator.engine.ahead import LookAhead
from validator.engine.docker_api import Connecting
from validator.spec.load import resolve_files
from validator.spec.project import project_hint


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_option(parser)
    add_engine_option(parser)
    add_orchestrator_option(parser)
    add_output_options(parser)
    parser.add_argument(
        "--remove-orphans", action="store_true", help="remove containers of services no longer in the spec"
    )
    parser.add_argument("--force-recreate", action="store_true", help="recreate every container")
    parser.add_argument("--build", action="store_true", help="rebuild images of services with 'build'")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="overall bound (default: settings.up_timeout)")


def run(args: argparse.Namespace) -> int:
    connecting = Connecting(args.host)  # while the spec is read (engine/docker_api.py)
    files = resolve_files(args.files)
    # the project's containers inspected while the rest of validator is imported and the spec read
    # (engine/ahead.py); a swarm's services are its tasks: nothing to take ahead there
    hint = project_hint(files[0], os.environ) if args.orchestrator != "swarm" else None
    ahead = LookAhead(connecting.engine, hint)
    try:
        # the rest of up, loaded now: its imports are most of up's start-up, made while the look-ahead inspects
        from validator.commands.up_apply import run_up

        return run_up(args, files, connecting, ahead)
    finally:
        ahead.close()
