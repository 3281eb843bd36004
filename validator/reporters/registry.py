"""The one place report formats are registered; ``--report`` choices are derived from this dict.

A reporter is a module with ``DEFAULT_PATH`` (None: standard output) and ``render(run, ctx) -> str``
(``context.Reporter``).
Files are written atomically: a reader sees the previous report or the new one, never half of one.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from validator import redact
from validator.fileio import atomic_write_text
from validator.hints import did_you_mean
from validator.redact import quoted
from validator.reporters import html, json_report, junit, markdown, openmetrics
from validator.reporters.context import ReportContext, Reporter

if TYPE_CHECKING:
    from validator.core.run import RunResult

__all__ = ["REPORTERS", "ReportContext", "Reporter", "parse_report_option", "reporter", "write_reports"]


def _console() -> Reporter:
    from validator.reporters import console  # lazy: rich, loaded only to render the console report

    return console


def _static(module: Reporter) -> Callable[[], Reporter]:
    return lambda: module


# format -> what loads its module; mypy checks each module against ``Reporter``
REPORTERS: dict[str, Callable[[], Reporter]] = {
    "console": _console,
    "json": _static(json_report),
    "junit": _static(junit),
    "markdown": _static(markdown),
    "html": _static(html),
    "openmetrics": _static(openmetrics),
}


def reporter(name: str) -> Reporter:
    return REPORTERS[name]()


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


def destinations(wanted: list[tuple[str, str | None]], base: Path) -> list[Path]:
    """The files ``write_reports`` writes for ``wanted`` (standard output left out)."""
    out = []
    for name, path in wanted:
        target = path or reporter(name).DEFAULT_PATH
        if target is not None and target != "-":
            out.append(Path(target) if Path(target).is_absolute() else base / target)
    return out


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
