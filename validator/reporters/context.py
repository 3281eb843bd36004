"""What every reporter reads besides the run (``ReportContext``), and what a reporter is (``Reporter``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from validator.core.run import RunResult


@dataclass
class ReportContext:
    color: bool = False
    verbose: int = 0
    history: list[RunResult] | None = None  # older runs, newest first (for trends)


class Reporter(Protocol):
    """A report format: a module with ``DEFAULT_PATH`` (None: standard output) and ``render``."""

    @property
    def DEFAULT_PATH(self) -> str | None: ...

    def render(self, run: RunResult, ctx: ReportContext, /) -> str: ...
