"""A planted secret never appears in console output, reports, logs, the state files or the history.
It enters three ways: ${VAR} in an environment, a key named like a password, settings.secrets."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

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
    assert "DB_PASSWORD changed (value hidden)" in text
    files = [p for p in project.folder.rglob("*") if p.is_file() and "tests" not in p.parts and p.name != "infra.yaml"]
    assert any(p.name == "history.db" for p in files) and any(p.name == "r.json" for p in files)
    for secret in (TOKEN, PASSWORD, MARKED):
        assert secret not in text, f"{secret} in command output"
        for path in files:
            assert secret.encode() not in path.read_bytes(), f"{secret} in {path}"
    report = json.loads((project.folder / "reports" / "r.json").read_text())
    echo = next(r for r in report["run"]["results"] if r["name"] == "echo")
    assert "***redacted***" in echo["message"]
