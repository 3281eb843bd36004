"""``validator lint [FILES...]``: every problem of every file, one line each, file:line:col.

Positional files are linted one by one (as pre-commit passes them); ``-f`` files are merged as
overlays. A positional file without the spec's ``version: 1`` whose name is ``<base>.<variant>.yaml``
is an overlay: it is linted merged over ``<base>.yaml`` beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from validator.cli_common import add_spec_option
from validator.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from validator.load import lint_files
from validator.redact import redactor, write_structured
from validator.spec.confine import ConfinementError, project_root, read_bytes
from validator.spec.load import resolve_files
from validator.spec.loader import MAX_BYTES
from validator.spec.location import Finding, format_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="FILE", help="spec files to lint, each on its own")
    add_spec_option(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.add_argument("--strict", action="store_true", help="warnings fail too")


def run(args: argparse.Namespace) -> int:
    groups: list[list[str]] = []
    if args.files:
        groups.append(list(args.files))
    for path in args.paths:
        groups.append(_with_base(path))
    if not groups:
        groups.append(resolve_files(None))
    missing = [name for group in groups for name in group if not Path(name).exists()]
    if missing:
        for name in missing:
            print(f"{name}: no such file", file=sys.stderr)
        return EXIT_USAGE
    findings = [finding for group in groups for finding in lint_files(group)]
    if args.format == "json":
        # masked field by field (the messages are masked already), written past the line masking
        write_structured(json.dumps(redactor().deep([_as_json(f) for f in findings]), indent=2) + "\n")
    else:
        for finding in findings:
            print(finding)
    failing = [f for f in findings if f.severity == "error" or args.strict]
    return EXIT_FAILED if failing else EXIT_OK


def _with_base(path: str) -> list[str]:
    candidate = Path(path)
    parts = candidate.name.split(".")
    if len(parts) >= 3 and parts[-1] in ("yaml", "yml") and candidate.is_file():
        base = candidate.with_name(f"{parts[0]}.{parts[-1]}")
        if base.is_file() and base != candidate and not _has_version(candidate):
            return [str(base), path]
    return [path]


def _has_version(path: Path) -> bool:
    try:
        # read as the loader reads a spec file: inside the project only (its own: the file is named here)
        text = read_bytes(path, project_root(path), MAX_BYTES)
    except (ConfinementError, OSError):
        return True  # read alone: the loader says what is wrong with it
    # Only the spec's own version marks a file that stands alone: a compose override file may carry
    # Compose's obsolete version ("3.8") and still be an overlay.
    spec_versions = (b"version: 1", b'version: "1"', b"version: '1'")
    return any(line.split(b"#")[0].strip() in spec_versions for line in text.splitlines())


def _as_json(finding: object) -> dict[str, object]:
    assert isinstance(finding, Finding)
    loc = finding.location
    return {
        "file": loc.file if loc else finding.file,
        "line": loc.line if loc else None,
        "column": loc.col if loc else None,
        "path": format_path(finding.path),
        "severity": finding.severity,
        "rule": finding.rule,
        "message": finding.message,
    }
