"""The suite family's metrics (``METRICS``), declared apart from the runner that measures them, so that
lint reads them (through ``validator.catalog``) without loading what runs suites."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from validator.core.metrics import Declared, Family
from validator.suites.groups import count_metrics

if TYPE_CHECKING:
    from validator.spec.model import Spec


def _suites(spec: Spec) -> Mapping[str, Any]:
    return spec.suites


METRICS = Family(
    name="suite",
    members=_suites,
    metrics=(
        *count_metrics("wall time of its command", lambda suite: suite),
        Declared(
            field="coverage",
            dimension="",
            meaning="percent of lines its coverage report (coverage: PATH) counts as run",
            applies=lambda suite: suite.coverage is not None,
            when="that name a coverage report",
        ),
    ),
    doc="test counts and wall time of each suite; unavailable when the suite did not finish normally; lower "
    "bounds when a module could not be collected; line coverage from the coverage report it names",
)
