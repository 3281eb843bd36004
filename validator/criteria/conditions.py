"""A small, safe condition language over metrics (no ``eval``).

    suite.main.failed == 0
    suite.main.skipped < 20
    group.delta.passed == 7 and group.delta.failed == 0
    suite.main.duration < 5m
    service.*.startup < 60s            # every service
    max(service.*.healthy) <= 30s
    service.spark.memory_limit == 2GiB

Grammar: ``or``/``and``/``not``; one comparison (``== != < <= > >=``) between arithmetic
expressions (``+ - * /``); numbers with a time unit (ms, s, m, min, h) or size unit (B, KiB, MiB,
GiB, TiB); metric names with ``*`` wildcards; functions ``max min sum avg count``. A wildcard
compared directly means "every member"; the failing members are reported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

TIME_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
SIZE_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}
FUNCTIONS = ("max", "min", "sum", "avg", "count")
COMPARATORS = ("==", "!=", "<=", ">=", "<", ">")
MAX_LENGTH = 1000
MAX_DEPTH = 32

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?:(?P<unit>[A-Za-z]+)|\s+(?P<spaced>ms|min|s|m|h|B|KiB|MiB|GiB|TiB)\b)?"
    r"|(?P<name>[A-Za-z_*][A-Za-z0-9_*-]*(?:\.[A-Za-z0-9_*-]+)*)"
    r"|(?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|,)"
    r")"
)


class ConditionError(ValueError):
    """A syntax or meaning error; ``offset`` is the 0-based column in the condition text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class Token:
    kind: str  # number, name, op, end
    text: str
    offset: int
    value: float = 0.0
    dimension: str = ""  # "", "time", "size"


@dataclass(frozen=True)
class Number:
    value: float
    dimension: str
    text: str
    offset: int


@dataclass(frozen=True)
class Metric:
    name: str
    offset: int

    @property
    def wildcard(self) -> bool:
        return "*" in self.name


@dataclass(frozen=True)
class Call:
    func: str
    arg: Metric
    offset: int


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node
    offset: int


@dataclass(frozen=True)
class Not:
    operand: Node
    offset: int


@dataclass(frozen=True)
class Bool:
    value: bool
    offset: int


Node = Number | Metric | Call | Binary | Not | Bool


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"condition longer than {MAX_LENGTH} characters", MAX_LENGTH)
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            start = pos + (len(text[pos:]) - len(text[pos:].lstrip()))
            if text[start] == "=":
                raise ConditionError("'=' is not a comparison: use '=='", start)
            if text[start] == "!":
                raise ConditionError("'!' is not an operator: use 'not' or '!='", start)
            raise ConditionError(f"unexpected character {text[start]!r}", start)
        start = match.start(match.lastgroup or 0) if match.lastgroup else pos
        if match.group("number") is not None:
            start = match.start("number")
            number = float(match.group("number"))
            unit = match.group("unit") or match.group("spaced")
            dimension = ""
            if unit:
                if unit in TIME_UNITS:
                    number *= TIME_UNITS[unit]
                    dimension = "time"
                elif unit in SIZE_UNITS:
                    number *= SIZE_UNITS[unit]
                    dimension = "size"
                else:
                    raise ConditionError(
                        f"unknown unit {unit!r}: use ms, s, m, min, h for time or B, KiB, MiB, GiB, TiB for sizes",
                        match.start("unit"),
                    )
            tokens.append(Token("number", match.group(0).strip(), start, number, dimension))
        elif match.group("name") is not None:
            start = match.start("name")
            word = match.group("name")
            tokens.append(Token("op" if word in ("and", "or", "not") else "name", word, start))
        else:
            start = match.start("op")
            tokens.append(Token("op", match.group("op"), start))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self, text: str | None = None) -> Token:
        tok = self.tok
        if text is not None and tok.text != text:
            got = "end of condition" if tok.kind == "end" else repr(tok.text)
            raise ConditionError(f"expected {text!r}, got {got}", tok.offset)
        self.i += 1
        return tok

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(f"condition nested deeper than {MAX_DEPTH} levels", self.tok.offset)

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ConditionError("empty condition", 0)
        node = self.or_()
        if self.tok.kind != "end":
            raise ConditionError(f"unexpected {self.tok.text!r}", self.tok.offset)
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.tok.text == "or":
            tok = self.take()
            node = Binary("or", node, self.and_(), tok.offset)
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.tok.text == "and":
            tok = self.take()
            node = Binary("and", node, self.not_(), tok.offset)
        return node

    def not_(self) -> Node:
        if self.tok.text == "not":
            tok = self.take()
            self.nest()
            node = Not(self.not_(), tok.offset)
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum_()
        if self.tok.text in COMPARATORS:
            tok = self.take()
            right = self.sum_()
            if self.tok.text in COMPARATORS:
                raise ConditionError("chained comparisons are not allowed: join them with 'and'", self.tok.offset)
            return Binary(tok.text, left, right, tok.offset)
        return left

    def sum_(self) -> Node:
        node = self.product()
        while self.tok.text in ("+", "-"):
            tok = self.take()
            node = Binary(tok.text, node, self.product(), tok.offset)
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.tok.text in ("*", "/") and self.tok.kind == "op":
            tok = self.take()
            node = Binary(tok.text, node, self.unary(), tok.offset)
        return node

    def unary(self) -> Node:
        if self.tok.text == "-" and self.tok.kind == "op":
            tok = self.take()
            self.nest()
            operand = self.unary()
            self.depth -= 1
            return Binary("-", Number(0.0, "", "0", tok.offset), operand, tok.offset)
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.take()
            return Number(tok.value, tok.dimension, tok.text, tok.offset)
        if tok.text == "(" and tok.kind == "op":
            self.take()
            self.nest()
            node = self.or_()
            self.depth -= 1
            self.take(")")
            return node
        if tok.kind == "name":
            self.take()
            if tok.text in ("true", "false"):
                return Bool(tok.text == "true", tok.offset)
            if tok.text in FUNCTIONS:
                self.take("(")
                arg = self.tok
                if arg.kind != "name" or "." not in arg.text:
                    raise ConditionError(f"{tok.text}() takes a metric name such as service.*.startup", arg.offset)
                self.take()
                self.take(")")
                return Call(tok.text, Metric(arg.text, arg.offset), tok.offset)
            if self.tok.text == "(" and self.tok.kind == "op":
                raise ConditionError(f"unknown function {tok.text!r}: use {', '.join(FUNCTIONS)}", tok.offset)
            if "." not in tok.text:
                raise ConditionError(
                    f"unknown name {tok.text!r}: metrics look like suite.<name>.failed or service.*.startup", tok.offset
                )
            if "*" in tok.text and any(seg != "*" and "*" in seg for seg in tok.text.split(".")):
                raise ConditionError(f"a wildcard stands for a whole name segment: {tok.text!r}", tok.offset)
            return Metric(tok.text, tok.offset)
        got = "end of condition" if tok.kind == "end" else repr(tok.text)
        raise ConditionError(f"expected a metric, number or '(', got {got}", tok.offset)


def parse(text: str) -> Node:
    return _Parser(text).parse()


def metrics_in(node: Node) -> list[Metric]:
    if isinstance(node, Metric):
        return [node]
    if isinstance(node, Call):
        return [node.arg]
    if isinstance(node, Binary):
        return metrics_in(node.left) + metrics_in(node.right)
    if isinstance(node, Not):
        return metrics_in(node.operand)
    return []


def is_boolean(node: Node) -> bool:
    if isinstance(node, Bool | Not):
        return True
    return isinstance(node, Binary) and node.op in (*COMPARATORS, "and", "or")


def match_metric(pattern: str, name: str) -> bool:
    pat, got = pattern.split("."), name.split(".")
    return len(pat) == len(got) and all(p == "*" or p == g for p, g in zip(pat, got, strict=True))


# --- evaluation -------------------------------------------------------------------------------


class NotMeasured(Exception):
    """A metric the condition needs has no trustworthy value in this run: not measured, unavailable
    (its producer did not finish), or not a finite number. The message names the metric and why."""


@dataclass
class Evaluation:
    passed: bool
    actual: str
    failing: list[str] = field(default_factory=list)


_Value = float | dict[str, float]


@dataclass
class _Env:
    metrics: Mapping[str, float]
    unavailable: Mapping[str, str]
    declared: Collection[str]
    observed: dict[str, float] = field(default_factory=dict)


def evaluate(
    node: Node,
    metrics: Mapping[str, float],
    units: Mapping[str, str] | None = None,
    unavailable: Mapping[str, str] | None = None,
    declared: Collection[str] = (),
) -> Evaluation:
    """Evaluate a parsed condition; raise ``NotMeasured`` naming the metric that has no value.

    ``unavailable`` maps metrics whose producer did not finish to the reason; ``declared`` lists every
    metric the spec's members measure, so that a wildcard ranges over all of them and not only over
    those that happen to have a value (a service that never turned healthy has no ``healthy``).
    """
    units = units or {}
    env = _Env(metrics, unavailable or {}, declared)
    failing: list[str] = []
    passed = _truth(node, env, failing)
    actual = ", ".join(f"{name}={_fmt(value, units.get(name, ''))}" for name, value in env.observed.items())
    return Evaluation(passed, actual, failing)


def _fmt(value: float, dimension: str) -> str:
    if dimension == "time":
        return f"{value:.2f}s"
    if dimension == "size":
        from validator.units import format_size

        return format_size(value)
    return f"{value:g}"


def _truth(node: Node, env: _Env, failing: list[str]) -> bool:
    if isinstance(node, Bool):
        return node.value
    if isinstance(node, Not):
        return not _truth(node.operand, env, [])
    if isinstance(node, Binary) and node.op in ("and", "or"):
        # both sides are always evaluated: a side that cannot be judged makes the whole criterion an
        # error even when the other side alone would decide it (a verdict never rests on a gap)
        left = _truth(node.left, env, failing)
        if node.op == "and":
            right = _truth(node.right, env, failing)
            return left and right
        right = _truth(node.right, env, [])
        if left or right:
            failing.clear()
        return left or right
    if isinstance(node, Binary) and node.op in COMPARATORS:
        left_v = _value(node.left, env)
        right_v = _value(node.right, env)
        ok = True
        for member, a, b in _pairs(left_v, right_v):
            if not _compare(node.op, a, b):
                ok = False
                if member:
                    failing.append(member)
        return ok
    value = _value(node, env)
    if isinstance(value, dict):
        bad = [name for name, v in value.items() if not v]
        failing.extend(bad)
        return not bad
    return bool(value)


def _pairs(left: _Value, right: _Value) -> list[tuple[str, float, float]]:
    if isinstance(left, dict) and isinstance(right, dict):
        raise NotMeasured("cannot compare two wildcards with each other")
    if isinstance(left, dict):
        return [(name, v, float(right)) for name, v in left.items()]  # type: ignore[arg-type]
    if isinstance(right, dict):
        return [(name, float(left), v) for name, v in right.items()]
    return [("", left, right)]


def _compare(op: str, a: float, b: float) -> bool:
    # NaN compares false with everything, so `!=` and `not (...)` would hold for it: refuse instead
    # (values read are checked in _lookup; this catches arithmetic such as inf - inf)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise NotMeasured(f"the comparison {a:g} {op} {b:g} involves a value that is not a finite number")
    if op == "==":
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if op == "!=":
        return not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _read(name: str, env: _Env) -> float:
    if name in env.unavailable:
        raise NotMeasured(f"{name} is unavailable: {env.unavailable[name]}")
    if name not in env.metrics:
        raise NotMeasured(f"{name} was not measured")
    value = float(env.metrics[name])
    if not math.isfinite(value):
        raise NotMeasured(f"{name} is {value} (not a finite number)")
    env.observed[name] = value
    return value


def _lookup(metric: Metric, env: _Env) -> _Value:
    if metric.wildcard:
        # every declared member, plus any measured one the declarations do not know (a spec built in
        # code): a member without a value is an error naming it, never left out of "every member"
        names = [n for n in env.declared if match_metric(metric.name, n)]
        names += [n for n in (*env.metrics, *env.unavailable) if match_metric(metric.name, n) and n not in names]
        if not names:
            raise NotMeasured(f"no measured metric matches {metric.name}")
        return {name: _read(name, env) for name in names}
    return _read(metric.name, env)


def _value(node: Node, env: _Env) -> _Value:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Bool):
        return 1.0 if node.value else 0.0
    if isinstance(node, Metric):
        return _lookup(node, env)
    if isinstance(node, Call):
        members = _lookup(node.arg, env)
        values = list(members.values()) if isinstance(members, dict) else [members]
        if node.func == "count":
            return float(len(values))
        if node.func == "sum":
            return float(sum(values))
        if node.func == "avg":
            return float(sum(values) / len(values))
        return float(max(values) if node.func == "max" else min(values))
    if isinstance(node, Binary) and node.op in "+-*/":
        left, right = _value(node.left, env), _value(node.right, env)
        if isinstance(left, dict) or isinstance(right, dict):
            raise NotMeasured("arithmetic on a wildcard needs an aggregate such as max(...)")
        if node.op == "/" and right == 0:
            raise NotMeasured("division by zero")
        return {"+": left + right, "-": left - right, "*": left * right, "/": left / right if right else 0.0}[node.op]
    return 1.0 if _truth(node, env, []) else 0.0
