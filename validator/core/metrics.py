"""Metrics: what each producer declares it emits, the one registry of producers, the one helper that
builds a metric name, and the evidence record every measured (or unavailable) value carries.

A producer (services, probes, suites, preflight, the checks tally) declares a ``Family`` next to the
code that measures it: its members from the spec and, per field, the dimension ("time" in seconds,
"size" in bytes, "" for counts and flags), what it means, and which members measure it at all
(only a service with a health check has a ``healthy`` time). Lint checks criteria against these
declarations, criteria expand wildcards over the members they declare, and reporters read the
dimensions. The registry imports producers lazily: lint must not pay for (or need) their
dependencies until a family is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from validator.spec.model import Spec

# family -> the module that produces it (its ``METRICS`` is a ``Family``). A new producer is one line here.
PRODUCERS: dict[str, str] = {
    "suite": "validator.suites.runner",
    "group": "validator.suites.groups",
    "service": "validator.checks.services",
    "probe": "validator.checks.probes",
    "host": "validator.checks.preflight",
    "checks": "validator.core.tally",
}


@dataclass(frozen=True)
class Declared:
    """One field a producer emits for its members."""

    field: str
    dimension: str  # "time" (seconds), "size" (bytes), "" (counts, flags)
    meaning: str
    applies: Callable[[Any], bool] | None = None  # member's spec object -> does it measure this field?
    when: str = ""  # the same condition in words, for lint and docs


@dataclass(frozen=True)
class Family:
    name: str
    members: Callable[[Spec], Mapping[str, Any]]  # member name ("" for a family of one) -> its spec object
    metrics: tuple[Declared, ...]
    doc: str

    @property
    def fields(self) -> dict[str, str]:
        return {d.field: d.dimension for d in self.metrics}

    def declared(self, field: str) -> Declared | None:
        return next((d for d in self.metrics if d.field == field), None)


@dataclass(frozen=True)
class Evidence:
    """Where a metric of this run came from, and whether its producer finished normally. When it did
    not, ``reason`` names the producer and what happened; the metric then has no value."""

    producer: str  # "suite main", "service spark", "probe spark-ui", "preflight", "checks tally"
    finished: bool = True
    reason: str = ""


def metric_name(family: str, member: str, field: str) -> str:
    """The one way a metric name is built: ``suite.main.failed``, ``host.cpus``."""
    return f"{family}.{member}.{field}" if member else f"{family}.{field}"


def single(spec: Spec) -> Mapping[str, Any]:
    """Members of a family that has no members by name (``host.cpus``, ``checks.total``)."""
    return {"": None}


@cache
def _family(name: str) -> Family:
    family: Family = importlib.import_module(PRODUCERS[name]).METRICS
    return family


def families() -> dict[str, Family]:
    return {name: _family(name) for name in PRODUCERS}


def catalog(spec: Spec) -> dict[str, str]:
    """Every metric the spec's members measure -> its dimension (a service without a health check has
    no ``healthy``: it is not in the catalog, so no wildcard expects it)."""
    out: dict[str, str] = {}
    for family_name, family in families().items():
        for member, obj in family.members(spec).items():
            for d in family.metrics:
                if d.applies is None or d.applies(obj):
                    out[metric_name(family_name, member, d.field)] = d.dimension
    return out
