"""The one place lint rules are registered: rule id -> module with ``check(ctx)``; mypy checks each
module against ``Rule``."""

from __future__ import annotations

from validator.lint import (
    alertmanager_api,
    compose_files,
    compose_rules,
    configs,
    copied_files,
    criteria,
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

RULES: dict[str, Rule] = {
    "ports": ports,
    "depends-on": depends_on,
    "compose": compose_rules,
    "compose-files": compose_files,
    "healthcheck": healthcheck,
    "memory": memory,
    "criteria": criteria,
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
}


def run_rules(ctx: LintContext) -> list[Finding]:
    findings: list[Finding] = []
    for rule_id, rule in RULES.items():
        ctx.rule = rule_id
        findings.extend(rule.check(ctx))
    return findings
