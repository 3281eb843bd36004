"""pytest plugin (entry point ``pytest11``): fixtures for test suites, taken from ``infra.yaml``.

Also records every test's node id, outcome, duration and markers to a JSON file when
``--validator-results`` is given (``validator check`` passes it to the suites it runs).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("validator", "infrastructure from infra.yaml")
    group.addoption(
        "--infra",
        action="append",
        default=None,
        metavar="FILE",
        help="spec file(s) the fixtures read (repeat for overlays; default: infra.yaml)",
    )
    group.addoption(
        "--infra-up",
        action="store_true",
        default=False,
        help="reconcile the infrastructure (validator up) before the session",
    )
    group.addoption("--validator-results", default=None, metavar="PATH", help=argparse_help())


def argparse_help() -> str:
    return "write each test's node id, outcome, duration and markers to PATH (JSON lines)"


class _Recorder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.markers: dict[str, list[str]] = {}
        self.handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed at session end

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.markers[item.nodeid] = sorted({m.name for m in item.iter_markers()})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = _outcome(report)
        if outcome is None:
            return
        record: dict[str, Any] = {
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": outcome,
            "duration": report.duration,
            "markers": self.markers.get(report.nodeid, []),
        }
        if outcome in ("failed", "error"):
            record["message"] = str(report.longrepr)[-2000:] if report.longrepr else ""
        self.handle.write(json.dumps(record) + "\n")
        self.handle.flush()

    def pytest_sessionfinish(self) -> None:
        self.handle.close()


def _outcome(report: pytest.TestReport) -> str | None:
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if xfail:
            return "xfailed" if report.skipped else "xpassed"
        return str(report.outcome)
    if report.failed:
        return "error"
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    return None


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--validator-results", default=None) or os.environ.get("VALIDATOR_RESULTS")
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Recorder(path), "validator-recorder")
