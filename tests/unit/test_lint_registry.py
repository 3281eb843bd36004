"""The lint registry's deferred rules: loaded, and run, only for a spec that has what they check; every
command that reads a spec (``up`` first) otherwise pays none of their imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.harness.specs import base_spec, write_spec
from validator.lint.context import Rule
from validator.lint.registry import RULES, Deferred
from validator.load import lint_files

ROOT = Path(__file__).resolve().parents[2]
WEB = {"image": "web:1"}


def test_each_deferred_rule_is_a_rule_module() -> None:
    deferred = {rule_id: entry for rule_id, entry in RULES.items() if isinstance(entry, Deferred)}
    assert "criteria" in deferred
    for entry in deferred.values():
        module: Rule = entry.load()
        assert callable(module.check)


def test_a_spec_with_criteria_has_them_checked(tmp_path: Path) -> None:
    spec = {**base_spec(web=WEB), "criteria": {"C1": {"title": "t", "condition": "service.web.nosuch >= 1"}}}
    findings = lint_files([str(write_spec(tmp_path, spec))], environ={})
    assert [(f.rule, f.path) for f in findings if f.severity == "error"] == [
        ("criteria", ("criteria", "C1", "condition"))
    ]


def test_reading_a_spec_without_criteria_loads_no_catalog_and_no_probes(tmp_path: Path) -> None:
    """What ``up`` loads for a spec of plain services: not the metrics' catalog (the checks, the probes'
    implementations, the suites), not ``packaging`` (read only where a spec names a version)."""
    path = write_spec(tmp_path, base_spec(web=WEB))
    heavy = ("validator.catalog", "validator.checks", "validator.probes.registry", "validator.suites", "packaging")
    code = (
        "import sys\n"
        "import validator.commands.up\n"
        "from validator.load import load_spec\n"
        f"load_spec([{str(path)!r}], environ={{}})\n"
        f"print(sorted(m for m in sys.modules if m in {heavy!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
