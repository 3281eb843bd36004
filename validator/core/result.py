"""The one record every check, probe, suite and criterion produces; every reporter reads only this."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from validator.core.location import Location
from validator.core.metrics import Bounds, MetricKey

Verdict = Literal["pass", "fail", "skip", "error", "xfail"]
FAILING: frozenset[str] = frozenset({"fail", "error"})

# What a result judges. "group" is a suite's group (its suite in ``parent``); "drift" is what
# `check --plan`/`--no-up` found differing from the spec; "target" is an engine a multi-target check
# contacted; "engine" the engine itself; "report" a report that could not be written; "usage" what a
# service's containers used during the run (memory, CPU, OOM kills: checks/usage.py).
Kind = Literal[
    "host", "config", "python", "service", "probe", "suite", "group", "criterion", "drift", "engine", "target",
    "report", "lock", "usage", "run",
]  # fmt: skip
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]


# Built with keywords only (a positional call is a reorder bug waiting to happen).
@dataclass(frozen=True, kw_only=True)
class Result:
    kind: Kind
    name: str  # what people read: "spark", "SC1: Delta Lake tests pass", "main/delta"
    verdict: Verdict
    expected: str = ""
    actual: str = ""
    message: str = ""
    duration: float = 0.0
    location: Location | None = None  # where in the spec
    # identity as fields, never recovered from ``name``: the member this result judges (a criterion's
    # id, a suite's, group's, service's or probe's name; defaults to ``name``) and, for a group, its suite
    id: str = ""
    parent: str = ""
    title: str = ""  # a criterion's title
    metrics: dict[MetricKey, float] = field(default_factory=dict)  # measured exactly by this check
    bounds: dict[MetricKey, Bounds] = field(default_factory=dict)  # known only within bounds, and why
    # metrics this check should have measured but cannot vouch for -> why, naming the producer
    # ("suite main was killed by SIGKILL after 2 of 4 tests"); a criterion reading one is not a pass
    unavailable: dict[MetricKey, str] = field(default_factory=dict)
    reads: tuple[MetricKey, ...] = ()  # a criterion: the metrics its condition read
    target: str | None = None  # the engine it was judged on, when check runs against several
    ran_on: str | None = None  # the machine a probe ran on: this host, or a container on an engine

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", self.name)

    @property
    def failed(self) -> bool:
        return self.verdict in FAILING


def locate(loaded: Any, path: tuple[str | int, ...]) -> Location | None:
    """Where a spec path is, for results to point back at the spec."""
    loc: Location | None = loaded.doc.locate(path)
    return loc
