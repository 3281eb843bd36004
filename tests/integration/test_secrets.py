"""A planted secret never appears in console output, reports, logs, the state files or the history.
It enters three ways: ${VAR} in an environment, a key named like a password, settings.secrets."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from tests.integration.conftest import remove_project

pytestmark = pytest.mark.docker

TOKEN = "planted-s3cret-token-4711"
PASSWORD = "planted-db-passw0rd-0815"
MARKED = "planted-marked-value-2323"


def test_secrets_are_redacted_everywhere(project):
    (project.folder / "tests").mkdir()
    (project.folder / "tests" / "test_leak.py").write_text(
        "import os\n"
        "def test_prints_and_fails():\n"
        "    print('token', os.environ['APP_TOKEN'], os.environ['EXTRA'])\n"
        "    assert os.environ['APP_TOKEN'] == 'something else'\n"
    )
    web = project.http_service(environment={"APP_TOKEN": "${LEAK_TOKEN}", "DB_PASSWORD": PASSWORD, "EXTRA": MARKED})
    spec = project.spec({"web": web})
    spec["probes"] = {
        "echo": {
            "kind": "command",
            "service": "web",
            "command": ["sh", "-c", "echo $$APP_TOKEN $$DB_PASSWORD $$EXTRA; exit 3"],
        },
        "url": {"kind": "http", "url": "http://127.0.0.1:9/?t=${LEAK_TOKEN}", "timeout": "2s"},
    }
    spec["suites"] = {
        "main": {
            "command": "python -m pytest tests -q -p no:cacheprovider",
            "environment": {"APP_TOKEN": "${LEAK_TOKEN}", "EXTRA": MARKED},
        }
    }
    spec["settings"] = {
        "secrets": ["EXTRA"],
        "reports": [
            "json=reports/r.json",
            "junit=reports/j.xml",
            "markdown=reports/r.md",
            "html=reports/r.html",
            "openmetrics=reports/m.prom",
        ],
    }
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    env = {"LEAK_TOKEN": TOKEN}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        import os

        return subprocess.run(
            [sys.executable, "-m", "validator", *args],
            cwd=project.folder,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, **env},
        )

    outputs = [
        run("check", "-vv", "--no-progress"),
        run("plan"),
        run("report", "--report", "json"),
        run("report", "--history", "2"),
    ]
    web["environment"]["DB_PASSWORD"] = PASSWORD + "-changed"
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    outputs += [run("plan"), run("plan", "--format", "json"), run("up", "-v")]
    assert outputs[0].returncode == 1  # the leaking test and the probe fail: their output is what must be hidden
    text = "".join(o.stdout + o.stderr for o in outputs)
    assert "DB_PASSWORD changed" in text
    files = [p for p in project.folder.rglob("*") if p.is_file() and "tests" not in p.parts and p.name != "infra.yaml"]
    assert any(p.name == "history.db" for p in files) and any(p.name == "r.json" for p in files)
    for secret in (TOKEN, PASSWORD, MARKED):
        assert secret not in text, f"{secret} in command output"
        for path in files:
            assert secret.encode() not in path.read_bytes(), f"{secret} in {path}"
    report = json.loads((project.folder / "reports" / "r.json").read_text())
    echo = next(r for r in report["run"]["results"] if r["name"] == "echo")
    assert "***redacted***" in echo["message"]


def test_every_source_every_command_every_output(project):
    """Unique random secrets planted in every source a secret enters by, through lint, plan, up (a
    crashing service prints them in its last log lines), check in every report format, report, down;
    then every output, report file, the history database and ``docker inspect`` are searched."""
    import os
    import secrets as random
    import sqlite3

    planted = {
        source: f"{source}-{random.token_hex(8)}"
        for source in ("interp", "listform", "envfile", "passthrough", "keyname", "marked", "url", "cmd")
    }
    folder = project.folder
    (folder / "app.env").write_text(f"SESSION={planted['envfile']}\nPLAIN=visible\n")
    (folder / "tests").mkdir()
    (folder / "tests" / "test_ids.py").write_text(
        "import os, pytest\n"
        "@pytest.mark.parametrize('value', [os.environ['APP_TOKEN'], os.environ['PASS_VAR']])\n"
        "def test_login(value):\n"
        "    print('got', value, os.environ['DB_URL'])\n"
        "    assert value == 'something else'\n"
    )
    environment = [
        "APP_TOKEN=${LEAK_TOKEN}",
        "DB_URL=postgres://u:${DB_PW}@h/x",
        "PASS_VAR",
        f"API_TOKEN={planted['keyname']}",
        f"EXTRA={planted['marked']}",
    ]
    echo = "echo token=$$APP_TOKEN url=$$DB_URL pass=$$PASS_VAR key=$$API_TOKEN extra=$$EXTRA session=$$SESSION"
    web = project.http_service(environment=environment, env_file="app.env")
    crasher = {  # never healthy, so up waits for it and reports its exit with its last log lines
        "image": project.image,
        "command": ["sh", "-c", f"{echo} arg=${{CMD_SECRET}}; sleep 1; exit 3"],
        "healthcheck": {"test": ["CMD", "false"], "interval": "5s", "timeout": "1s"},
        "environment": environment,
        "env_file": "app.env",
        "stop_grace_period": "1s",
    }
    spec = project.spec({"web": web, "crasher": crasher})
    spec["probes"] = {
        "echo": {"kind": "command", "service": "web", "command": ["sh", "-c", f"{echo}; exit 3"]},
        "url": {"kind": "http", "url": "http://127.0.0.1:9/?t=${URL_SECRET}", "timeout": "2s"},
    }
    spec["suites"] = {
        "main": {
            "command": "python -m pytest tests -q -p no:cacheprovider",
            "environment": {"APP_TOKEN": "${LEAK_TOKEN}", "PASS_VAR": "${PASS_VAR}", "DB_URL": "u:${DB_PW}@h"},
        }
    }
    formats = ["json", "junit", "markdown", "html", "openmetrics"]
    spec["settings"] = {"secrets": ["EXTRA", "SESSION"], "reports": [f"{f}=reports/r.{f}" for f in formats]}
    (folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    bad = project.spec({"web": {**web, "mem_limit": "${LEAK_TOKEN}"}})
    (folder / "bad.yaml").write_text(yaml.safe_dump(bad))
    env = {
        **os.environ,
        "LEAK_TOKEN": planted["interp"],
        "DB_PW": planted["listform"],
        "PASS_VAR": planted["passthrough"],
        "URL_SECRET": planted["url"],
        "CMD_SECRET": planted["cmd"],
        "GITHUB_STEP_SUMMARY": str(folder / "summary.md"),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "validator", *args],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )

    try:
        outputs = {
            "lint bad": run("lint", "bad.yaml"),
            "lint bad json": run("lint", "--format", "json", "bad.yaml"),
            "plan": run("plan"),
            "up": run("up", "-v", "--timeout", "60"),
            "check": run("check", "-vv", "--no-progress"),
            "plan json": run("plan", "--format", "json"),
            "report": run("report", "--report", "json"),
            "report history": run("report", "--history", "2"),
        }
        for name, code in (("lint bad", 1), ("up", 1), ("check", 1)):
            assert outputs[name].returncode == code, (name, outputs[name].stdout[-2000:], outputs[name].stderr[-2000:])
        inspect = subprocess.run(
            ["docker", "inspect", *[c["Id"] for c in project.containers().values()]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        outputs["down"] = run("down", "--volumes")
    finally:
        remove_project(project.engine, project.name)
    text = "\n".join(f"== {name}\n{o.stdout}{o.stderr}" for name, o in outputs.items())
    assert "***redacted***" in text and "test_login[***redacted***]" in text  # a parametrized id
    up_text = outputs["up"].stdout + outputs["up"].stderr
    # the crash's last log lines, every value masked (a registered form may take its key's name with it:
    # any 12 characters of a form are masked, and "APP_TOKEN=value" is one; over-masking is the safe side)
    assert "last log lines:" in up_text and "pass=***redacted*** key=***redacted*** extra=***redacted***" in up_text
    # docker inspect: the values reach the containers where they need them (Env, Cmd/Args); no other place
    containers = json.loads(inspect)
    assert containers
    for container in containers:
        container["Config"].pop("Env")
        container["Config"].pop("Cmd")
        container.pop("Args")
    inspected = json.dumps(containers)
    sources = ("app.env", "infra.yaml", "bad.yaml")
    files = [p for p in folder.rglob("*") if p.is_file() and p.parent.name != "tests" and p.name not in sources]
    assert {p.name for p in files} >= {"history.db", "r.json", "r.junit", "r.markdown", "summary.md"}
    for source, secret in planted.items():
        for name, output in outputs.items():
            assert secret not in output.stdout + output.stderr, f"{source} secret in the output of {name}"
        assert secret not in inspected, f"{source} secret in docker inspect"
        for path in files:
            assert secret.encode() not in path.read_bytes(), f"{source} secret in {path}"
    with sqlite3.connect(folder / ".validator" / "history.db") as db:
        dump = "\n".join(db.iterdump())
    assert dump and not [s for s in planted.values() if s in dump]
