"""A parser of a user file never repeats the text it failed on: a line that does not parse may be the one
holding a password, and nothing has registered it as a secret yet (``validator.spec.problems``).

Each parser is driven with text built around a unique planted value, and every error it raises (and
every finding the CLI prints for it: ``lint``, ``plan``, ``check`` fail on the same load) is searched
for the value in any form an encoder of the product gives it."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.errors import SpecError
from validator.formats import FORMATS, FormatError, parse_config
from validator.main import main
from validator.redact import encodings
from validator.spec.dotenv import DotenvError, parse_dotenv
from validator.spec.interpolate import InterpolationError, interpolate
from validator.spec.loader import load_text

PLANTED = "Zq7xPlantedVal"  # letters only: no parser splits it, and it is no name a message may show
FORMS = encodings(PLANTED) | {PLANTED.lower(), PLANTED.upper()}


def _clean(text: str) -> bool:
    return not any(form in text for form in FORMS)


PIECES = [PLANTED, f"{PLANTED} {PLANTED}", *"=:'\"\\${}#\n\t -[]&*!|>,?%@`", "${", "${A:?", "export ", "é"]
texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=25).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_dotenv_errors_never_hold_the_text(text):
    """A key is the file's structure, as a YAML key is: an unclosed quote names the key it follows
    (``the value of DB_PASSWORD opens a double quote``), never the value."""
    try:
        parse_dotenv(text, {})
    except DotenvError as exc:
        message = str(exc).replace(exc.name, "KEY") if exc.name else str(exc)
        assert _clean(message), str(exc)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_interpolation_errors_never_hold_the_text(text):
    try:
        interpolate(text, {})
    except InterpolationError as exc:
        assert _clean(str(exc)), str(exc)


@settings(max_examples=300, deadline=None)
@given(texts, st.sampled_from(FORMATS))
def test_config_file_errors_never_hold_the_text(text, fmt):
    try:
        parse_config(text, fmt)
    except FormatError as exc:
        assert _clean(str(exc)), str(exc)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_spec_yaml_errors_never_hold_a_value(text):
    """Keys are the document's structure and may be named (``duplicate key 'x'``); values never."""
    try:
        load_text(f"version: 1\nproject: p\nx-v: {text}\n", "t.yaml", {})
    except SpecError as exc:
        for finding in exc.findings:
            assert _clean(finding.message) or "duplicate key" in finding.message, finding.message


def _value() -> str:
    return f"planted{secrets.token_hex(6)}"


CASES = {
    # name: (files to write, {} -> the planted value is substituted for {v})
    "dotenv unterminated": {".env": 'DB_PASSWORD="{v}\nOTHER=1\n', "infra.yaml": "version: 1\nproject: p\n"},
    "dotenv bad key": {".env": "A=1\n{v} {v}\n", "infra.yaml": "version: 1\nproject: p\n"},
    "dotenv interpolation": {".env": "A=x ${{{v}\n", "infra.yaml": "version: 1\nproject: p\n"},
    "env_file unterminated": {
        "app.env": "API_KEY='{v}\n",
        "infra.yaml": "version: 1\nproject: p\nservices:\n  web: {{image: busybox, env_file: app.env}}\n",
    },
    "env_file interpolation": {
        "app.env": "API_KEY=${{{v}:-x\n",
        "infra.yaml": "version: 1\nproject: p\nservices:\n  web: {{image: busybox, env_file: app.env}}\n",
    },
    "spec unterminated": {"infra.yaml": 'version: 1\nproject: p\nservices:\n  web: {{image: "x ${{{v}"}}\n'},
    "spec required": {"infra.yaml": 'version: 1\nproject: p\nservices:\n  web: {{image: "${{NOPE:?{v}}}"}}\n'},
    "spec operator": {"infra.yaml": 'version: 1\nproject: p\nservices:\n  web: {{image: "${{NOPE*{v}}}"}}\n'},
    "spec bad tag value": {"infra.yaml": "version: 1\nproject: p\nx-a: !!int {v}\n"},
    "spec tag": {"infra.yaml": "version: 1\nproject: p\nx-a: !{v} 1\n"},
    "include env_file": {
        "inc.env": 'TOKEN="{v}\n',
        "inc.yaml": "services:\n  a: {{image: busybox}}\n",
        "infra.yaml": "version: 1\nproject: p\ninclude:\n  - {{path: inc.yaml, env_file: inc.env}}\n",
    },
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("command", ["lint", "plan", "check"])
def test_no_command_prints_the_text_it_failed_on(tmp_path, capsys, case, command):
    value = _value()
    for name, content in CASES[case].items():
        (tmp_path / name).write_text(content.format(v=value))
    args = {"lint": ["lint"], "plan": ["plan", "-f"], "check": ["check", "--no-history", "-f"]}[command]
    code = main([*args, str(tmp_path / "infra.yaml")])
    out, err = capsys.readouterr()
    assert code in (1, 2), (code, out, err)
    assert out + err, "a problem is reported"
    forms = encodings(value)
    assert not [form for form in forms if form in out + err], out + err


def test_every_case_is_an_error_with_a_place(tmp_path, capsys):
    for case, files in CASES.items():
        folder = tmp_path / case.replace(" ", "-")
        folder.mkdir()
        for name, content in files.items():
            (folder / name).write_text(content.format(v=_value()))
        assert main(["lint", str(folder / "infra.yaml")]) == 1, case
        lines = capsys.readouterr().out.splitlines()
        assert lines and all(":" in line.split(" ")[0] for line in lines), (case, lines)


def test_a_yaml_config_value_pyyaml_cannot_construct_is_said_without_it():
    with pytest.raises(FormatError) as info:
        parse_config(f"a: !!int {PLANTED}\n", "yaml")
    assert _clean(str(info.value)) and "cannot be read as its YAML type" in str(info.value)


def test_ini_errors_keep_the_line_not_its_text():
    with pytest.raises(FormatError) as info:
        parse_config(f"password = {PLANTED}\n", "ini")
    assert str(info.value) == "line 1: expected a [section] header before the first key"


def test_yaml_problems_keep_what_was_expected():
    with pytest.raises(SpecError) as info:
        load_text("version: 1\nx: [1, 2\ny: 3\n", "t.yaml", {})
    assert "expected ',' or ']'" in str(info.value)


def test_the_planted_value_would_be_found(tmp_path):
    """The search is not blind: a message that quoted the text would fail these tests."""
    assert not _clean(f"unterminated quoted value {PLANTED}")
    assert not _clean(repr(PLANTED.lower()))
    assert yaml.safe_load(f"a: {PLANTED}") == {"a": PLANTED}
    assert Path(tmp_path).is_dir()
