"""``validator down``: stop and remove the project's containers and networks (``--volumes``: its volumes).

Only objects carrying this project's label are touched; containers of services that left the spec
are kept unless ``--remove-orphans``.
"""

from __future__ import annotations

import argparse

from validator.cli_common import add_engine_option, add_output_options, add_spec_option, eprint, line_progress
from validator.engine.backend import add_orchestrator_option
from validator.errors import EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_option(parser)
    add_engine_option(parser)
    add_orchestrator_option(parser)
    add_output_options(parser)
    parser.add_argument("--volumes", action="store_true", help="also remove the project's named volumes")
    parser.add_argument(
        "--remove-orphans", action="store_true", help="also remove containers of services not in the spec"
    )


def run(args: argparse.Namespace) -> int:
    from validator.engine.backend import backend
    from validator.engine.docker_api import Engine
    from validator.spec.load import load_spec

    loaded = load_spec(args.files)
    orchestrator, chosen = backend(loaded, args.orchestrator, refuse=False, warn=eprint)
    engine = Engine.connect(args.host)
    result = chosen.down(
        loaded,
        engine,
        volumes=args.volumes,
        remove_orphans=args.remove_orphans,
        progress=line_progress(args.quiet),
        lock_wait=args.lock_timeout,
        say=eprint,
    )
    what = "service(s)" if orchestrator == "swarm" else "container(s)"
    print(
        f"removed {len(result.containers)} {what}, {len(result.networks)} network(s), {len(result.volumes)} volume(s)"
    )
    if result.kept_orphans:
        print(
            f"kept orphan container(s) {', '.join(result.kept_orphans)} (use --remove-orphans); their networks stay too"
        )
    return EXIT_OK
