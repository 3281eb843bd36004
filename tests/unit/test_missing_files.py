"""A missing env or label file: Compose refuses the project (`config`, `up`), and `docker compose down`
goes ahead. lint says where; plan, up and check refuse it, located, before contacting Docker (exit 2);
down, which reads none of these files, goes ahead (here: to the engine it cannot reach, exit 3)."""

from __future__ import annotations

import re

import pytest

from validator.main import main

SPEC = """\
services:
  web:
    image: busybox
    env_file:
      - missing.env
      - path: also-missing.env
      - path: optional.env
        required: false
    label_file: missing.labels
  later:
    image: busybox
    profiles: [later]
    env_file: later.env
"""
NO_ENGINE = "unix:///nonexistent-validator.sock"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "compose.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COMPOSE_PROFILES", raising=False)
    return tmp_path


def test_lint_locates_each_missing_file(folder, capsys):
    assert main(["lint", "compose.yaml"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "compose.yaml:5:9: services.web.env_file[0]: env_file missing.env does not exist: Compose refuses a "
        "missing env file unless the entry says required: false",
        "compose.yaml:6:15: services.web.env_file[1].path: env_file also-missing.env does not exist: Compose "
        "refuses a missing env file unless the entry says required: false",
        "compose.yaml:9:17: services.web.label_file: label_file missing.labels does not exist: Compose refuses a "
        "missing label file",
        "compose.yaml:13:15: services.later.env_file: warning: env_file later.env does not exist: Compose refuses "
        "a missing env file unless the entry says required: false (when profile 'later' is enabled)",
    ]


@pytest.mark.parametrize("command", ["plan", "up", "check"])
def test_commands_that_read_them_refuse_before_docker(folder, capsys, command):
    assert main([command, "-f", "compose.yaml", "--host", NO_ENGINE]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and all(re.match(r"compose\.yaml:\d+:\d+: services\.web\.", line) for line in lines)
    assert all("does not exist" in line for line in lines)  # the profile's service is not enabled: not named


def test_an_enabled_profile_brings_its_service_file_in(folder, capsys):
    assert main(["plan", "-f", "compose.yaml", "--profile", "later", "--host", NO_ENGINE]) == 2
    assert "services.later.env_file[0]: env_file later.env does not exist" in capsys.readouterr().err


def test_down_reads_none_of_them_and_goes_ahead(folder, capsys):
    assert main(["down", "-f", "compose.yaml", "--host", NO_ENGINE]) == 3  # the engine, not the spec
    assert "does not exist" not in capsys.readouterr().err
