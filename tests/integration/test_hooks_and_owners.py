"""``post_start``/``pre_stop`` hooks and the owner and mode of secrets and configs, on the real engine,
against Compose's own binary where Compose applies them (engine API 1.41)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from validator.engine import labels as L
from validator.engine.compose_observe import SERVICE, compose_filter

pytestmark = pytest.mark.docker


def compose(binary: Path, folder: Path, name: str, data: dict[str, Any], *args: str) -> Any:
    file = folder / "compose.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False))
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    return subprocess.run(
        [str(binary), "-p", name, "-f", str(file), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def container(engine: Any, filters: dict[str, list[str]], label: str, service: str) -> str:
    (found,) = [c["Id"] for c in engine.containers(filters) if c["Labels"].get(label) == service]
    return found


def test_post_start_hooks_run_as_composes_do(engine, project, compose_bin, tmp_path):
    hook = {"command": "sh -c 'echo $$GREETING from $$(id -u) in $$(pwd) > /tmp/hooked'", "user": "1000"}
    hook.update(environment={"GREETING": "hello"}, working_dir="/www")
    services = {"app": project.sleeper(post_start=[hook])}
    theirs = f"{project.name}c"
    try:
        done = compose(compose_bin, tmp_path, theirs, {"services": services}, "up", "-d")
        assert done.returncode == 0, done.stderr
        assert project.up(services).ok, project.lines
        seen = {}
        for tool, filters, label in (
            ("compose", compose_filter(theirs), SERVICE),
            ("validator", L.project_filter(project.name), L.SERVICE),
        ):
            code, text = engine.exec(container(engine, filters, label, "app"), ["cat", "/tmp/hooked"])
            seen[tool] = (code, text)
        assert seen["validator"] == seen["compose"] == (0, "hello from 1000 in /www\n")
    finally:
        compose(compose_bin, tmp_path, theirs, {"services": services}, "down", "-t", "0")


def test_a_failing_post_start_hook_fails_the_service_as_in_compose(engine, project, compose_bin, tmp_path):
    services = {"app": project.sleeper(post_start=[{"command": "sh -c 'echo no such thing; exit 127'"}])}
    theirs = f"{project.name}c"
    try:
        done = compose(compose_bin, tmp_path, theirs, {"services": services}, "up", "-d")
        assert done.returncode != 0 and "hook exited with status 127" in done.stderr, done.stderr
        result = project.up(services)
        assert not result.ok
        message = result.services["app"].message
        assert message.startswith("app: post_start hook exited with status 127"), message
        assert "no such thing" in message
    finally:
        compose(compose_bin, tmp_path, theirs, {"services": services}, "down", "-t", "0")


def test_pre_stop_hooks_run_before_down_stops_and_a_failing_one_fails_it_after(engine, project):
    volume = f"{project.name}_data"
    write = {"command": ["sh", "-c", "echo stopping >> /data/log"]}
    services = {
        "keeper": project.sleeper(volumes=["data:/data"], pre_stop=[write]),
        "broken": project.sleeper(pre_stop=[{"command": ["sh", "-c", "echo cleanup failed; exit 3"]}]),
    }
    top = {"volumes": {"data": None}}
    assert project.up(services, extra=top).ok, project.lines
    spec = project.folder / "infra.yaml"
    spec.write_text(yaml.safe_dump(project.spec(services, **top), sort_keys=False))
    down = project.cli("down", "-f", str(spec))
    assert down.returncode == 1, down.stdout + down.stderr
    assert "pre_stop hook exited with status 3" in down.stderr
    assert engine.containers(L.project_filter(project.name)) == []  # stopped and removed all the same
    read = subprocess.run(
        ["docker", "run", "--rm", "-v", f"{volume}:/data", project.image, "cat", "/data/log"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert read.stdout == "stopping\n", read.stderr
    subprocess.run(["docker", "volume", "rm", volume], capture_output=True)


def test_secret_and_config_owners_and_modes(engine, project, compose_bin, tmp_path, monkeypatch):
    """From a variable or inline content Compose copies them in with their uid, gid and mode, and so
    does validator; from a file Compose 2.40 bind-mounts them and ignores the three (with a warning),
    validator copies that one in with them too (a difference by design, docs/spec.md)."""
    monkeypatch.setenv("ORACLE_SECRET", "planted-owned-secret")
    for folder in (tmp_path, project.folder):
        (folder / "token.txt").write_text("from-a-file")
    services = {
        "app": project.sleeper(
            secrets=[
                {"source": "env", "uid": "1000", "gid": "2000", "mode": 0o400},
                {"source": "file", "uid": "1000", "gid": "2000", "mode": 0o440},
            ],
            configs=[{"source": "inline", "target": "/etc/inline", "mode": 0o640, "uid": "7"}],
        )
    }
    top = {
        "secrets": {"env": {"environment": "ORACLE_SECRET"}, "file": {"file": "./token.txt"}},
        "configs": {"inline": {"content": "a=1\n"}},
    }
    theirs = f"{project.name}c"
    try:
        done = compose(compose_bin, tmp_path, theirs, {"services": services, **top}, "up", "-d")
        assert done.returncode == 0, done.stderr
        assert project.up(services, extra=top).ok, project.lines
        listing = {}
        for tool, filters, label in (
            ("compose", compose_filter(theirs), SERVICE),
            ("validator", L.project_filter(project.name), L.SERVICE),
        ):
            cid = container(engine, filters, label, "app")
            rows = {}
            for path in ("/run/secrets/env", "/run/secrets/file", "/etc/inline"):
                _, text = engine.exec(cid, ["ls", "-ln", path])
                _, content = engine.exec(cid, ["cat", path])
                mode, _, uid, gid = text.split()[:4]
                rows[path] = (mode, uid, gid, content)
            listing[tool] = rows
        for path in ("/run/secrets/env", "/etc/inline"):  # what Compose applies: equal
            assert listing["validator"][path] == listing["compose"][path], path
        assert listing["validator"]["/run/secrets/env"] == ("-r--------", "1000", "2000", "planted-owned-secret")
        assert listing["validator"]["/etc/inline"] == ("-rw-r-----", "7", "0", "a=1\n")
        assert listing["validator"]["/run/secrets/file"] == ("-r--r-----", "1000", "2000", "from-a-file")
        assert listing["compose"]["/run/secrets/file"][1:] == ("0", "0", "from-a-file")  # ignored by Compose
    finally:
        compose(compose_bin, tmp_path, theirs, {"services": services, **top}, "down", "-t", "0")
