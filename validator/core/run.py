"""The record of one ``check`` run: every result, every metric, the services' timeline.
Reporters, the history and the exit code read only this."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from validator.core.metrics import Evidence
from validator.core.result import FAILING, Result
from validator.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_UNREACHABLE

SCHEMA_VERSION = 1
_SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143, "SIGHUP": 129}


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
    # a run that did not reach its verdict says why; its results are what it knew, the rest ERROR
    interrupted: str | None = None  # the signal that stopped it: SIGINT, SIGTERM or SIGHUP
    engine_lost: str | None = None  # "the engine ... stopped answering at T (...)": exit 3

    @property
    def duration(self) -> float:
        return max(0.0, self.finished_at - self.started_at)

    def counts(self) -> Counter[str]:
        return Counter(r.verdict for r in self.results)

    @property
    def ok(self) -> bool:
        finished = self.interrupted is None and self.engine_lost is None
        return finished and not any(r.verdict in FAILING for r in self.results)

    @property
    def exit_code(self) -> int:
        if self.interrupted is not None:
            return _SIGNAL_EXIT.get(self.interrupted, EXIT_INTERRUPTED)
        if self.engine_lost is not None:
            return EXIT_UNREACHABLE
        return EXIT_OK if self.ok else EXIT_FAILED

    @property
    def outcome(self) -> str:
        """The run's one word for reports: a verdict only when it reached one."""
        if self.interrupted is not None:
            return f"INTERRUPTED ({self.interrupted})"
        if self.engine_lost is not None:
            return "ENGINE LOST"
        return "PASSED" if self.ok else "FAILED"

    def unavailable(self) -> dict[str, str]:
        """Metrics whose producer did not finish normally -> the reason naming it."""
        return {name: e.reason for name, e in self.evidence.items() if not e.finished}

    def by_kind(self, kind: str) -> list[Result]:
        return [r for r in self.results if r.kind == kind]
