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

This module is the language only (tokens, the tree); ``judge.py`` evaluates a tree over the run's evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from validator.core.metrics import MetricPattern
from validator.redact import quoted

TIME_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
SIZE_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}
FUNCTIONS = ("max", "min", "sum", "avg", "count")
COMPARATORS = ("==", "!=", "<=", ">=", "<", ">")
MAX_LENGTH = 1000
MAX_DEPTH = 32

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?:(?P<unit>[A-Za-z]+)|\s+(?P<spaced>ms|min|s|m|h|B|KiB|MiB|GiB|TiB)\b)?"
    # a name starts with a letter (or is a leading wildcard segment, "*."); a lone "*" is multiplication
    r"|(?P<name>(?:[A-Za-z_]|\*(?=\.))[A-Za-z0-9_*-]*(?:\.[A-Za-z0-9_*-]+)*)"
    r"|(?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|,)"
    r")"
)


class ConditionError(ValueError):
    """A syntax or meaning error; ``offset`` is the 0-based column in the condition text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True, kw_only=True)
class Token:
    kind: str  # number, name, op, end
    text: str
    offset: int
    value: float = 0.0
    dimension: str = ""  # "", "time", "size"


@dataclass(frozen=True, kw_only=True)
class Number:
    value: float
    dimension: str
    text: str
    offset: int


@dataclass(frozen=True)
class Metric:
    pattern: MetricPattern
    text: str  # as written, for messages
    offset: int

    @property
    def wildcard(self) -> bool:
        return self.pattern.wildcard


@dataclass(frozen=True)
class Call:
    func: str
    arg: Metric
    offset: int


@dataclass(frozen=True, kw_only=True)
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
            raise ConditionError(f"unexpected character {quoted(text[start])}", start)
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
                        f"unknown unit {quoted(unit)}: use ms, s, m, min, h for time "
                        "or B, KiB, MiB, GiB, TiB for sizes",
                        match.start("unit"),
                    )
            tokens.append(
                Token(kind="number", text=match.group(0).strip(), offset=start, value=number, dimension=dimension)
            )
        elif match.group("name") is not None:
            start = match.start("name")
            word = match.group("name")
            tokens.append(Token(kind="op" if word in ("and", "or", "not") else "name", text=word, offset=start))
        else:
            start = match.start("op")
            tokens.append(Token(kind="op", text=match.group("op"), offset=start))
        pos = match.end()
    tokens.append(Token(kind="end", text="", offset=len(text)))
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
            got = "end of condition" if tok.kind == "end" else quoted(tok.text)
            raise ConditionError(f"expected {quoted(text)}, got {got}", tok.offset)
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
            raise ConditionError(f"unexpected {quoted(self.tok.text)}", self.tok.offset)
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.tok.text == "or":
            tok = self.take()
            node = Binary(op="or", left=node, right=self.and_(), offset=tok.offset)
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.tok.text == "and":
            tok = self.take()
            node = Binary(op="and", left=node, right=self.not_(), offset=tok.offset)
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
            return Binary(op=tok.text, left=left, right=right, offset=tok.offset)
        return left

    def sum_(self) -> Node:
        node = self.product()
        while self.tok.text in ("+", "-"):
            tok = self.take()
            node = Binary(op=tok.text, left=node, right=self.product(), offset=tok.offset)
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.tok.text in ("*", "/") and self.tok.kind == "op":
            tok = self.take()
            node = Binary(op=tok.text, left=node, right=self.unary(), offset=tok.offset)
        return node

    def unary(self) -> Node:
        if self.tok.text == "-" and self.tok.kind == "op":
            tok = self.take()
            self.nest()
            operand = self.unary()
            self.depth -= 1
            return Binary(
                op="-",
                left=Number(value=0.0, dimension="", text="0", offset=tok.offset),
                right=operand,
                offset=tok.offset,
            )
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.take()
            return Number(value=tok.value, dimension=tok.dimension, text=tok.text, offset=tok.offset)
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
                return Call(tok.text, _metric(arg.text, arg.offset), tok.offset)
            if self.tok.text == "(" and self.tok.kind == "op":
                raise ConditionError(f"unknown function {quoted(tok.text)}: use {', '.join(FUNCTIONS)}", tok.offset)
            if "." not in tok.text:
                raise ConditionError(
                    f"unknown name {quoted(tok.text)}: metrics look like suite.<name>.failed or service.*.startup",
                    tok.offset,
                )
            return _metric(tok.text, tok.offset)
        got = "end of condition" if tok.kind == "end" else quoted(tok.text)
        raise ConditionError(f"expected a metric, number or '(', got {got}", tok.offset)


def _metric(text: str, offset: int) -> Metric:
    """A metric as written -> its pattern. The family is the first segment and the field the last; the
    member is everything between, dots included (Compose allows ``api.v2``), so ``service.api.v2.healthy``
    is service ``api.v2``. This is the one place a written name is read into its parts."""
    first, _, rest = text.partition(".")
    middle, _, last = rest.rpartition(".")
    if "*" in first or "*" in last:
        raise ConditionError(f"a wildcard stands for a member, as in service.*.startup: {quoted(text)}", offset)
    if "*" in middle and middle != "*":
        raise ConditionError(f"a wildcard stands for a whole member name: {quoted(text)}", offset)
    pattern = MetricPattern(family=first, member=None if middle == "*" else middle, field=last)
    return Metric(pattern, text, offset)


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


def values_in(node: Node) -> list[Metric]:
    """The metrics whose *values* the condition reads: ``count(...)`` reads only how many members the
    spec declares, whatever was measured (``count(probe.*.passed) >= 1`` holds with every probe
    failing), so a metric inside it is not evidence."""
    if isinstance(node, Call) and node.func == "count":
        return []
    if isinstance(node, Binary):
        return values_in(node.left) + values_in(node.right)
    if isinstance(node, Not):
        return values_in(node.operand)
    return metrics_in(node)


def reads_metric(node: Node) -> bool:
    """Whether the condition's truth depends on any measured value (``true``, ``1 < 2`` and
    ``count(service.*.startup) == 2`` read none: they prove nothing about the infrastructure)."""
    return bool(values_in(node))
