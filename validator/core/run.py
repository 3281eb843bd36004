"""The record of one ``check`` run: every result, every metric, the services' timeline.
Reporters, the history and the exit code read only this."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from validator.core.metrics import Evidence
from validator.core.result import FAILING, Result
from validator.errors import EXIT_FAILED, EXIT_OK

SCHEMA_VERSION = 1


@dataclass
class ServiceTimeline:
    service: str
    requested_at: float
    running_at: float | None
    healthy_at: float | None


@dataclass
class TestCase:
    suite: str
    nodeid: str
    outcome: str  # passed, failed, skipped, error, xfailed, xpassed
    duration: float
    groups: list[str] = field(default_factory=list)
    message: str = ""
    markers: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    project: str
    spec_files: list[str]
    spec_hash: str
    started_at: float
    finished_at: float = 0.0
    results: list[Result] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)  # measured values only (each has evidence)
    evidence: dict[str, Evidence] = field(default_factory=dict)  # every metric: its producer; unavailable ones why
    dimensions: dict[str, str] = field(default_factory=dict)
    timeline: list[ServiceTimeline] = field(default_factory=list)
    tests: list[TestCase] = field(default_factory=list)
    git_commit: str | None = None
    engine: str | None = None
    mode: str = "up"

    @property
    def duration(self) -> float:
        return max(0.0, self.finished_at - self.started_at)

    def counts(self) -> Counter[str]:
        return Counter(r.verdict for r in self.results)

    @property
    def ok(self) -> bool:
        return not any(r.verdict in FAILING for r in self.results)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_FAILED

    def unavailable(self) -> dict[str, str]:
        """Metrics whose producer did not finish normally -> the reason naming it."""
        return {name: e.reason for name, e in self.evidence.items() if not e.finished}

    def by_kind(self, kind: str) -> list[Result]:
        return [r for r in self.results if r.kind == kind]
