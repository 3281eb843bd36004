"""Every file under tests/examples/invalid/ gets exactly its expected located lines and exit 1;
every file under tests/examples/valid/ (and the shipped infra.yaml) lints clean."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from validator.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "examples"
INVALID = sorted((EXAMPLES / "invalid").glob("*.yaml"))
VALID = sorted((EXAMPLES / "valid").glob("*.yaml"))
OVERLAYS = sorted(p for p in (EXAMPLES / "overlays").iterdir() if p.is_dir())


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["lint", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def test_corpus_is_large_and_distinct():
    expected = {p.with_suffix(".expected").read_text() for p in INVALID}
    assert len(INVALID) >= 60
    assert len(expected) == len(INVALID), "two cases produce the same message: they are not distinct mistakes"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_spec(path: Path, capsys, monkeypatch):
    monkeypatch.chdir(path.parent)
    for name in list(os.environ):
        if name.startswith("VALIDATOR_TEST_"):
            monkeypatch.delenv(name)
    code, out = lint(capsys, path.name)
    assert code == 1
    assert out == path.with_suffix(".expected").read_text()
    for line in out.splitlines():
        assert line.startswith(f"{path.name}:"), line
        _, line_no, col, rest = line.split(":", 3)
        assert int(line_no) >= 1 and int(col) >= 1 and rest.strip()


ADOPT = [ROOT / "examples" / "adopt" / "infra.yaml", ROOT / "examples" / "adopt" / "docker-compose.yml"]


@pytest.mark.parametrize("path", [*VALID, ROOT / "infra.yaml", *ADOPT], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_valid_spec(path: Path, capsys, monkeypatch):
    monkeypatch.chdir(path.parent)
    assert lint(capsys, path.name) == (0, "")


@pytest.mark.parametrize("case", OVERLAYS, ids=lambda p: p.name)
def test_overlays(case: Path, capsys, monkeypatch):
    monkeypatch.chdir(case)
    code, out = lint(capsys, "infra.ci.yaml")
    expected = case / "expected"
    if expected.exists():
        text = expected.read_text()
        assert out == text
        assert code == (0 if all(": warning: " in line for line in text.splitlines()) else 1)
    else:
        assert (code, out) == (0, "")
    assert lint(capsys, "-f", "infra.yaml", "-f", "infra.ci.yaml") == (code, out)


def test_overlay_merge_result():
    from validator.load import load_spec

    case = EXAMPLES / "overlays" / "valid-merge"
    spec = load_spec([str(case / "infra.yaml"), str(case / "infra.ci.yaml")]).spec
    web = spec.services["web"]
    assert web.image == "web:local"
    assert web.environment == {"MODE": "ci", "LOG": "info"}
    assert [str(b) for p in web.ports for b in p.bindings()] == ["127.0.0.1:8080:80/tcp", "127.0.0.1:8443:443/tcp"]
    assert [(v.source, v.target) for v in web.volumes] == [("./conf-ci", "/etc/web")]
    assert web.command == ["httpd", "-f"]
    assert spec.services["db"].mem_limit is None


def test_a_50_mb_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open("huge.yaml", "wb") as handle:
        handle.write(b"version: 1\nproject: huge\nx-pad: '")
        handle.write(b"a" * (50 * 1024 * 1024))
        handle.write(b"'\n")
    code, out = lint(capsys, "huge.yaml")
    assert code == 1
    assert out == "huge.yaml:1:1: file is too large (50.0 MiB; a spec may be at most 2 MiB)\n"


def test_a_directory(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "infra.yaml").mkdir()
    assert lint(capsys, "infra.yaml") == (1, "infra.yaml:1:1: is a directory, not a spec file\n")


def test_missing_file_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert lint(capsys, "nope.yaml") == (2, "nope.yaml: no such file\n")


def test_all_files_in_one_pass(capsys, monkeypatch):
    monkeypatch.chdir(EXAMPLES / "invalid")
    names = [p.name for p in INVALID[:10]]
    code, out = lint(capsys, *names)
    assert code == 1
    assert out == "".join((EXAMPLES / "invalid" / n).with_suffix(".expected").read_text() for n in names)


def test_json_output(capsys, monkeypatch):
    import json

    monkeypatch.chdir(EXAMPLES / "invalid")
    code, out = lint(capsys, "--format", "json", "unknown-service-key.yaml")
    assert code == 1
    assert json.loads(out) == [
        {
            "file": "unknown-service-key.yaml",
            "line": 6,
            "column": 5,
            "path": "services.web.imagee",
            "severity": "error",
            "rule": "schema",
            "message": "unknown key 'imagee' (did you mean 'image'?)",
        }
    ]


WARNINGS = sorted((EXAMPLES / "warnings").glob("*.yaml")) + sorted((EXAMPLES / "warnings").glob("*/infra.yaml"))


@pytest.mark.parametrize("path", WARNINGS, ids=lambda p: p.parent.name if p.name == "infra.yaml" else p.stem)
def test_warnings_print_but_pass_unless_strict(path: Path, capsys, monkeypatch):
    monkeypatch.chdir(path.parent)
    expected = (path.parent / "expected" if path.name == "infra.yaml" else path.with_suffix(".expected")).read_text()
    code, out = lint(capsys, path.name)
    assert (code, out) == (0, expected)
    assert all(": warning: " in line or " warning: " in line for line in out.splitlines())
    assert lint(capsys, "--strict", path.name) == (1, expected)


@pytest.mark.parametrize("command", ["plan", "up", "down", "check"])
def test_every_other_command_exits_2_on_every_bad_spec(command, capsys, monkeypatch, tmp_path):
    """A bad spec stops every command before it touches Docker: exit 2, the same located lines."""
    monkeypatch.chdir(EXAMPLES / "invalid")
    for name in list(os.environ):
        if name.startswith("VALIDATOR_TEST_"):
            monkeypatch.delenv(name)
    for path in INVALID:
        code = main([command, "-f", path.name, "--host", "unix:///nonexistent-validator.sock"])
        out, err = capsys.readouterr()
        assert code == 2, (command, path.name, out, err)
        assert err == path.with_suffix(".expected").read_text(), (command, path.name)
        assert "Traceback" not in out + err
