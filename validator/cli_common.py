"""Options shared by subcommands, and small helpers commands use to talk to the user."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import TextIO


def add_spec_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-f",
        "--file",
        dest="files",
        action="append",
        metavar="FILE",
        help="spec file (repeat to merge overlays in order; default: ./infra.yaml, else ./compose.yaml "
        "or ./docker-compose.yml with its override file, as Compose reads them)",
    )
    parser.add_argument(
        "--profile",
        action=_ProfileAction,
        metavar="NAME",
        help="enable a Compose profile (repeatable; replaces COMPOSE_PROFILES)",
    )


class _ProfileAction(argparse.Action):
    """``--profile`` is Compose's ``COMPOSE_PROFILES`` given on the command line: it is written there, so
    every reader of the spec (plan, up, check, the suites check runs) sees the same profiles."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object, *_: object
    ) -> None:
        given = [*(getattr(namespace, self.dest, None) or []), str(values)]
        setattr(namespace, self.dest, given)
        os.environ["COMPOSE_PROFILES"] = ",".join(given)


def add_engine_option(parser: argparse.ArgumentParser, many: bool = False) -> None:
    parser.add_argument(
        "--host",
        metavar="URL",
        action="append" if many else "store",
        help="Docker engine address: unix://, tcp:// or ssh:// (default: DOCKER_HOST, else the local socket)"
        + ("; repeat to check several engines at once (default: settings.targets)" if many else ""),
    )
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="how long to wait for another run on the same project (default: 600)",
    )


def add_output_options(parser: argparse.ArgumentParser, *, short_verbose: bool = True) -> None:
    """``short_verbose=False``: ``--verbose`` only, for a command where Compose gives ``-v`` another
    meaning (``down -v`` removes volumes there: the same letter must not keep them here)."""
    parser.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")
    verbose = ("-v", "--verbose") if short_verbose else ("--verbose",)
    parser.add_argument(*verbose, action="count", default=0, help="more detail (repeatable)")
    parser.add_argument("--no-progress", action="store_true", help="plain lines instead of a live view")
    parser.add_argument("--no-color", action="store_true", help="no colour (NO_COLOR is honoured too)")


def use_color(args: argparse.Namespace) -> bool:
    if getattr(args, "no_color", False) or "NO_COLOR" in os.environ:
        return False
    return sys.stdout.isatty()


def eprint(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def line_progress(quiet: bool = False, stream: TextIO | None = None) -> Callable[[str, str], None]:
    """A progress callback printing ``[  1.23s] service: message`` lines (failures even when quiet)."""
    started = time.monotonic()
    out = stream or sys.stdout

    def say(who: str, message: str) -> None:
        if quiet and "FAILED" not in message:
            return
        print(f"[{time.monotonic() - started:7.2f}s] {who}: {message}", file=out, flush=True)

    return say
