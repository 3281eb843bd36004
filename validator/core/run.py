"""The record of one ``check`` run: every result, the evidence of every metric, the services' timeline.
Reporters, the history and the exit code read only this."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from validator.core.metrics import Evidence, MetricKey
from validator.core.result import FAILING, Result
from validator.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_UNREACHABLE

SCHEMA_VERSION = 2
_SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143, "SIGHUP": 129}


@dataclass(kw_only=True)
class ServiceTimeline:
    service: str
    requested_at: float
    running_at: float | None
    healthy_at: float | None


@dataclass(kw_only=True)
class UsageSeries:
    """One container's memory and CPU over the run, for pictures: a few hundred points at most, each
    the highest of the samples it stands for (the peaks themselves are metrics, exact)."""

    service: str
    container: str
    memory_limit: float | None  # bytes; None: no limit
    at: list[float] = field(default_factory=list)  # epoch seconds
    memory: list[float | None] = field(default_factory=list)  # bytes; None: not running then
    cpu: list[float | None] = field(default_factory=list)  # cores; None: not running, or its first sample


@dataclass(kw_only=True)
class TestCase:
    suite: str
    nodeid: str
    outcome: str  # passed, failed, skipped, error, xfailed, xpassed, deselected
    duration: float
    groups: list[str] = field(default_factory=list)
    message: str = ""
    markers: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class RunResult:
    project: str
    spec_files: list[str]
    spec_hash: str
    started_at: float
    finished_at: float = 0.0
    results: list[Result] = field(default_factory=list)
    # every metric the run knows of -> what its evidence allows (exact, bounded or unavailable), and its producer
    evidence: dict[MetricKey, Evidence] = field(default_factory=dict)
    dimensions: dict[MetricKey, str] = field(default_factory=dict)
    timeline: list[ServiceTimeline] = field(default_factory=list)
    usage: list[UsageSeries] = field(default_factory=list)
    tests: list[TestCase] = field(default_factory=list)
    git_commit: str | None = None
    engine: str | None = None  # the engine's address; several, comma-joined, for a combined run
    targets: list[str] = field(default_factory=list)  # a combined run: every target it was judged on
    mode: str = "up"
    invocation: str = ""  # one `check` command: the runs of its targets share it
    # a run that did not reach its verdict says why; its results are what it knew, the rest ERROR
    interrupted: str | None = None  # the signal that stopped it: SIGINT, SIGTERM or SIGHUP
    engine_lost: str | None = None  # "the engine ... stopped answering at T (...)": exit 3

    @property
    def duration(self) -> float:
        return max(0.0, self.finished_at - self.started_at)

    @property
    def metrics(self) -> dict[MetricKey, float]:
        """The metrics known exactly (bounded and unavailable ones are in ``evidence`` only)."""
        return {key: e.low for key, e in self.evidence.items() if e.is_exact and e.low is not None}

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

    def by_kind(self, kind: str) -> list[Result]:
        return [r for r in self.results if r.kind == kind]


def combine(targets: Sequence[tuple[str, RunResult]]) -> RunResult:
    """One run of every target's results, each carrying its target (its ``target`` field); the metrics
    stay on each result and each target's run, since the same metric means a different engine per target.
    Targets are given as a sequence, not keyed by address: two runs that name the same address (an older
    history, an empty ``--host``) are both kept, told apart by their place, never one dropped."""
    runs = _labelled(targets)
    first = next(iter(runs.values()))
    combined = RunResult(
        project=first.project,
        spec_files=first.spec_files,
        spec_hash=first.spec_hash,
        started_at=min(r.started_at for r in runs.values()),
        finished_at=max(r.finished_at for r in runs.values()),
        git_commit=first.git_commit,
        mode=first.mode,
        engine=", ".join(runs),
        targets=list(runs),
        invocation=first.invocation,
        # the combined run reached its verdict only if every target's did
        interrupted=next((r.interrupted for r in runs.values() if r.interrupted), None),
        engine_lost="; ".join(f"{a}: {r.engine_lost}" for a, r in runs.items() if r.engine_lost) or None,
    )
    for address, one in runs.items():
        combined.results.extend(dataclasses.replace(r, target=address) for r in one.results)
        combined.tests.extend(one.tests)
    return combined


def _labelled(targets: Sequence[tuple[str, RunResult]]) -> dict[str, RunResult]:
    out: dict[str, RunResult] = {}
    for number, (address, run) in enumerate(targets, 1):
        label = address or f"target {number}"
        out[f"{label} (target {number})" if label in out else label] = run
    return out
