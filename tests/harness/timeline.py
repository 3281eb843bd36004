"""Where a test run's wall time goes: one JSON line per test (worker, file, start, end, phases).

Off unless ``VALIDATOR_TEST_TIMELINE=PATH`` is set; loaded from tests/conftest.py. Each xdist worker
appends its own lines (one ``write`` of one line each, ``O_APPEND``: lines of two workers never mix).
``start``/``end`` are wall-clock seconds around the whole test protocol, so a module fixture's set-up
lands in its first test and its teardown in its last; ``setup``/``call``/``teardown`` are pytest's own
phase durations. ``python -m tests.harness.timeline PATH`` summarises a run: each worker's busy and
idle time, the files by length, and the tail where one worker ran alone; ``PATH --measured [SECONDS]``
prints each file's summed test time (those of 20 s or more), the form of schedule.MEASURED.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

_ENV = "VALIDATOR_TEST_TIMELINE"
_phases: dict[str, dict[str, float]] = defaultdict(dict)


def _path() -> str | None:
    return os.environ.get(_ENV) or None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    path = _path()
    start = time.time()
    yield
    if path is None:
        return
    end = time.time()
    phases = _phases.pop(item.nodeid, {})
    line = {
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        "file": item.nodeid.split("::", 1)[0],
        "test": item.nodeid,
        "start": round(start, 3),
        "end": round(end, 3),
        **{key: round(value, 3) for key, value in phases.items()},
    }
    data = (json.dumps(line) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    # runs where the test runs (an xdist worker, or the one process), never on the xdist controller
    outcome = yield
    if _path() is not None:
        report = outcome.get_result()
        _phases[report.nodeid][report.when] = report.duration


def summarise(lines: list[dict[str, Any]]) -> str:
    """Totals per worker (busy, idle, first start to last end), the files by length, the lone tail."""
    if not lines:
        return "no tests in the timeline"
    first = min(line["start"] for line in lines)
    last = max(line["end"] for line in lines)
    out = [f"wall {last - first:.0f} s over {len(lines)} tests"]
    by_worker: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        by_worker[line["worker"]].append(line)
    for worker, own in sorted(by_worker.items()):
        busy = sum(line["end"] - line["start"] for line in own)
        end = max(line["end"] for line in own)
        out.append(
            f"{worker}: busy {busy:.0f} s, idle {last - first - busy:.0f} s "
            f"(of which after its last test {last - end:.0f} s), {len(own)} tests"
        )
    files: dict[tuple[str, str], list[float]] = {}
    for line in lines:
        span = files.setdefault((line["worker"], line["file"]), [line["start"], line["end"], 0.0])
        span[0] = min(span[0], line["start"])
        span[1] = max(span[1], line["end"])
        span[2] += line.get("setup", 0.0)
    out.append("files by length (worker, seconds, first start after run start, setup total):")
    ranked = sorted(files.items(), key=lambda kv: kv[1][0] - kv[1][1])
    for (worker, name), (start, end, setup) in ranked[:30]:
        out.append(f"  {worker} {end - start:7.1f} s  @{start - first:6.0f}  setup {setup:6.1f}  {name}")
    return "\n".join(out)


def file_seconds(lines: list[dict[str, Any]], at_least: float) -> dict[str, float]:
    """Each file's summed test time, the files of ``at_least`` seconds or more: schedule.MEASURED's form."""
    totals: dict[str, float] = defaultdict(float)
    for line in lines:
        totals[line["file"]] += line["end"] - line["start"]
    return {name: round(total, 1) for name, total in sorted(totals.items(), key=lambda kv: -kv[1]) if total >= at_least}


if __name__ == "__main__":
    text = Path(sys.argv[1]).read_text()
    rows = [json.loads(row) for row in text.splitlines() if row.strip()]
    if sys.argv[2:3] == ["--measured"]:  # the table tests/harness/schedule.py orders by
        print(json.dumps(file_seconds(rows, float(sys.argv[3]) if len(sys.argv) > 3 else 20.0), indent=4))
    else:
        print(summarise(rows))
