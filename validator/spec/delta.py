"""Delta Lake's Maven coordinates (``io.delta:delta-spark_2.12:3.3.3``) found in text: parsed into
fields once, here, for lint (the artifact against Spark and the Python packages) and for check (the
JAR against the installed delta-spark) alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_COORD = re.compile(r"io\.delta:(delta-core|delta-spark)_(2\.1[123]):(\d+)\.(\d+)\.(\d+)((?:-?rc\d+)?)")


@dataclass(frozen=True, kw_only=True)
class Coordinate:
    artifact: str  # delta-core / delta-spark
    scala: str
    major: int
    minor: int
    patch: int
    pre: str  # "", "rc1", "-rc1"
    offset: int
    text: str

    @property
    def name(self) -> str:
        return f"{self.artifact}_{self.scala}"

    @property
    def version(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}{self.pre}"


def coordinates(text: str) -> Iterator[Coordinate]:
    for m in _COORD.finditer(text):
        yield Coordinate(
            artifact=m.group(1),
            scala=m.group(2),
            major=int(m.group(3)),
            minor=int(m.group(4)),
            patch=int(m.group(5)),
            pre=m.group(6),
            offset=m.start(),
            text=m.group(0),
        )
