"""The one place lint rules are registered: rule id -> module with ``check(ctx)``; mypy checks each
module against ``Rule`` (a ``Deferred`` one's, ``tests/unit/test_lint_registry.py``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from validator.lint import (
    alertmanager_api,
    argv,
    compose_files,
    compose_rules,
    configs,
    copied_files,
    delta,
    depends_on,
    files,
    healthcheck,
    labels,
    localhost,
    memory,
    ports,
    pyspark,
    references,
    spark_health,
    suites,
)
from validator.lint.context import LintContext, Rule
from validator.spec.location import Finding
from validator.spec.model import Spec


@dataclass(frozen=True, kw_only=True)
class Deferred:
    """A rule whose module is imported only for a spec it has something to check in (``needed``): every
    command that reads a spec runs the rules, and a module whose imports are heavy would cost each of
    them its import whether or not the spec has anything of it."""

    module: str
    needed: Callable[[Spec], bool]

    def load(self) -> Rule:
        return cast(Rule, importlib.import_module(self.module))


RULES: dict[str, Rule | Deferred] = {
    "ports": ports,
    "depends-on": depends_on,
    "compose": compose_rules,
    "compose-files": compose_files,
    "healthcheck": healthcheck,
    "memory": memory,
    # the metrics' catalog it checks names against is every producer's declarations (the checks, the
    # probes with their implementations, the suites): about a tenth of ``up``'s imports, for no criterion
    "criteria": Deferred(module="validator.lint.criteria", needed=lambda spec: bool(spec.criteria)),
    "configs": configs,
    "references": references,
    "suites": suites,
    "delta-artifact": delta,
    "pyspark-version": pyspark,
    "alertmanager-api": alertmanager_api,
    "spark-healthcheck": spark_health,
    "localhost-url": localhost,
    "files": files,
    "labels": labels,
    "copied-files": copied_files,
    "secret-argv": argv,
}


def run_rules(ctx: LintContext) -> list[Finding]:
    findings: list[Finding] = []
    for rule_id, entry in RULES.items():
        if isinstance(entry, Deferred) and not entry.needed(ctx.spec):
            continue
        rule = entry.load() if isinstance(entry, Deferred) else entry
        ctx.rule = rule_id
        findings.extend(rule.check(ctx))
    return findings
