"""The one record every check, probe, suite and criterion produces; every reporter reads only this."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Verdict = Literal["pass", "fail", "skip", "error", "xfail"]
FAILING: frozenset[str] = frozenset({"fail", "error"})


# Built with keywords only (nine fields: a positional call is a reorder bug waiting to happen).
@dataclass(frozen=True, kw_only=True)
class Result:
    kind: str  # host, config, python, service, probe, suite, criterion
    name: str
    verdict: Verdict
    expected: str = ""
    actual: str = ""
    message: str = ""
    duration: float = 0.0
    location: str | None = None  # file:line:col in the spec
    metrics: dict[str, float] = field(default_factory=dict)  # measured by this check, with evidence
    # metrics this check should have measured but cannot vouch for -> why, naming the producer
    # ("suite main was killed by SIGKILL after 2 of 4 tests"); a criterion reading one is an error
    unavailable: dict[str, str] = field(default_factory=dict)
    target: str | None = None  # the engine it was judged on, when check runs against several
    ran_on: str | None = None  # the machine a probe ran on: this host, or a container on an engine

    @property
    def failed(self) -> bool:
        return self.verdict in FAILING


def locate(loaded: Any, path: tuple[str | int, ...]) -> str | None:
    """``file:line:col`` of a spec path, for results to point back at the spec."""
    loc = loaded.doc.locate(path)
    return str(loc) if loc else None
