"""What the user sees while ``check`` runs: a live view on a terminal (rich), plain lines in CI or
with ``--no-progress``, nothing but failures with ``--quiet``. ``NO_COLOR`` is honoured."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from validator.core.result import Result

_MARK = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "skip": "SKIP", "xfail": "XFAIL"}
_STYLE = {"pass": "green", "fail": "red", "error": "red", "skip": "yellow", "xfail": "cyan"}


class Display:
    """Plain lines: one per stage, one per failing result (and every result with -v)."""

    def __init__(self, quiet: bool = False, verbose: int = 0, stream: Any = None) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.started = time.monotonic()
        self.lock = threading.Lock()

    def _print(self, text: str) -> None:
        with self.lock:
            print(f"[{time.monotonic() - self.started:7.2f}s] {text}", file=self.stream, flush=True)

    def stage(self, name: str) -> None:
        if not self.quiet:
            self._print(f"== {name}")

    def progress(self, who: str, message: str) -> None:
        if not self.quiet or "FAILED" in message:
            self._print(f"{who}: {message}")

    def output(self, who: str, line: str) -> None:
        """A line a suite printed: shown with -v (the live view shows the latest lines anyway)."""
        if self.verbose and not self.quiet:
            self._print(f"{who}| {line}")

    def result(self, result: Result) -> None:
        if (
            result.failed
            or (self.verbose and not self.quiet)
            or (not self.quiet and result.kind in ("service", "probe", "suite", "group", "criterion"))
        ):
            detail = f" — {result.message}" if result.message and (result.failed or self.verbose) else ""
            self._print(f"{_MARK[result.verdict]:5} {result.kind} {result.name}{detail}")

    def close(self) -> None:
        pass


class LiveDisplay(Display):
    """A rich live panel: what runs now, and the tally so far."""

    def __init__(self, quiet: bool = False, verbose: int = 0, color: bool = True) -> None:
        super().__init__(quiet, verbose)
        from rich.console import Console
        from rich.live import Live

        self.console = Console(no_color=not color, highlight=False, emoji=False)
        self.current = "starting"
        self.recent: list[str] = []
        self.tally: dict[str, int] = {}
        self.live = Live(self._render(), console=self.console, refresh_per_second=8, transient=True)
        self.live.start()

    def _render(self) -> Any:
        from rich.markup import escape
        from rich.table import Table

        table = Table.grid(padding=(0, 1))
        elapsed = time.monotonic() - self.started
        counts = "  ".join(f"[{_STYLE[k]}]{k} {v}[/]" for k, v in sorted(self.tally.items()))
        table.add_row(f"[bold]{elapsed:6.1f}s[/]", escape(self.current), counts)
        for line in self.recent[-6:]:
            table.add_row("", line, "")
        return table

    def _update(self) -> None:
        with self.lock:
            self.live.update(self._render())

    def stage(self, name: str) -> None:
        from rich.markup import escape

        self.current = name
        if not self.quiet:
            self.console.print(f"[bold]== {escape(name)}[/]")
        self._update()

    def progress(self, who: str, message: str) -> None:
        from rich.markup import escape

        self.recent.append(escape(f"{who}: {message}"))
        self._update()

    def output(self, who: str, line: str) -> None:
        self.progress(who, line)

    def result(self, result: Result) -> None:
        self.tally[result.verdict] = self.tally.get(result.verdict, 0) + 1
        if result.failed or self.verbose or result.kind in ("service", "probe", "suite", "group", "criterion"):
            style = _STYLE[result.verdict]
            detail = f" — {result.message}" if result.message and (result.failed or self.verbose) else ""
            if not self.quiet or result.failed:
                from rich.markup import escape

                self.console.print(
                    f"[{style}]{_MARK[result.verdict]:5}[/] {escape(f'{result.kind} {result.name}{detail}')}",
                    markup=True,
                    soft_wrap=True,
                )
        self._update()

    def close(self) -> None:
        self.live.stop()


def make_display(quiet: bool, verbose: int, no_progress: bool, color: bool) -> Display:
    import os

    if not no_progress and sys.stdout.isatty() and os.environ.get("CI") is None and os.environ.get("TERM") != "dumb":
        return LiveDisplay(quiet, verbose, color)
    return Display(quiet, verbose)
