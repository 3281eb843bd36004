"""The one place lint rules are registered: rule id -> module with ``check(ctx)``."""

from __future__ import annotations

import importlib
from typing import cast

from validator.lint.context import LintContext, Rule
from validator.spec.location import Finding

RULES: dict[str, str] = {
    "ports": "validator.lint.ports",
    "depends-on": "validator.lint.depends_on",
    "compose": "validator.lint.compose_rules",
    "compose-files": "validator.lint.compose_files",
    "healthcheck": "validator.lint.healthcheck",
    "memory": "validator.lint.memory",
    "criteria": "validator.lint.criteria",
    "configs": "validator.lint.configs",
    "references": "validator.lint.references",
    "suites": "validator.lint.suites",
    "delta-artifact": "validator.lint.delta",
    "pyspark-version": "validator.lint.pyspark",
    "alertmanager-api": "validator.lint.alertmanager_api",
    "spark-healthcheck": "validator.lint.spark_health",
    "localhost-url": "validator.lint.localhost",
    "files": "validator.lint.files",
    "labels": "validator.lint.labels",
}


def run_rules(ctx: LintContext) -> list[Finding]:
    findings: list[Finding] = []
    for rule_id, module in RULES.items():
        rule = cast(Rule, importlib.import_module(module))
        ctx.rule = rule_id
        findings.extend(rule.check(ctx))
    return findings
