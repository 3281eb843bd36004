"""The adversarial review of secrets round 2, against the real engine: the cases that need containers.

One service logs every planted value and fails its health check with output that names a token; its
``environment`` takes a variable's *name* from ``${VAR}``. It is brought up by ``validator up``, by
``validator check`` (every report format, the history) and by ``pytest --infra-up`` (the plugin's
path, with pytest's JUnit XML), then an overlay rotates a credential away and ``plan`` / ``check --no-up``
read the old container back. Every output stream, report, the history's SQL dump and validator's labels
on every object (``docker inspect``) are searched for every form of every planted value.

Planted: the contents of a Compose ``secrets:`` file and of an ``environment:`` secret (case 06), an
``env_file`` value under a name that says nothing (14), a value with a byte that is not UTF-8 (13), a
token the health check prints after a long text (05), a variable's name from ``${VAR}`` (01), all of
them through ``pytest --infra-up`` too (11), and a credential an overlay's list item brought in and a
later version of it dropped (10).
"""

from __future__ import annotations

import json
import os
import secrets as random
import sqlite3
import subprocess
import sys

import pytest
import yaml

from tests.integration.conftest import remove_project
from tests.integration.test_secrets_round2 import FORMATS, _inspect_everything

pytestmark = pytest.mark.docker


def _forms(value: str) -> set[str]:
    from validator.redact import encodings

    return encodings(value) | {value.lower()}


def test_a_failing_service_and_a_rotated_overlay_leave_no_planted_value_anywhere(project):
    folder = project.folder
    tag = random.token_hex(4)
    planted = {
        "secret file": f"PLANTEDfile{tag}Pw7f3Kq9zX",
        "secret env": f"PLANTEDenv{tag}Key2b8Lq0wR",
        "env_file": f"PLANTEDenvfile{tag}Pw3",
        "health token": f"PLANTEDhc{tag}Qm2xV9rT4kLp8ZsW3nY6bJd5fGh0A",
        "flag name": f"PLANTEDflag{tag}x7Q2",
        "overlay": f"postgres://app:PLANTEDdb{tag}Pass9Qz@db.internal:5432/app",
    }
    undecodable = f"PLANTEDutfA{tag}".encode() + b"\xff" + f"PLANTEDutfB{tag}".encode()
    (folder / "db_password.txt").write_text(planted["secret file"] + "\n")
    (folder / "app.env").write_text(f"DATABASE_HOST_URL=postgres://app:{planted['env_file']}@db:5432/app\n")
    (folder / "tests").mkdir()
    (folder / "tests" / "test_api.py").write_text("def test_api(infra):\n    assert infra is not None\n")
    words = "the auth service rejected the bearer credential presented by the health probe; " * 4
    service = project.sleeper(
        command=[
            "sh",
            "-c",
            "echo \"login failed: $(cat /run/secrets/db_password) key $(cat /run/secrets/api_key)"
            ' $$DATABASE_HOST_URL $$ODD\"; sleep 3600',
        ],
        environment=["${FLAG_NAME}=on", "API_TOKEN=${API_TOKEN}", "ODD=${ODD}"],
        env_file="app.env",
        secrets=["db_password", "api_key"],
        healthcheck={
            "test": ["CMD-SHELL", f'echo "GET /healthz?token=$$API_TOKEN: 401 {words}"; exit 1'],
            "interval": "1s",
            "retries": 1,
        },
    )
    spec = project.spec(
        {"api": service},
        secrets={"db_password": {"file": "./db_password.txt"}, "api_key": {"environment": "SERVICE_API_KEY"}},
        settings={"reports": [f"{f}=reports/r.{f}" for f in FORMATS]},
    )
    (folder / "infra.yaml").write_text(yaml.safe_dump(spec))
    env = {
        **os.environ,
        "SERVICE_API_KEY": planted["secret env"],
        "API_TOKEN": planted["health token"],
        "FLAG_NAME": planted["flag name"],
        "ODD": os.fsdecode(undecodable),
    }

    def run(*args: str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=folder, capture_output=True, text=True, timeout=300, env=environ or env, errors="replace"
        )

    validator = [sys.executable, "-m", "validator"]
    outputs: dict[str, subprocess.CompletedProcess[str]] = {}
    try:
        outputs["up"] = run(*validator, "up", "--timeout", "30")
        outputs["check"] = run(*validator, "check", "--no-progress", "--no-suites", "-v")
        outputs["pytest"] = run(
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--infra-up", "--infra", "infra.yaml",
            "--junitxml=reports/pytest.xml", "tests",
        )  # fmt: skip
        inspected = _inspect_everything(project.name)
        # case 10: an overlay's list item brings a credential in; the next version drops it
        overlay = folder / "infra.prod.yaml"
        overlay.write_text(yaml.safe_dump({"services": {"api": {"environment": ["DATABASE_URL=${DATABASE_URL}"]}}}))
        files = ("-f", "infra.yaml", "-f", "infra.prod.yaml")
        with_overlay = {**env, "DATABASE_URL": planted["overlay"]}
        outputs["up overlay"] = run(*validator, "up", *files, "--timeout", "30", environ=with_overlay)
        inspected += _inspect_everything(project.name)
        overlay.write_text(
            yaml.safe_dump({"services": {"api": {"environment": ["DATABASE_URL=file:///run/secrets/db"]}}})
        )
        outputs["plan rotated"] = run(*validator, "plan", *files)
        outputs["plan rotated json"] = run(*validator, "plan", *files, "--format", "json")
        outputs["check rotated"] = run(*validator, "check", *files, "--no-up", "--no-suites", "--no-progress", "-v")
        outputs["down"] = run(*validator, "down", "--volumes")
    finally:
        remove_project(project.engine, project.name)

    text = "\n".join(f"== {name}\n{o.stdout}{o.stderr}" for name, o in outputs.items())
    assert outputs["up"].returncode == 1 and "last health check (exit 1)" in text, text[-3000:]
    assert outputs["pytest"].returncode != 0 and "validator up failed" in outputs["pytest"].stdout, text[-3000:]
    assert "environment: DATABASE_URL changed" in outputs["plan rotated"].stdout, text
    # the container needs its values (Env, Cmd) and Docker keeps what its health check printed: every
    # other field, validator's labels above all, is searched
    for obj in inspected:
        if "Config" in obj:
            obj["Config"].pop("Env", None)
            obj["Config"].pop("Cmd", None)
            obj.pop("Args", None)
            (obj.get("State") or {}).pop("Health", None)
    with sqlite3.connect(folder / ".validator" / "history.db") as db:
        dump = "\n".join(db.iterdump())
    reports = [p for p in (folder / "reports").iterdir() if p.is_file()]
    assert {p.name for p in reports} >= {"r.json", "r.junit", "r.markdown", "r.html", "pytest.xml"}
    places = {
        **{name: o.stdout + o.stderr for name, o in outputs.items()},
        "docker inspect": json.dumps(inspected, ensure_ascii=False) + json.dumps(inspected),
        "history.db dump": dump,
        **{p.name: p.read_bytes().decode("utf-8", "replace") for p in reports},
    }
    halves = [f"PLANTEDutfA{tag}", f"PLANTEDutfB{tag}"]
    for key, value in [*planted.items(), *[("undecodable", half) for half in halves]]:
        # the distinctive middle too: a cut piece of any form still holds it
        needles = _forms(value) | {value[7:21]}
        for where, content in places.items():
            found = sorted(form for form in needles if form in content)
            assert not found, f"{key} in {where}: {found}"
