"""``validator schema``: the JSON Schema (draft 2020-12) generated from the model."""

from __future__ import annotations

import argparse
import json
from typing import Any

from validator.fileio import atomic_write_text
from validator.reporters.json_report import schema
from validator.spec.model import Spec

SCHEMA_ID = "https://validator.dev/schema/infra.schema.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument("--report", action="store_true", help="the JSON report's schema instead of the spec's")


def generate() -> dict[str, Any]:
    schema = Spec.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "validator infra.yaml (version 1)",
        **schema,
    }


def render(report: bool = False) -> str:
    if report:
        return json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return json.dumps(generate(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def run(args: argparse.Namespace) -> int:
    text = render(args.report)
    if args.output:
        atomic_write_text(args.output, text)
    else:
        print(text, end="")
    return 0
