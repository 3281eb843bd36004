"""The one place report formats are registered; ``--report`` choices are derived from this dict.

A reporter is a module with ``DEFAULT_PATH`` (None: standard output) and ``render(run, ctx) -> str``.
Files are written atomically: a reader sees the previous report or the new one, never half of one.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from validator import redact
from validator.fileio import atomic_write_text
from validator.hints import did_you_mean
from validator.redact import quoted

if TYPE_CHECKING:
    from validator.core.run import RunResult

REPORTERS: dict[str, str] = {
    "console": "validator.reporters.console",
    "json": "validator.reporters.json_report",
    "junit": "validator.reporters.junit",
    "markdown": "validator.reporters.markdown",
    "html": "validator.reporters.html",
    "openmetrics": "validator.reporters.openmetrics",
}


@dataclass
class ReportContext:
    color: bool = False
    verbose: int = 0
    history: list[RunResult] | None = None  # older runs, newest first (for trends)


class Reporter(Protocol):
    DEFAULT_PATH: str | None

    @staticmethod
    def render(run: RunResult, ctx: ReportContext) -> str: ...


def reporter(name: str) -> Reporter:
    return cast(Reporter, importlib.import_module(REPORTERS[name]))


def parse_report_option(value: str) -> tuple[str, str | None]:
    """``html=out/report.html`` -> (``html``, ``out/report.html``); ``json`` -> (``json``, default path)."""
    name, sep, path = value.partition("=")
    name = name.strip().lower()
    if name not in REPORTERS:

        raise ValueError(
            f"unknown report format {quoted(name)}: use {', '.join(REPORTERS)}" + did_you_mean(name, REPORTERS)
        )
    if sep and not path:
        raise ValueError(f"--report {value}: give a path after '='")
    return name, (path or None)


def write_reports(
    run: RunResult, wanted: list[tuple[str, str | None]], ctx: ReportContext, base: Path
) -> list[tuple[str, str]]:
    """Render each wanted report; return (format, where) for each. Raises OSError for a path that
    cannot be written (the caller turns it into a result)."""

    written = []
    # the last gate before a report leaves: every field masked (field by field, so that a secret
    # which happens to be a word of the format's own syntax cannot corrupt it)
    masked_run, masked_ctx = redact.redactor().deep(run), redact.redactor().deep(ctx)
    for name, path in wanted:
        module = reporter(name)
        # encodable: a lone surrogate from a test's output would fail the write half way
        text = module.render(masked_run, masked_ctx).encode("utf-8", "replace").decode("utf-8")
        text = text if text.endswith("\n") else text + "\n"
        target = path or module.DEFAULT_PATH
        if target is None or target == "-":
            if name == "console":
                sys.stdout.write(text)  # plain text: the line masking of standard output applies too
                sys.stdout.flush()
            else:
                redact.write_structured(text)
            written.append((name, "stdout"))
            continue
        destination = Path(target) if Path(target).is_absolute() else base / target
        atomic_write_text(destination, text)
        written.append((name, str(destination)))
    return written
