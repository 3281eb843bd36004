"""Where a finding points: file, line, column and the dotted path inside the document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from validator.core.location import Location

__all__ = ["Finding", "Location", "Path", "PathPart", "Severity", "format_path"]

PathPart = str | int
Path = tuple[PathPart, ...]
Severity = Literal["error", "warning"]


def format_path(path: Path) -> str:
    """``('services', 'spark', 'ports', 0)`` -> ``services.spark.ports[0]``; very deep paths are elided."""
    if len(path) > 12:
        separator = "" if isinstance(path[-2], int) else "."
        return f"{format_path(path[:4])}...{separator}{format_path(path[-2:])}"
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}" if _plain(part) else f'."{part}"'
        else:
            out = part if _plain(part) else f'"{part}"'
    return out or "<root>"


def _plain(part: str) -> bool:
    return bool(part) and all(c.isalnum() or c in "_-*" for c in part)


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One located problem in a spec, printed as ``file:line:col: path: message``."""

    location: Location | None
    path: Path
    message: str
    severity: Severity = "error"
    rule: str = "schema"
    file: str = field(default="", compare=False)

    def __str__(self) -> str:
        where = str(self.location) if self.location else (self.file or "<spec>")
        prefix = "warning: " if self.severity == "warning" else ""
        if self.path:
            return f"{where}: {format_path(self.path)}: {prefix}{self.message}"
        return f"{where}: {prefix}{self.message}"

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.file, loc.line, loc.col, self.message) if loc else (self.file, 0, 0, self.message)
