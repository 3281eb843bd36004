"""What a suite's run left as evidence: the validator plugin's records (collected count, collection
errors, outcomes, the finish record), pytest's JUnit XML, or — for any other command — JUnit XML
written during this run (a file left from an earlier run is not evidence)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.core.run import TestCase
from validator.suites.junit import read_junit


@dataclass
class Recorded:
    """What the suite left as evidence: its tests and, from the plugin, the collected count, the
    session's exit status and why it stopped early (``-x``, ``--maxfail``)."""

    tests: list[TestCase] = field(default_factory=list)
    plugin: bool = False  # the validator plugin recorded this run
    collected: int | None = None
    exitstatus: int | None = None  # from the finish record; None: the session did not finish
    stopped: str = ""
    collect_errors: int = 0  # modules that could not be collected (each also a test case in error)
    problem: str = ""  # why the results cannot be read (a non-pytest suite's JUnit)


def read_records(path: Path, suite: str) -> Recorded:
    out = Recorded()
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return out
    out.plugin = True
    by_id: dict[str, TestCase] = {}
    for number, line in enumerate(lines, 1):
        try:
            _add_record(out, by_id, json.loads(line), suite)
        except (ValueError, KeyError, TypeError, AttributeError):
            # only a run killed mid-write leaves a broken line (the kill is reported first); any other
            # broken record means the results cannot be trusted
            out.problem = out.problem or f"left a results record that cannot be read (line {number})"
    out.tests = list(by_id.values())
    return out


def _add_record(out: Recorded, by_id: dict[str, TestCase], record: dict[str, Any], suite: str) -> None:
    kind = record["type"]
    if kind == "collected":
        out.collected = int(record["count"])
    elif kind == "collect_error":
        case = TestCase(
            suite=suite,
            nodeid=record["nodeid"] or "<collection>",
            outcome="error",
            duration=0.0,
            message=record.get("message", ""),
        )
        by_id[f"collect:{case.nodeid}"] = case
        out.collect_errors += 1
    elif kind == "finish":
        out.exitstatus = int(record["exitstatus"])
        out.stopped = record.get("stopped") or ""
    elif kind == "test":
        _add_report(by_id, record, suite)
    else:
        raise ValueError(kind)


def _add_report(by_id: dict[str, TestCase], record: dict[str, Any], suite: str) -> None:
    nodeid = record["nodeid"]
    case = by_id.get(nodeid)
    if case is None:
        case = by_id[nodeid] = TestCase(
            suite=suite, nodeid=nodeid, outcome="passed", duration=0.0, markers=record.get("markers", [])
        )
    case.duration += float(record.get("duration") or 0.0)
    outcome = record["outcome"]
    if record["when"] == "call" or (outcome in ("error", "skipped", "xfailed") and case.outcome == "passed"):
        case.outcome = outcome
    if record.get("message"):
        case.message = record["message"]


def read_pytest_junit(path: Path, suite: str) -> Recorded:
    if not path.is_file():
        return Recorded(problem="wrote no results")
    try:
        return Recorded(tests=read_junit(path, suite))
    except (ValueError, OSError) as exc:  # not XML; or gone or unreadable since it was found
        return Recorded(problem=f"wrote JUnit XML that cannot be read ({exc})")


def stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_ino, st.st_size


# File timestamps come from a coarse kernel clock that can lag time.time() by a few milliseconds;
# a file whose stat is unchanged since before the start is stale whatever its time says.
_CLOCK_SLACK_NS = 1_000_000_000


def fresh_junit(path: Path, before: tuple[int, int, int] | None, began_ns: int, suite: str) -> Recorded:
    """Only JUnit XML written during this run counts: a file unchanged since before the start, or
    last modified before it, is stale."""
    after = stamp(path)
    if after is None:
        return Recorded(problem=f"wrote no JUnit XML at {path.name} during this run")
    if after == before or after[0] < began_ns - _CLOCK_SLACK_NS:
        return Recorded(problem=f"wrote no JUnit XML during this run: {path.name} is from an earlier run")
    return read_pytest_junit(path, suite)
