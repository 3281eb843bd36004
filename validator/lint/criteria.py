"""Criteria: condition syntax (with the exact column), unknown metrics, units that do not fit.

Metric names are checked against what each producer declares it measures (``validator/catalog.py``),
for the members the spec gives it: ``probe.X.restarts`` is known when probe X is a ``container`` probe.
A condition that reads no metric's value (``true``, ``1 < 2``, or metrics only inside ``count(...)``,
which counts declared members whatever they measured) proves nothing about the infrastructure and is an
error."""

from __future__ import annotations

from collections.abc import Iterator

from validator.catalog import FAMILIES, catalog
from validator.core.metrics import MetricKey, single
from validator.criteria.conditions import (
    COMPARATORS,
    Binary,
    Call,
    ConditionError,
    Metric,
    Node,
    Not,
    Number,
    is_boolean,
    metrics_in,
    parse,
    reads_metric,
)
from validator.hints import did_you_mean
from validator.lint.context import LintContext
from validator.redact import quoted
from validator.spec.location import Finding, Location


def check(ctx: LintContext) -> Iterator[Finding]:
    known = catalog(ctx.spec)
    for cid, criterion in ctx.spec.criteria.items():
        path = ("criteria", cid, "condition")
        try:
            node = parse(criterion.condition)
        except ConditionError as exc:
            yield _at(ctx, path, exc.offset, f"condition: {exc}")
            continue
        if not is_boolean(node):
            yield _at(ctx, path, 0, "condition must be a comparison such as 'suite.main.failed == 0'")
        if not metrics_in(node):
            yield _at(
                ctx,
                path,
                0,
                "condition reads no metric, so it proves nothing: compare a metric such as suite.main.failed",
            )
        elif not reads_metric(node):
            yield _at(
                ctx,
                path,
                0,
                "condition reads no measured value (count(...) is the number of declared members, whatever "
                "they measured), so it proves nothing: compare the values, e.g. sum(probe.*.passed) >= 1",
            )
        for metric in metrics_in(node):
            problem = _unknown(metric, known, ctx)
            if problem:
                yield _at(ctx, path, metric.offset, problem)
        yield from _dimensions(ctx, path, node, known)


def _at(ctx: LintContext, path: tuple[str, ...], offset: int, message: str) -> Finding:
    base = ctx.doc.locate(path)
    loc = Location(base.file, base.line, base.col + offset) if base else None
    return Finding(location=loc, path=path, message=message, severity="error", rule=ctx.rule, file=ctx.doc.files[0])


def _unknown(metric: Metric, known: dict[MetricKey, str], ctx: LintContext) -> str | None:
    pattern, name = metric.pattern, metric.text
    if any(pattern.matches(k) for k in known):
        return None
    family, field, member = pattern.family, pattern.field, pattern.member
    if family not in FAMILIES:
        hint = did_you_mean(family, FAMILIES)
        return f"unknown metric family {quoted(family)} in {quoted(name)}: use {', '.join(FAMILIES)}{hint}"
    fam = FAMILIES[family]
    if field not in fam.fields:
        hint = did_you_mean(field, fam.fields)
        return f"unknown {family} metric {quoted(field)} in {quoted(name)}: use {', '.join(fam.fields)}{hint}"
    if fam.members is single:
        return f"{quoted(name)}: {family} metrics have no member: write {family}.{field}" if member != "" else None
    if member == "":
        return f"{quoted(name)} names no {family}: write {family}.NAME.{field} or {family}.*.{field}"
    members = [m for m in fam.members(ctx.spec) if m]
    if member and member not in members:
        known_members = f"; known: {', '.join(members)}" if members else f"; the spec defines no {family}"
        return f"{quoted(name)} names unknown {family} {quoted(member)}" + did_you_mean(member, members) + known_members
    if not members and member != "":
        return f"{quoted(name)}: the spec defines no {family} to measure"
    declared = fam.declared(field)
    if declared is not None and declared.when:
        return f"{quoted(name)} is not measured: {field} is measured only for {family}s {declared.when}"
    return f"unknown metric {quoted(name)}"


def _dimension(node: Node, known: dict[MetricKey, str]) -> str | None:
    if isinstance(node, Number):
        return node.dimension or None
    if isinstance(node, Metric | Call):
        metric = node if isinstance(node, Metric) else node.arg
        if isinstance(node, Call) and node.func == "count":
            return None
        dims = {d for k, d in known.items() if metric.pattern.matches(k)}
        return dims.pop() or None if len(dims) == 1 else None
    if isinstance(node, Binary) and node.op in "+-":
        return _dimension(node.left, known) or _dimension(node.right, known)
    return None


def _dimensions(ctx: LintContext, path: tuple[str, ...], node: Node, known: dict[MetricKey, str]) -> Iterator[Finding]:
    if isinstance(node, Binary) and node.op in COMPARATORS:
        left, right = _dimension(node.left, known), _dimension(node.right, known)
        if left and right and left != right:
            yield _at(ctx, path, node.offset, f"cannot compare a {left} with a {right} (check the unit)")
    elif isinstance(node, Binary):
        yield from _dimensions(ctx, path, node.left, known)
        yield from _dimensions(ctx, path, node.right, known)
    elif isinstance(node, Not):
        yield from _dimensions(ctx, path, node.operand, known)
