"""Round-3 adversary (s9) cases 06 and 07: a secret that lands in a process's arguments (a suite's
command on the host, a command probe's exec, a service's command, health check or hook) is readable by
every local user in ps; lint warns (rule ``secret-argv``), and ``--strict`` fails on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from validator.main import main

TOKEN = "ArgvTok5566ppQQ"


def _lint(tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, *args: str) -> tuple[int, str]:
    (tmp_path / "infra.yaml").write_text("project: fixs9b-argv\n" + body)
    code = main(["lint", *args, str(tmp_path / "infra.yaml")])
    out, err = capsys.readouterr()
    return code, out + err


SERVICE = "services:\n  db:\n    image: busybox\n"
HEALTH = "    healthcheck:\n      test: "
HOOK = "    post_start:\n      - command: "
TOOL = "host:\n  tools:\n    cli:\n      command: "


@pytest.mark.parametrize(
    ("body", "where"),
    [
        # 06: a suite's command, validator's own child on the host
        ('suites:\n  api:\n    command: [python, -m, pytest, "--api-token=${API_TOKEN}"]\n', "suites.api.command[3]"),
        # 07: a command probe, an exec in the container (a host process too)
        (
            SERVICE + "probes:\n  ping:\n    kind: command\n    service: db\n"
            '    command: ["mysqladmin", "-p${API_TOKEN}", "ping"]\n',
            "probes.ping.command[1]",
        ),
        (SERVICE + '    command: "server --token ${API_TOKEN}"\n', "services.db.command"),
        (SERVICE + '    entrypoint: ["run", "${API_TOKEN}"]\n', "services.db.entrypoint[1]"),
        (SERVICE + HEALTH + '["CMD", "ping", "${API_TOKEN}"]\n', "services.db.healthcheck.test[2]"),
        (SERVICE + HOOK + '["login", "${API_TOKEN}"]\n', "services.db.post_start[0].command[1]"),
        (TOOL + '["cli", "--token=${API_TOKEN}", "--version"]\n      version: ">=1"\n', "host.tools.cli.command[1]"),
    ],
)
def test_a_secret_variable_in_an_argument_is_warned(
    body: str, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_TOKEN", TOKEN)
    code, out = _lint(tmp_path, capsys, body)
    assert code == 0 and f"{where}: warning: the value of ${{API_TOKEN}} is passed as a process argument" in out, out
    assert "pass it through the environment" in out and TOKEN not in out
    strict, _ = _lint(tmp_path, capsys, body, "--strict")
    assert strict == 1


def test_a_secret_of_the_spec_written_literally_in_an_argument_is_warned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = SERVICE + f'    environment:\n      DB_PASSWORD: {TOKEN}\n    command: ["mysqld", "--password={TOKEN}"]\n'
    code, out = _lint(tmp_path, capsys, body)
    assert (
        code == 0 and "services.db.command[1]: warning: a secret of this spec is passed as a process argument" in out
    ), out
    assert TOKEN not in out


def test_an_innocuous_variable_or_an_environment_reference_is_not_warned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_TOKEN", TOKEN)
    monkeypatch.setenv("PORT", "8080")
    # $$API_TOKEN reaches the container's shell as a name: the spec passes no value in the argument
    body = SERVICE + '    command: ["sh", "-c", "serve --port ${PORT} --token-env $$API_TOKEN"]\n'
    assert _lint(tmp_path, capsys, body) == (0, "")
