"""The committed JSON Schema is the generated one, and validates the shipped spec with jsonschema."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from validator.commands.schema import render

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "schema" / "infra.schema.json"


def test_committed_schema_is_current():
    assert COMMITTED.read_text() == render(), "run: python -m validator schema -o schema/infra.schema.json"


def test_schema_is_valid_draft_2020_12():
    schema = json.loads(COMMITTED.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


# Specs whose values are interpolated before validation (as Compose does) are not schema-checked raw.
RAW_VALID = [p for p in sorted((ROOT / "tests/examples/valid").glob("*.yaml")) if "${" not in p.read_text()]


@pytest.mark.parametrize("path", [ROOT / "infra.yaml", ROOT / "infra.offline.yaml", *RAW_VALID], ids=lambda p: p.name)
def test_schema_validates_the_examples(path):
    data = yaml.safe_load(path.read_text())
    if path.name == "infra.offline.yaml":
        base = yaml.safe_load((ROOT / "infra.yaml").read_text())
        data = {**base, **{k: v for k, v in data.items() if k not in base}}
    errors = sorted(jsonschema.Draft202012Validator(json.loads(COMMITTED.read_text())).iter_errors(data), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_schema_rejects_what_lint_rejects():
    validator = jsonschema.Draft202012Validator(json.loads(COMMITTED.read_text()))
    bad = {"version": 1, "project": "p", "services": {"web": {"image": "x", "imagee": "y"}}}
    assert list(validator.iter_errors(bad))


def test_shipped_spec_names_the_schema_for_editors():
    first = (ROOT / "infra.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=schema/infra.schema.json"


def test_committed_report_schema_is_current():
    committed = ROOT / "schema" / "report.schema.json"
    assert committed.read_text() == render(report=True), (
        "run: python -m validator schema --report -o schema/report.schema.json"
    )
