"""Secrets round 2, against the real engine: rotated values in drift reasons, ``${VAR}`` inside an
``env_file``, a value no longer interpolated, a URL secret a server echoes in requests' requoting, a
non-ASCII parametrized test id, a user label from ``${VAR}``.

Planted values are drawn from a wide alphabet (non-ASCII, spaces, quotes, URL-reserved characters).
Every output stream, every report format, ``plan --format json``, the history database's SQL dump and
``docker inspect`` of every object created are searched for every form any encoder of the product
gives any planted value (``validator.redact.ENCODERS``, with requests' and pytest's registered)."""

from __future__ import annotations

import json
import os
import secrets as random
import sqlite3
import subprocess
import sys

import pytest
import yaml

from tests.harness.http import answering
from tests.integration.conftest import remove_project

pytestmark = pytest.mark.docker

FORMATS = ["json", "junit", "markdown", "html", "openmetrics"]


def _wide(name: str) -> str:
    """A unique value with characters every encoder treats differently. ('?' and '#' would end a URL's
    path: the one planted in a URL goes without them, it stays one value of one part.)"""
    tail = "tøk é{x} !'q\"%/&=+" if name == "url" else "tøk é{x} !'q\"%/?#&=+"
    return f"{name}-{random.token_hex(5)}-{tail}"


def _forms(value: str) -> set[str]:
    from requests.utils import requote_uri

    from validator.probes.http import url_path, url_query
    from validator.redact import add_encoder, encodings
    from validator.suites.runner import _pytest_ids

    for name, encode in (("requote_uri", requote_uri), ("path", url_path), ("query", url_query)):
        add_encoder(name, encode)
    _pytest_ids()
    # the distinctive part alone too: a form cut anywhere still holds it
    return encodings(value) | {value.split("-")[1]}


@pytest.fixture
def echo_server():
    """Answers 404 with the raw request path as its body: the path as requests sent it (requoted)."""
    with answering(lambda request: (404, f"no such page: {request.path}".encode())) as port:
        yield port


def test_rotated_and_indirect_secrets_never_appear(project, echo_server):
    folder = project.folder
    old = {k: _wide(k) for k in ("cmd", "envfile", "interp", "url", "label", "ident")}
    new = {k: _wide(k) for k in ("cmd", "envfile", "interp")}
    (folder / "tests").mkdir()
    (folder / "tests" / "test_ids.py").write_text(
        "import os, pytest\n"
        "@pytest.mark.parametrize('value', [os.environ['IDENT']])\n"
        "def test_login(value):\n"
        "    assert value == 'something else'\n"
    )
    (folder / "app.env").write_text("SESSION=${ENV_FILE_SECRET}\nPLAIN=visible\n")

    def spec(interpolated: bool) -> dict[str, object]:
        web = project.sleeper(
            command=["sh", "-c", "echo started $$0; sleep 3600", "${CMD_SECRET}"],
            environment={"FROM_VAR": "${INTERP_SECRET}" if interpolated else "now-a-literal"},
            env_file="app.env",
            labels={"team": "${LABEL_SECRET}"},
        )
        data = project.spec({"web": web})
        data["probes"] = {
            "echo": {"kind": "http", "url": f"http://127.0.0.1:{echo_server}/p/${{URL_SECRET}}", "timeout": "5s"}
        }
        data["suites"] = {
            "main": {"command": "python -m pytest tests -q -p no:cacheprovider", "environment": {"IDENT": "${IDENT}"}}
        }
        data["settings"] = {"reports": [f"{f}=reports/r.{f}" for f in FORMATS]}
        return data

    def env(values: dict[str, str]) -> dict[str, str]:
        return {
            **os.environ,
            "CMD_SECRET": values["cmd"],
            "ENV_FILE_SECRET": values["envfile"],
            "INTERP_SECRET": values["interp"],
            "URL_SECRET": old["url"],
            "LABEL_SECRET": old["label"],
            "IDENT": old["ident"],
            "GITHUB_STEP_SUMMARY": str(folder / "summary.md"),
        }

    def run(values: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "validator", *args],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
            env=env(values),
        )

    (folder / "infra.yaml").write_text(yaml.safe_dump(spec(True)))
    outputs: dict[str, subprocess.CompletedProcess[str]] = {}
    try:
        outputs["lint"] = run(old, "lint")
        outputs["check"] = run(old, "check", "--no-progress", "-v")
        rotated = {**old, **new}
        outputs["plan rotated"] = run(rotated, "plan")
        outputs["plan rotated json"] = run(rotated, "plan", "--format", "json")
        (folder / "infra.yaml").write_text(yaml.safe_dump(spec(False)))
        outputs["plan literal"] = run(rotated, "plan")
        outputs["check rotated"] = run(rotated, "check", "--no-progress", "-v")
        outputs["report"] = run(rotated, "report", "--report", "json")
        outputs["history"] = run(rotated, "report", "--history", "2")
        inspected = _inspect_everything(project.name)
        outputs["down"] = run(rotated, "down", "--volumes")
    finally:
        remove_project(project.engine, project.name)

    text = "\n".join(f"== {name}\n{o.stdout}{o.stderr}" for name, o in outputs.items())
    assert outputs["check"].returncode == 1, text[-3000:]  # the probe and the test fail: their output is the bait
    assert "warning: label team: its value comes from ${...}" in outputs["lint"].stdout
    plan_text = outputs["plan rotated"].stdout
    assert outputs["plan rotated"].returncode == 1 and "command: changed" in plan_text, plan_text
    assert "environment: SESSION changed" in plan_text
    assert "environment: FROM_VAR changed" in plan_text
    assert "environment: FROM_VAR changed" in outputs["plan literal"].stdout
    assert "test_login[***redacted***]" in text and "no such page: /p/***redacted***" in text
    reasons = json.loads(outputs["plan rotated json"].stdout)["actions"][0]["reasons"]
    assert "command: changed" in reasons
    # user labels go onto the object as written (as in Compose; lint warned): left out of the search,
    # like Env and Cmd, which the container needs; every other field of every object is searched
    for obj in inspected:
        labels = (obj.get("Config") or obj).get("Labels") or {}
        labels.pop("team", None)
        if "Config" in obj:
            obj["Config"].pop("Env", None)
            obj["Config"].pop("Cmd", None)
            obj.pop("Args", None)
    files = [p for p in folder.rglob("*") if p.is_file() and p.parent.name != "tests" and p.suffix != ".yaml"]
    files = [p for p in files if p.name != "app.env"]
    assert {p.name for p in files} >= {"history.db", "r.json", "r.junit", "r.markdown", "summary.md"}
    with sqlite3.connect(folder / ".validator" / "history.db") as db:
        dump = "\n".join(db.iterdump())
    places = {
        **{name: o.stdout + o.stderr for name, o in outputs.items()},
        "docker inspect": json.dumps(inspected, ensure_ascii=False) + json.dumps(inspected),
        "history.db dump": dump,
        **{str(p.relative_to(folder)): p.read_bytes().decode("utf-8", "replace") for p in files},
    }
    for key, value in [*old.items(), *[(f"new {k}", v) for k, v in new.items()]]:
        forms = _forms(value)
        for where, content in places.items():
            found = sorted(form for form in forms if form in content)
            assert not found, f"{key} secret in {where}: {found}"


def _inspect_everything(project: str) -> list[dict[str, object]]:
    """``docker inspect`` of every container, network and volume that carries the project's label."""
    out: list[dict[str, object]] = []
    for kind in ("container", "network", "volume"):
        every = ["-a"] if kind == "container" else []
        listed = subprocess.run(
            ["docker", kind, "ls", "-q", *every, "--filter", f"label=dev.validator.project={project}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if listed:
            done = subprocess.run(["docker", kind, "inspect", *listed], capture_output=True, text=True, check=True)
            out += json.loads(done.stdout)
    return out
