"""The order in which two xdist workers take the test files: longest first, the stack modules as one.

``scripts/test`` runs ``-n 2 --dist loadfile``: a file's tests stay on one worker, which keeps its module
fixtures. xdist's own order for loadfile is by number of tests, largest first, so the files with a few
long real-engine tests came last, and the run ended with one worker on such a file while the other sat
idle. Here, under xdist and ``--dist loadfile`` only:

- each worker sorts the files it collected by an estimate of their length, longest first (both sort
  the same collection the same way, as xdist requires), and the controller keeps that order
  (``loadscopereorder`` off): the long files start early and the short ones fill the end;
- the modules that bring up the shipped stack (fixed host ports, see ``_one_stack_at_a_time`` in
  tests/conftest.py) form one unit of work, run one after the other on one worker, rather than two
  workers each holding one and the second waiting on the lock for the first's whole run. The lock
  stays: it is what makes them take turns; this only keeps a worker from waiting on it.

The order changes no test: every test runs, in its file, with its fixtures, as before.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

# The modules marked ``stack`` (checked at collection: a stack module missing here is reported).
STACK_FILES = frozenset(
    {
        "tests/integration/test_stack.py",
        "tests/integration/test_spark_delta.py",
        "tests/integration/test_probe_mysql.py",
    }
)
STACK_SCOPE = "stack modules (tests/harness/schedule.py)"

# Seconds a test costs, by kind, for a file no measured figure is known for: a real-engine test brings
# containers up and down (a few seconds each here), a slow one without the engine runs thousands of
# generated examples or a browser, a pure one takes milliseconds.
ENGINE_TEST = 4.0
SLOW_TEST = 10.0
PURE_TEST = 0.05

# Each file's summed test time, in seconds, from the timeline of a full run (VALIDATOR_TEST_TIMELINE=PATH,
# then ``python -m tests.harness.timeline PATH --measured 0 > tests/harness/file_seconds.json``); a file
# missing from it (a new one) is estimated from its markers. Only the order depends on these figures: a
# stale one costs balance, never a test.
FILE_SECONDS = Path(__file__).with_name("file_seconds.json")


def _measured() -> dict[str, float]:
    try:
        table = json.loads(FILE_SECONDS.read_text())
    except (OSError, ValueError):
        return {}
    return {str(name): float(seconds) for name, seconds in table.items()} if isinstance(table, dict) else {}


MEASURED: dict[str, float] = _measured()


_WORKER_FLAG = "validator_longest_first"


def _active(config: pytest.Config) -> bool:
    """On the controller: xdist distributes by file. (A worker's own ``dist`` is always "no": the
    controller tells it through its ``workerinput``, see pytest_configure_node.)"""
    return bool(config.pluginmanager.hasplugin("xdist")) and config.getoption("dist", "no") == "loadfile"


def _worker_sorts(config: pytest.Config) -> bool:
    return bool(getattr(config, "workerinput", {}).get(_WORKER_FLAG))


def _file(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def estimate(file: str, items: Iterable[pytest.Item]) -> float:
    if file in MEASURED:
        return MEASURED[file]
    return sum(_test_seconds(item) for item in items)


def _test_seconds(item: pytest.Item) -> float:
    if item.get_closest_marker("docker"):
        return ENGINE_TEST
    return SLOW_TEST if item.get_closest_marker("slow") else PURE_TEST


def longest_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """``items`` grouped by file (the stack modules as one group), the longest group first; stable."""
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        file = _file(item)
        groups.setdefault(STACK_SCOPE if file in STACK_FILES else file, []).append(item)
    lengths = {
        scope: sum(estimate(file, [i for i in group if _file(i) == file]) for file in {_file(i) for i in group})
        for scope, group in groups.items()
    }
    ordered = sorted(groups, key=lambda scope: -lengths[scope])  # sorted() is stable: ties keep their order
    return [item for scope in ordered for item in groups[scope]]


def unlisted_stack_modules(items: Iterable[pytest.Item]) -> list[str]:
    return sorted({_file(item) for item in items if item.get_closest_marker("stack")} - STACK_FILES)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = unlisted_stack_modules(items)
    if missing:
        warnings.warn(
            pytest.PytestWarning(
                f"stack modules missing from tests/harness/schedule.py STACK_FILES: {', '.join(missing)} "
                "(they still take turns through the lock, but a worker may wait on it)"
            ),
            stacklevel=2,
        )
    if _worker_sorts(config):
        items[:] = longest_first(items)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """On the controller, for each worker it starts: sort the collection (both workers, the same way)."""
    if _active(node.config):
        node.workerinput[_WORKER_FLAG] = True


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # optional: a run without xdist has no such hook
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if not _active(config):
        return None
    from xdist.scheduler import LoadFileScheduling  # type: ignore[import-untyped]

    class LongestFirst(LoadFileScheduling):  # type: ignore[misc]
        """loadfile, in the workers' collection order, the stack modules one unit of work."""

        def __init__(self, config: pytest.Config, log: Any = None) -> None:
            super().__init__(config, log)
            config.option.loadscopereorder = False  # keep the longest-first order of the collection

        def _split_scope(self, nodeid: str) -> str:
            file = str(super()._split_scope(nodeid))
            return STACK_SCOPE if file in STACK_FILES else file

    return LongestFirst(config, log)
