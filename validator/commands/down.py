"""``validator down``: stop and remove the project's containers and networks (``--volumes``: its volumes).

Only objects carrying this project's label are touched; containers of services that left the spec
are kept unless ``--remove-orphans``. ``-p NAME`` takes a project down from the engine's labels alone,
without a spec file, as ``docker compose -p NAME down`` does. With a file, on plain containers, only
what finding the project needs is read before the first stop (engine/teardown.py); a Swarm stack's
spec is loaded in full. The rest of the spec is validated while the containers stop: a bad spec exits
2 with its located findings all the same (before any engine call when there is no engine).
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from validator.backends.registry import add_orchestrator_option, backend, get, known
from validator.cli_common import add_engine_option, add_output_options, add_spec_option, eprint, line_progress
from validator.engine.docker_api import Engine
from validator.engine.teardown import declared_needs, down_project
from validator.errors import EXIT_OK, SpecError, UnreachableError, UsageError
from validator.redact import quoted
from validator.spec.load import LoadedSpec, read_project

_PROJECT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")  # Compose's rule for a project name


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_option(parser)
    add_engine_option(parser)
    add_orchestrator_option(parser)
    add_output_options(parser, short_verbose=False)
    parser.add_argument(
        "-p",
        "--project-name",
        metavar="NAME",
        help="take this project down from the engine's labels alone, without reading a spec file",
    )
    parser.add_argument(
        "-v", "--volumes", action="store_true", help="also remove the project's named volumes (as Compose's down -v)"
    )
    parser.add_argument(
        "--remove-orphans", action="store_true", help="also remove containers of services not in the spec"
    )


def run(args: argparse.Namespace) -> int:
    if args.project_name is not None:
        if args.files:
            raise UsageError("give -p NAME or -f FILE, not both")
        if not _PROJECT.match(args.project_name):
            raise UsageError(
                f"invalid project name {quoted(args.project_name)}: use lowercase letters, digits, '-' and '_', "
                "starting with a letter or digit"
            )
        if args.orchestrator is not None and not get(args.orchestrator).down_by_name:
            raise UsageError("down -p takes plain containers down; for a Swarm stack give its spec (-f)")
        project, declared, checking = args.project_name, None, None
    else:
        try:
            found = read_project(args.files)
        except SpecError:
            _validate(args.files)  # every finding of every stage in one pass, as the other commands say them
            raise
        chosen = known(args.orchestrator or found.orchestrator)
        if chosen is not None and not chosen.down_by_name:
            return _full(args)
        project, declared = found.name, declared_needs(found.services)
        checking = _Validation(args.files)  # the rest of the spec, checked while the containers stop
    try:
        engine = Engine.connect(args.host)
        result = down_project(
            engine,
            project,
            declared=declared,
            volumes=args.volumes,
            remove_orphans=args.remove_orphans,
            progress=line_progress(args.quiet),
            lock_wait=args.lock_timeout,
            say=eprint,
        )
    except UnreachableError:
        if checking is not None:
            checking.raise_problems()  # a spec error is said first (exit 2), as every command says it
        raise
    _report(result, "container(s)")
    if checking is not None:
        checking.raise_problems(after=True)
    return EXIT_OK


class _Validation:
    """The rest of the spec (schema, model, rules) checked in a thread of its own while ``down`` stops
    containers (waits on the engine that leave the interpreter free): a bad spec still exits 2 with
    every located finding, a typo in a service does not keep a stack running, and ``down`` does not
    pay for the check before its first stop."""

    def __init__(self, files: list[str] | None) -> None:
        import threading

        self.files = files
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="validator-down-check", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            _validate(self.files)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread by raise_problems
            self.error = exc

    def raise_problems(self, after: bool = False) -> None:
        self.thread.join()
        if self.error is None:
            return
        if after and isinstance(self.error, SpecError):
            print("the project was taken down; its spec has errors:")
        raise self.error


def _validate(files: list[str] | None) -> LoadedSpec:
    # lazy: the schema, the model and the lint rules load in the checking thread, after down has begun
    from validator.load import load_spec

    return load_spec(files)


def _full(args: argparse.Namespace) -> int:
    """A Swarm stack: the spec loaded and validated, then its backend's down."""
    loaded = _validate(args.files)
    chosen = backend(loaded, args.orchestrator, refuse=False, warn=eprint)
    engine = chosen.connect(args.host)
    result = chosen.down(
        loaded,
        engine,
        volumes=args.volumes,
        remove_orphans=args.remove_orphans,
        progress=line_progress(args.quiet),
        lock_wait=args.lock_timeout,
        say=eprint,
    )
    _report(result, f"{chosen.unit}(s)")
    return EXIT_OK


def _report(result: Any, what: str) -> None:
    """``result``: either backend's down result (the same attribute names)."""
    print(
        f"removed {len(result.containers)} {what}, {len(result.networks)} network(s), {len(result.volumes)} volume(s)"
    )
    if result.kept_orphans:
        print(
            f"kept orphan container(s) {', '.join(result.kept_orphans)} (use --remove-orphans); their networks stay too"
        )
