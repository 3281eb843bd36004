"""Where something in a spec is: file, line and column (1-based). Shared by lint findings and by every
result that points back at the spec, so it lives below both."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"
