"""The metrics namespace, registered in one place.

Each family names its members from the spec and lists its fields with a dimension ("time" in
seconds, "size" in bytes, "" for counts and flags). Lint checks criteria against this catalog;
``check`` fills in the values it measured under the same names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from validator.spec.model import Spec

COUNTS = {"total": "", "passed": "", "failed": "", "skipped": "", "errors": "", "xfailed": "", "duration": "time"}


@dataclass(frozen=True)
class Family:
    members: Callable[[Spec], Iterable[str]]
    fields: dict[str, str]
    doc: str


def _groups(spec: Spec) -> Iterable[str]:
    for suite in spec.suites.values():
        yield from suite.groups


FAMILIES: dict[str, Family] = {
    "suite": Family(lambda s: s.suites.keys(), COUNTS, "test counts and wall time of each suite"),
    "group": Family(_groups, COUNTS, "test counts and summed test time of each group"),
    "service": Family(
        lambda s: s.services.keys(),
        {
            "startup": "time",
            "healthy": "time",
            "restarts": "",
            "memory_limit": "size",
            "cpus": "",
            "replicas_desired": "",
            "replicas_running": "",
            "replicas_healthy": "",
        },
        "seconds from create to running, from running to healthy (the slowest task on Swarm); restarts; limits "
        "Docker enforces; Swarm tasks desired, running and healthy",
    ),
    "probe": Family(
        lambda s: s.probes.keys(), {"duration": "time", "passed": ""}, "each probe's time and verdict (1/0)"
    ),
    "host": Family(
        lambda s: [""],
        {"memory_available": "size", "memory_total": "size", "cpus": "", "disk_free": "size"},
        "the machine, as preflight measured it",
    ),
    "checks": Family(
        lambda s: [""],
        {"total": "", "passed": "", "failed": "", "skipped": "", "errors": "", "xfailed": "", "duration": "time"},
        "counts over every check of the run",
    ),
}


def metric_name(family: str, member: str, field: str) -> str:
    return f"{family}.{member}.{field}" if member else f"{family}.{field}"


def catalog(spec: Spec) -> dict[str, str]:
    """Every metric name the spec can produce -> its dimension."""
    out: dict[str, str] = {}
    for family_name, family in FAMILIES.items():
        for member in family.members(spec):
            for field, dimension in family.fields.items():
                out[metric_name(family_name, member, field)] = dimension
    return out
