"""Metrics: their identity, what each producer declares it emits, and the evidence every value carries.

A metric's identity is a record, ``MetricKey(family, member, field)``, built by one helper
(``metric_name``) and matched by one method (``MetricPattern.matches``); its dotted spelling
(``service.api.v2.healthy``) is for people only and is never split to recover the parts, so a member
whose name holds a dot (Compose allows ``api.v2``) is matched like any other.

A producer (services, probes, suites, preflight, the checks tally) declares a ``Family`` next to the
code that measures it: its members from the spec and, per field, the dimension ("time" in seconds,
"size" in bytes, "" for counts and flags), what it means, and which members measure it at all (only a
service with a health check has a ``healthy`` time). The families are registered in one typed place
above the producers (``validator/catalog.py``).

Every value of a run carries ``Evidence``: the range of values the evidence allows. Exact (low ==
high), bounded (a count of a run whose collection was incomplete is at least what was seen, and
unknown above), or unavailable (no bound at either side), each non-exact one with the reason naming
its producer. Criteria are judged over that whole range (``validator/criteria/conditions.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from validator.spec.model import Spec


@dataclass(frozen=True, kw_only=True, order=True)
class MetricKey:
    """One metric: ``family`` (service, suite, group, probe, host, checks, criterion), ``member`` (the
    service, suite, group, probe or criterion it measures; "" for a family of one such as ``host``)
    and ``field`` (startup, failed, duration ...)."""

    family: str
    member: str = ""
    field: str

    def __str__(self) -> str:
        """The name people read and write in conditions; display only, never parsed back."""
        return ".".join(part for part in (self.family, self.member, self.field) if part)


@dataclass(frozen=True, kw_only=True)
class MetricPattern:
    """What a condition names: one metric, or with ``member=None`` every member of the family."""

    family: str
    member: str | None  # None: the wildcard, any member (dots and all)
    field: str

    @property
    def wildcard(self) -> bool:
        return self.member is None

    def matches(self, key: MetricKey) -> bool:
        """The one way a name in a condition is matched against a metric."""
        return (
            key.family == self.family
            and key.field == self.field
            and ((self.member is None and key.member != "") or key.member == self.member)
        )

    def __str__(self) -> str:
        member = "*" if self.member is None else self.member
        return ".".join(part for part in (self.family, member, self.field) if part)


def metric_name(family: str, member: str, field: str) -> MetricKey:
    """The one way a metric's key is built: ``metric_name("suite", "main", "failed")``."""
    return MetricKey(family=family, member=member, field=field)


@dataclass(frozen=True, kw_only=True)
class Bounds:
    """A value a producer knows only within bounds, and why: ``Bounds(low=3, why="suite main: 1 module
    failed to import, so skipped is at least 3 and unknown above")``. None is no bound on that side."""

    low: float | None = None
    high: float | None = None
    why: str


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What the run knows of one metric: the range its evidence allows (``low`` .. ``high``, None for no
    bound), the producer it came from, and when the range is not one value, why."""

    producer: str  # "suite main", "service spark", "probe spark-ui", "preflight", "checks tally"
    low: float | None
    high: float | None
    reason: str = ""

    @classmethod
    def exact(cls, producer: str, value: float) -> Evidence:
        if not math.isfinite(value):  # NaN and infinities are no measurement: nothing may rest on them
            return cls(producer=producer, low=None, high=None, reason=f"{producer} gave {value} (not a finite number)")
        return cls(producer=producer, low=value, high=value)

    @classmethod
    def bounded(cls, producer: str, bounds: Bounds) -> Evidence:
        return cls(producer=producer, low=bounds.low, high=bounds.high, reason=bounds.why)

    @classmethod
    def unavailable(cls, producer: str, reason: str) -> Evidence:
        return cls(producer=producer, low=None, high=None, reason=reason)

    @property
    def is_exact(self) -> bool:
        return self.low is not None and self.low == self.high

    @property
    def value(self) -> float | None:
        """The measured value when exact, else None."""
        return self.low if self.is_exact else None


@dataclass(frozen=True, kw_only=True)
class Declared:
    """One field a producer emits for its members."""

    field: str
    dimension: str  # "time" (seconds), "size" (bytes), "" (counts, flags)
    meaning: str
    applies: Callable[[Any], bool] | None = None  # member's spec object -> does it measure this field?
    when: str = ""  # the same condition in words, for lint and docs


@dataclass(frozen=True, kw_only=True)
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

    def catalog(self, spec: Spec) -> dict[MetricKey, str]:
        """Every metric this family's members measure under ``spec`` -> its dimension."""
        return {
            metric_name(self.name, member, d.field): d.dimension
            for member, obj in self.members(spec).items()
            for d in self.metrics
            if d.applies is None or d.applies(obj)
        }


def single(spec: Spec) -> Mapping[str, Any]:
    """Members of a family that has no members by name (``host.cpus``, ``checks.total``)."""
    return {"": None}
