"""``validator report``."""

from __future__ import annotations

import argparse

from validator.cli_common import add_engine_option, add_output_options, add_spec_option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_spec_option(parser)
    add_engine_option(parser)
    add_output_options(parser)


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError("report")
