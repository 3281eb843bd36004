"""The one place subcommands are registered, in the order ``--help`` lists them.

A command is a module with ``add_arguments(parser)`` and ``run(args) -> int`` (``CommandModule``; mypy
checks each module against it where its entry loads it). A command's module imports what it runs at
load time (the Docker SDK, the engine, the run's pipeline...), so the parser loads only the module of
the command being run: ``validator lint`` never loads the engine, ``validator --help`` no command.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class CommandModule(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser, /) -> None: ...

    def run(self, args: argparse.Namespace, /) -> int: ...


@dataclass(frozen=True, kw_only=True)
class Command:
    name: str
    help: str
    load: Callable[[], CommandModule]  # imports the command's module (only when that command runs)


# Each loader imports its module inside the function: a command's module is loaded only when it runs.
def _lint() -> CommandModule:
    from validator.commands import lint  # a command's module, loaded when it runs

    return lint


def _schema() -> CommandModule:
    from validator.commands import schema  # a command's module, loaded when it runs

    return schema


def _plan() -> CommandModule:
    from validator.commands import plan  # a command's module, loaded when it runs

    return plan


def _up() -> CommandModule:
    from validator.commands import up  # a command's module, loaded when it runs

    return up


def _down() -> CommandModule:
    from validator.commands import down  # a command's module, loaded when it runs

    return down


def _check() -> CommandModule:
    from validator.commands import check  # a command's module, loaded when it runs

    return check


def _report() -> CommandModule:
    from validator.commands import report  # a command's module, loaded when it runs

    return report


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command(
            name="lint",
            help="check spec files: schema and semantic rules, every issue with file:line:col",
            load=_lint,
        ),
        Command(name="schema", help="print the JSON Schema of infra.yaml", load=_schema),
        Command(name="plan", help="show what 'up' would change, and why (a true dry run)", load=_plan),
        Command(name="up", help="make Docker match the spec and wait until every service is ready", load=_up),
        Command(name="down", help="stop and remove the project's containers and networks", load=_down),
        Command(
            name="check",
            help="reconcile, run every check, probe, suite and criterion, and report",
            load=_check,
        ),
        Command(
            name="report",
            help="re-render the last run, or show criteria over the last N runs",
            load=_report,
        ),
    )
}
