"""Judge a parsed condition over the run's evidence: PASS only when the condition holds for every value
the evidence allows, FAIL when it fails for every one, and otherwise UNKNOWN naming what is missing.

Every metric is a range: exact (one value), bounded (a count of an incomplete run is at least what was
seen), or unavailable (no bound: not measured, its producer did not finish, not a finite number). The
condition is evaluated over those ranges with interval arithmetic and three-valued logic (Kleene's):

- a comparison is true when it holds for every pair of values in its sides' ranges, false when it holds
  for none, unknown otherwise (``skipped < 20`` with ``skipped`` at least 3: unknown; at least 25: false);
- ``and`` is false when either side is false, true when both are true; ``or`` is true when either side
  is true, false when both are false; ``not`` swaps true and false and keeps unknown;
- a wildcard compared directly ("every member") is false when any member is false, true when all are;
- ``max min sum avg`` combine the members' ranges; ``count`` is the number of members.

Interval arithmetic is sound but not always tight (``x - x`` over an unknown ``x`` is unknown, not 0):
where it is loose the answer is UNKNOWN, never a wrong PASS. ``decide`` (in ``evaluate.py``) is the one
place a verdict is made from this.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

from validator.core.metrics import Evidence, MetricKey
from validator.criteria.conditions import COMPARATORS, Binary, Bool, Call, ConditionError, Metric, Node, Not, Number

Truth = Literal["true", "false", "unknown"]
INF = math.inf


@dataclass(frozen=True)
class Range:
    low: float  # -inf: no lower bound
    high: float  # +inf: no upper bound

    @property
    def exact(self) -> bool:
        return self.low == self.high

    @staticmethod
    def of(value: float) -> Range:
        return Range(value, value)


EVERYTHING = Range(-INF, INF)


@dataclass(kw_only=True)
class Evaluation:
    truth: Truth
    reads: list[MetricKey] = field(default_factory=list)  # every metric read, in order
    failing: list[str] = field(default_factory=list)  # wildcard members for which it is false
    missing: list[str] = field(default_factory=list)  # what is not known exactly, and why
    ranges: dict[MetricKey, Range] = field(default_factory=dict)


@dataclass
class _Env:
    evidence: Mapping[MetricKey, Evidence]
    declared: Collection[MetricKey]
    out: Evaluation


def judge(node: Node, evidence: Mapping[MetricKey, Evidence], declared: Collection[MetricKey]) -> Evaluation:
    """Evaluate ``node`` over ``evidence``. ``declared`` lists every metric the spec's members measure,
    so that a wildcard ranges over all of them and not only over those that happen to have a value (a
    service that never turned healthy has no ``healthy``). Raises ``ConditionError`` for a condition that
    has no meaning (arithmetic on a wildcard without an aggregate, a wildcard matching nothing)."""
    env = _Env(evidence, declared, Evaluation(truth="unknown"))
    env.out.truth = _truth(node, env, env.out.failing)
    return env.out


# --- truth --------------------------------------------------------------------------------------


def _not(t: Truth) -> Truth:
    return {"true": "false", "false": "true", "unknown": "unknown"}[t]  # type: ignore[return-value]


def _and(values: list[Truth]) -> Truth:
    if "false" in values:
        return "false"
    return "true" if all(v == "true" for v in values) else "unknown"


def _or(left: Truth, right: Truth) -> Truth:
    if "true" in (left, right):
        return "true"
    return "false" if left == right == "false" else "unknown"


def _truth(node: Node, env: _Env, failing: list[str]) -> Truth:
    if isinstance(node, Bool):
        return "true" if node.value else "false"
    if isinstance(node, Not):
        return _not(_truth(node.operand, env, []))
    if isinstance(node, Binary) and node.op == "and":
        return _and([_truth(node.left, env, failing), _truth(node.right, env, failing)])
    if isinstance(node, Binary) and node.op == "or":
        left, right = _truth(node.left, env, []), _truth(node.right, env, [])
        return _or(left, right)
    if isinstance(node, Binary) and node.op in COMPARATORS:
        return _comparison(node, env, failing)
    value = _value(node, env)
    if isinstance(value, dict):  # a bare wildcard: every member non-zero
        members = {m: _nonzero(r) for m, r in value.items()}
        failing.extend(m for m, t in members.items() if t == "false")
        return _and(list(members.values()))
    return _nonzero(value)


def _nonzero(r: Range) -> Truth:
    if r.low == r.high == 0:
        return "false"
    return "true" if r.low > 0 or r.high < 0 else "unknown"


def _comparison(node: Binary, env: _Env, failing: list[str]) -> Truth:
    left, right = _value(node.left, env), _value(node.right, env)
    if isinstance(left, dict) and isinstance(right, dict):
        raise ConditionError("cannot compare two wildcards with each other", node.offset)
    if isinstance(left, dict) or isinstance(right, dict):
        members = left if isinstance(left, dict) else right
        assert isinstance(members, dict)
        other = right if isinstance(left, dict) else left
        assert isinstance(other, Range)
        outcome = {
            m: _compare(node.op, r, other) if isinstance(left, dict) else _compare(node.op, other, r)
            for m, r in members.items()
        }
        failing.extend(m for m, t in outcome.items() if t == "false")
        return _and(list(outcome.values()))
    return _compare(node.op, left, right)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _compare(op: str, a: Range, b: Range) -> Truth:
    """True when ``a op b`` holds for every value of each range, false when for none."""
    if op in ("==", "!="):
        if a.exact and b.exact and _close(a.low, b.low):
            equal: Truth = "true"
        elif (a.high < b.low and not _close(a.high, b.low)) or (b.high < a.low and not _close(b.high, a.low)):
            equal = "false"
        else:
            equal = "unknown"
        return equal if op == "==" else _not(equal)
    if op in (">", ">="):
        return _compare({">": "<", ">=": "<="}[op], b, a)
    strict = op == "<"
    if a.high < b.low or (not strict and a.high <= b.low):
        return "true"
    if a.low > b.high or (strict and a.low >= b.high):
        return "false"
    return "unknown"


# --- values -------------------------------------------------------------------------------------

_Value = Range | dict[str, Range]


def _read(key: MetricKey, text: str, env: _Env) -> Range:
    if key not in env.out.reads:
        env.out.reads.append(key)
    evidence = env.evidence.get(key)
    if evidence is None:
        _miss(env, f"{key} was not measured: the check that measures it did not run")
        return _keep(key, EVERYTHING, env)
    low = -INF if evidence.low is None else evidence.low
    high = INF if evidence.high is None else evidence.high
    if math.isnan(low) or math.isnan(high):
        _miss(env, f"{key} is not a number")
        return _keep(key, EVERYTHING, env)
    if evidence.is_exact and not math.isfinite(low):  # an infinite "measurement" proves nothing
        _miss(env, f"{key} is {low} (not a finite number)")
        return _keep(key, EVERYTHING, env)
    if not evidence.is_exact:
        _miss(env, f"{key} {_bounds_text(low, high)}: {evidence.reason or evidence.producer}")
    return _keep(key, Range(low, high), env)


def _miss(env: _Env, why: str) -> None:
    if why not in env.out.missing:
        env.out.missing.append(why)


def _keep(key: MetricKey, r: Range, env: _Env) -> Range:
    env.out.ranges[key] = r
    return r


def _bounds_text(low: float, high: float) -> str:
    if low == -INF and high == INF:
        return "is unavailable"
    if high == INF:
        return f"is at least {low:g} and unknown above"
    if low == -INF:
        return f"is at most {high:g} and unknown below"
    return f"is between {low:g} and {high:g}"


def _lookup(metric: Metric, env: _Env) -> _Value:
    pattern = metric.pattern
    if not metric.wildcard:
        assert pattern.member is not None
        key = MetricKey(family=pattern.family, member=pattern.member, field=pattern.field)
        return _read(key, metric.text, env)
    # every declared member, plus any the evidence knows that the declarations do not (a spec built in
    # code): a member without a value is unknown, never left out of "every member"
    keys = [k for k in env.declared if pattern.matches(k)]
    keys += [k for k in env.evidence if pattern.matches(k) and k not in keys]
    if not keys:
        raise ConditionError(f"no member measures {metric.text}", metric.offset)
    return {k.member: _read(k, metric.text, env) for k in sorted(keys)}


_AGGREGATES: dict[str, Callable[[list[Range]], Range]] = {
    "max": lambda rs: Range(max(r.low for r in rs), max(r.high for r in rs)),
    "min": lambda rs: Range(min(r.low for r in rs), min(r.high for r in rs)),
    "sum": lambda rs: Range(sum(r.low for r in rs), sum(r.high for r in rs)),
    "avg": lambda rs: Range(sum(r.low for r in rs) / len(rs), sum(r.high for r in rs) / len(rs)),
    "count": lambda rs: Range.of(float(len(rs))),
}


def _value(node: Node, env: _Env) -> _Value:
    if isinstance(node, Number):
        return Range.of(node.value)
    if isinstance(node, Bool):
        return Range.of(1.0 if node.value else 0.0)
    if isinstance(node, Metric):
        return _lookup(node, env)
    if isinstance(node, Call):
        members = _lookup(node.arg, env)
        ranges = list(members.values()) if isinstance(members, dict) else [members]
        return _AGGREGATES[node.func](ranges)
    if isinstance(node, Binary) and node.op in "+-*/":
        left, right = _value(node.left, env), _value(node.right, env)
        if isinstance(left, dict) or isinstance(right, dict):
            raise ConditionError("arithmetic on a wildcard needs an aggregate such as max(...)", node.offset)
        result = _arithmetic(node.op, left, right, node.offset)
        if result.low == INF or result.high == -INF:  # overflowed: finite inputs, no finite answer
            _miss(env, "the arithmetic leaves the range of finite numbers")
            return EVERYTHING
        return result
    truth = _truth(node, env, [])
    return {"true": Range.of(1.0), "false": Range.of(0.0), "unknown": Range(0.0, 1.0)}[truth]


def _arithmetic(op: str, a: Range, b: Range, offset: int) -> Range:
    if op == "+":
        return _sane(a.low + b.low, a.high + b.high)
    if op == "-":
        return _sane(a.low - b.high, a.high - b.low)
    if op == "/":
        if b.exact and b.low == 0:
            raise ConditionError("division by zero", offset)
        if b.low <= 0 <= b.high:
            return EVERYTHING  # the divisor may be zero: the quotient has no bound
        b = Range(1 / b.high, 1 / b.low)
    products = [x * y for x in (a.low, a.high) for y in (b.low, b.high)]
    if any(math.isnan(p) for p in products):  # 0 * inf: the bound is lost, not zero
        return EVERYTHING
    return Range(min(products), max(products))


def _sane(low: float, high: float) -> Range:
    return EVERYTHING if math.isnan(low) or math.isnan(high) else Range(low, high)
