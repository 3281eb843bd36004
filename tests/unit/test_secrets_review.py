"""The adversarial review of secrets round 2: each case it found, as a test through the nearest seam.

Every case planted a unique value and searched every output for it; here each is reproduced as small as
its path allows (the ones that need containers are in ``tests/integration/test_secrets_review.py``) and
fails on the code the review attacked. The classes, and the rule that closes each:
A/B text is masked before it is cut or quoted (``redact.clip`` / ``tail`` / ``quoted``; the source is
held to it by ``test_raw_text.py``); C a value is registered in the forms the product turns it into, and
a project is never named from a variable; D the load registers every secret, whatever the command; E
labels seal names too, provenance is named by each item's own text; F every path read is resolved once,
confined, and every failure is a located finding.
"""

from __future__ import annotations

import json
import os
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml

from tests.harness.http import answering
from validator import redact
from validator.redact import MASK, encodings


def _forms(*values: str) -> set[str]:
    """Every form an encoder of the product gives each value, and its lower-cased form."""
    return {form for value in values for form in encodings(value) | {value.lower()}}


def _clean(text: str, *values: str) -> bool:
    return not any(form in text for form in _forms(*values))


def _write(folder: Path, data: dict[str, object], name: str = "infra.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    from validator.main import main

    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


# --- B: repr of a larger text escapes the secret's apostrophe (case 02) ---------------------------


def test_a_value_quoted_inside_a_larger_text_is_masked_before_it_is_quoted(tmp_path, monkeypatch, capsys):
    planted = "PLANTED'dbPw-7Kq2x"
    monkeypatch.setenv("DB_PASSWORD", planted)
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path,
        {
            "version": 1,
            "project": "rev-c02",
            "services": {
                "api": {
                    "image": "busybox",
                    "environment": {"DB_PASSWORD": "${DB_PASSWORD}"},
                    "healthcheck": {"test": ['mysqladmin ping -u root "-p${DB_PASSWORD}"']},
                    "mem_limit": '"${DB_PASSWORD}',
                }
            },
        },
    )
    for args in (("lint",), ("lint", "--format", "json"), ("plan",)):
        code, out = _main(capsys, *args)
        # the bad size is described, never quoted (masked or not): "invalid size (a string of 19 characters)"
        assert code in (1, 2) and "a string of" in out, out
        assert _clean(out, planted) and "PLANTED\\'dbPw" not in out, out


def test_both_quote_styles_of_repr_are_registered():
    secret = "PLANTED'dbPw-7Kq2x"
    larger = repr(f'-p"{secret}')  # repr escapes the apostrophe: the text holds a double quote too
    assert "\\'" in larger
    assert "dbPw" not in redact.Redactor([secret]).text(larger)


# --- A: cut before masked, then decorated (cases 03, 04, 05, 15) ---------------------------------


def _rejected(request: BaseHTTPRequestHandler) -> tuple[int, bytes]:
    """401 with the Authorization header it rejected in the body (as echo endpoints and gateways do)."""
    return 401, json.dumps({"error": "invalid token", "received": request.headers.get("Authorization", "")}).encode()


@pytest.fixture
def echo_port():
    with answering(_rejected) as port:
        yield port


def _probe(tmp_path: Path, environ: dict[str, str], probe: dict[str, object]):
    from tests.harness.specs import load_dict
    from validator.checks.probes import run_probe
    from validator.probes.base import ProbeContext

    loaded = load_dict(tmp_path, {"version": 1, "project": "rev", "probes": {"p": probe}}, environ)
    ctx = ProbeContext(spec=loaded.spec, base_dir=loaded.base_dir, deadline=time.monotonic() + 30)
    result = run_probe(loaded, "p", ctx)
    return redact.redactor().result(result)


JWT = (
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaS1ib3QiLCJzY29wZSI6ImFkbWluIiwiZXhwIjo0MTAyNDQ0ODAwfQ."
    "PLANTEDxSECRETxSIGNATURExQWERTYUIOPASDFGHJKLZXCVBNM1234567890abcdefghijklmnopqrstuvwxyz"
)


def test_a_response_body_is_masked_before_it_is_cut_and_quoted(tmp_path, echo_port):
    probe = {
        "kind": "http",
        "url": f"http://127.0.0.1:{echo_port}/v1/me",
        "headers": {"Authorization": "Bearer ${API_TOKEN}"},
        "status": 200,
    }
    result = _probe(tmp_path, {"API_TOKEN": JWT}, probe)
    shown = f"{result.message} {result.actual}"
    assert result.verdict == "fail" and MASK in shown, shown
    assert "PLANTEDxSECRET" not in shown and "eyJzdWIiOiJjaS1ib3Qi" not in shown, shown


def test_an_exception_is_masked_before_it_is_cut_and_a_suffix_added(tmp_path, echo_port):
    secret = "PLANTEDwhk9XkQ2rT7vLmN4pZ8sYc"
    long_path = "/services/T0CIBOT00/B0ALERTS00/incoming/webhooks/v2/teams/platform-eng/alerts/ci/release-pipeline-x"
    probe = {
        "kind": "http",
        "url": f"https://127.0.0.1:{echo_port}{long_path}/${{WEBHOOK_SECRET}}",  # TLS to a plain port
        "retries": 1,
        "retry_interval": "100ms",
    }
    result = _probe(tmp_path, {"WEBHOOK_SECRET": secret}, probe)
    assert "after 2 attempts" in result.message, result.message
    assert "PLANTEDwhk" not in result.message, result.message


class _HealthEngine:
    """What the waiter asks the engine when it explains a failure: the health log, the last log lines."""

    def __init__(self, output: str) -> None:
        self.output = output

    def try_inspect(self, container: str) -> dict[str, object]:
        return {"State": {"Health": {"Log": [{"ExitCode": 1, "Output": self.output}]}}}

    def logs(self, container: str, tail: int = 10) -> str:
        return ""


def test_health_output_is_masked_before_its_tail_is_kept_and_quoted():
    import queue

    from validator.engine.waiter import Timing, Waiter

    token = "PLANTEDhc7Qm2xV9rT4kLp8ZsW3nY6bJd5fGh0A"
    redact.register([token])
    # the last 300 characters begin two characters into the token: a cut through it
    rest = ": 401 invalid_token - " + "the auth service rejected the credential; " * 7
    output = f"GET /healthz?token={token}" + rest[: 300 - len(token) + 2]
    waiter = Waiter(
        engine=_HealthEngine(output),  # type: ignore[arg-type]
        events=queue.Queue(),
        container="c",
        service="api",
        target="healthy",
        startup_timeout=1,
        health_timeout=1,
        restart_grace=None,
        requested_mono=0,
        timing=Timing(requested_at=0),
        deadline=0,
    )
    evidence = waiter._evidence()
    assert "last health check (exit 1)" in evidence
    assert "hc7Qm2xV9rT4" not in evidence and "ANTEDhc7" not in evidence, evidence


def test_a_tool_output_is_masked_before_it_is_cut_and_quoted(tmp_path, monkeypatch):
    from tests.harness.specs import load_dict
    from validator.checks.preflight import _tool

    token = "PLANTEDvlt8KqZxWmRnTyUiOpAs"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "vaultcli"
    tool.write_text('#!/bin/sh\necho "vaultcli: error: cannot reach https://vault.internal/v1 with token $2"\n')
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    spec = {
        "version": 1,
        "project": "rev-c15",
        "host": {"tools": {"vaultcli": {"command": ["vaultcli", "version", "${VAULT_TOKEN}"], "version": ">=1.0"}}},
    }
    loaded = load_dict(tmp_path, spec, {"VAULT_TOKEN": token, "PATH": os.environ["PATH"]})
    result = redact.redactor().result(_tool(loaded, "vaultcli", loaded.spec.host.tools["vaultcli"]))
    assert "no version in its output" in result.message, result.message
    assert "PLANTEDvlt8" not in result.message, result.message


def test_clip_tail_and_quoted_mask_first():
    secret = "PLANTEDcut-9x8y7z6w5v"
    redact.register([secret])
    text = "x" * 30 + secret + "y" * 30
    for cut in range(31, 31 + len(secret)):
        assert "PLANTED" not in redact.quoted(redact.clip(text, cut + 24)) + " (after 2 attempts)"
        assert "9x8y7z" not in redact.quoted(redact.tail(text[: cut + 1], 30))
    assert redact.quoted({"k": [secret]}) == repr({"k": [MASK]})


# --- C: transformed after registration (cases 07, 13) --------------------------------------------


def test_a_project_is_never_named_from_a_variable(tmp_path, monkeypatch, capsys):
    planted = "ADVSEC-Tenant-Acme7Q2"
    monkeypatch.setenv("TENANT_STACK", planted)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "compose.yaml").write_text(
        "name: ${TENANT_STACK}\nservices:\n  app: {image: busybox, command: [sleep, '1']}\n"
    )
    code, out = _main(capsys, "lint")
    assert code == 1 and "name: comes from ${...}" in out and "COMPOSE_PROJECT_NAME" in out, out
    code, out = _main(capsys, "plan", "--format", "json")
    assert code == 2 and _clean(out, planted), out
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", "tenant-acme")  # the way to name a stack per tenant
    code, out = _main(capsys, "lint")
    assert code == 0, out


def test_a_byte_that_is_not_utf8_is_masked_as_it_comes_back_from_the_engine():
    secret = b"PLANTEDutfA7Qz\xffPLANTEDutfB9Xk".decode("utf-8", "surrogateescape")
    r = redact.Redactor([secret])
    back = secret.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    for text in (back, json.dumps(secret), secret.replace("\udcff", "\ufffd")):
        masked = r.text(f"rejected token {text}.")
        assert "PLANTEDutf" not in masked, masked


# --- D: registration belongs to loading the spec (cases 06, 12, 14) -------------------------------


def test_loading_registers_secret_files_and_variables_for_every_command(tmp_path):
    from tests.harness.specs import load_dict

    (tmp_path / "db_password.txt").write_text("PLANTEDdbPw-7f3Kq9zX\n")
    (tmp_path / "app.env").write_text("DATABASE_URL=postgres://app:PLANTEDenvfilePw3@db:5432/app\n")
    spec = {
        "version": 1,
        "project": "rev-c06",
        "secrets": {"db_password": {"file": "./db_password.txt"}, "api_key": {"environment": "SERVICE_API_KEY"}},
        "services": {"db": {"image": "busybox", "secrets": ["db_password", "api_key"], "env_file": "app.env"}},
    }
    load_dict(tmp_path, spec, {"SERVICE_API_KEY": "PLANTEDenvKey-2b8Lq0wR"})  # no command registers: the load does
    shown = redact.text("password=PLANTEDdbPw-7f3Kq9zX key PLANTEDenvKey-2b8Lq0wR postgres://app:PLANTEDenvfilePw3@db")
    assert "PLANTED" not in shown, shown
    # a secret's *name* is no secret: the schema's own key ``secrets`` holds names
    assert redact.text("secret db_password") == "secret db_password"


def test_a_config_file_value_under_a_secret_named_key_is_masked_whole(tmp_path, run_cli):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "gateway.yaml").write_text(
        "auth:\n  api_tokens: [PLANTEDgwTokA-9c1Xq7Lm, PLANTEDgwTokB-3v8Rt2Ns]\n"
        "database:\n  host: db.internal\n  password: PLANTEDdbPw-5t6Yh1Qa\n"
    )
    spec = {
        "version": 1,
        "project": "rev-c12",
        "config_keys": {
            "gateway": {
                "path": "config/gateway.yaml",
                "keys": {"auth.api_tokens": {"contains": "ci-release-bot"}, "database": {"contains": "sslmode"}},
            }
        },
    }
    _write(tmp_path, spec)
    done = run_cli("check", "--no-progress", "--no-history", "-v", "--report", "json=r.json", cwd=tmp_path)
    report = (tmp_path / "r.json").read_text()
    assert done.returncode == 1 and MASK in report, done.stdout + done.stderr
    assert "PLANTED" not in done.stdout + done.stderr + report


def test_every_env_file_value_is_a_secret_whatever_its_key(tmp_path):
    from tests.harness.specs import load_dict

    (tmp_path / "app.env").write_text("DATABASE_URL=postgres://app:PLANTEDenvfilePw3@db:5432/app\nLEVEL=info\n")
    spec = {"version": 1, "project": "rev-c14", "services": {"api": {"image": "busybox", "env_file": "app.env"}}}
    loaded = load_dict(tmp_path, spec)
    assert "postgres://app:PLANTEDenvfilePw3@db:5432/app" in loaded.secrets()
    assert "PLANTED" not in redact.text("cannot connect to postgres://app:PLANTEDenvfilePw3@db:5432/app")


# --- E: labels carry values, provenance goes stale (cases 01, 10) ---------------------------------


def _desired(folder: Path, environ: dict[str, str], *files: dict[str, object]):
    from validator.engine.desired import desired_state
    from validator.load import load_spec

    names = ["infra.yaml", *[f"overlay{i}.yaml" for i in range(1, len(files))]]
    paths = [str(_write(folder, data, name)) for data, name in zip(files, names, strict=True)]
    return desired_state(load_spec(paths, environ=environ), environ)


def test_labels_seal_names_as_well_as_values(tmp_path):
    from tests.harness.specs import observed_as_applied
    from validator.engine.planner import plan

    flag, net = "PLANTEDxFLAGx7Q2", "PLANTEDnetName9"
    spec = {
        "version": 1,
        "project": "rev-c01",
        "services": {
            "web": {
                "image": "busybox",
                "environment": ["${FEATURE_FLAG_NAME}=on", "API_TOKEN=${API_TOKEN}"],
                "networks": ["back"],
            }
        },
        "networks": {"back": {"name": "${NET}"}},
    }
    environ = {"FEATURE_FLAG_NAME": flag, "API_TOKEN": "tok-0123456789abcdef", "NET": net}
    desired = _desired(tmp_path, environ, spec)
    label = json.dumps(desired.services["web"].sealed)
    assert flag not in label and net not in label and "API_TOKEN" not in label, label
    assert plan(desired, observed_as_applied(desired)).actions == ()  # sealed names are opened again
    spec["services"]["web"]["environment"].append("MODE=two")  # type: ignore[index]
    changed = _desired(tmp_path, environ, spec)
    assert plan(changed, observed_as_applied(desired)).actions[0].reasons == ("environment: +MODE",)


def test_an_overlay_list_item_is_hidden_by_its_name_after_the_merge(tmp_path):
    from tests.harness.specs import observed_as_applied
    from validator.engine.planner import plan

    old = "postgres://app:PLANTEDdbPass9Qz@db.internal:5432/app"
    base = {
        "version": 1,
        "project": "rev-c10",
        "services": {"app": {"image": "busybox", "environment": ["MODE=debug"]}},
    }
    before = _desired(
        tmp_path,
        {"DATABASE_URL": old},
        base,
        {"services": {"app": {"environment": ["DATABASE_URL=${DATABASE_URL}"]}}},
    )
    redact.reset()  # the next run is a new process: the rotated-away value is registered nowhere
    after = _desired(
        tmp_path, {}, base, {"services": {"app": {"environment": ["DATABASE_URL=file:///run/secrets/database_url"]}}}
    )
    result = plan(after, observed_as_applied(before))
    assert result.actions[0].reasons == ("environment: DATABASE_URL changed",)
    assert "PLANTED" not in str(result)


def test_a_label_of_the_previous_format_recreates_nothing_and_shows_no_old_value(tmp_path):
    import dataclasses

    from tests.harness.specs import observed_as_applied
    from validator.engine import labels as L
    from validator.engine.planner import plan

    spec = {"version": 1, "project": "rev-up", "services": {"web": {"image": "busybox", "environment": {"A": "x1"}}}}
    desired = _desired(tmp_path, {}, spec)
    svc = desired.services["web"]
    key = L.state_key()
    # names in clear, no "sealed" mark: what the version before this one wrote
    previous = {"config": L.seal(svc.config, key), "mounted": L.seal(svc.mounted, key), "secret": {"fields": []}}
    observed = observed_as_applied(desired)
    (web,) = observed.containers["web"]
    older = dataclasses.replace(observed, containers={"web": (dataclasses.replace(web, config=previous),)})
    assert plan(desired, older).actions == ()  # the same config hash: the label's format recreates nothing
    spec["services"]["web"]["environment"] = {"A": "x2"}  # type: ignore[index]
    changed = _desired(tmp_path, {}, spec)
    # what the old label recorded is not trusted (it named an overlay's list item by its index): the old
    # side of every value is hidden, the new one shown where it cannot be a secret
    assert plan(changed, older).actions[0].reasons == ("environment: A changed",)


# --- F: lint stays in the project and never crashes (cases 08, 09) -------------------------------


NUL_FIELDS = {
    "env_file": {"services": {"a": {"image": "x", "env_file": "app\0.env"}}},
    "label_file": {"services": {"a": {"image": "x", "label_file": "labels\0.env"}}},
    "secrets.file": {"secrets": {"s": {"file": "secret\0.txt"}}},
    "configs.file": {"configs": {"c": {"file": "conf\0.txt"}}},
    "config_keys.path": {"config_keys": {"c": {"path": "app\0.yaml", "keys": {"a": 1}}}},
    "bind source": {
        "config_keys": {"c": {"path": "app.yaml", "keys": {"a": 1}}},
        "services": {"a": {"image": "x", "volumes": ["./data\0:/data:ro"]}},
    },
}


@pytest.mark.parametrize("field", NUL_FIELDS)
def test_a_nul_in_any_path_is_a_located_finding_never_a_crash(tmp_path, monkeypatch, capsys, field):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.yaml").write_text("a: 1\n")
    _write(tmp_path, {"version": 1, "project": "rev-c08", **NUL_FIELDS[field]})
    code, out = _main(capsys, "lint")
    assert code in (0, 1) and "internal error" not in out and "Traceback" not in out, out
    if field != "bind source":
        assert "infra.yaml:" in out and "NUL" in out, out


def test_an_include_through_a_symlink_never_opens_a_file_outside_the_project(tmp_path):
    from validator.load import lint_files, load_spec

    project = tmp_path / "proj"
    (project / "deploy").mkdir(parents=True)
    (project / ".git").mkdir()
    (project / "deploy" / "real.yaml").write_text("version: 1\nproject: rev-c09\ninclude: [../base.yaml]\n")
    (project / "base.yaml").write_text("services:\n  app: {image: busybox}\n")
    (project / "infra.yaml").symlink_to("deploy/real.yaml")
    # the included file's name as spelled from the link's folder: ../base.yaml, outside the project
    (tmp_path / "base.yaml").symlink_to("/proc/self/mem")
    spec = str(project / "infra.yaml")
    assert lint_files([spec]) == []
    first = load_spec([spec]).text_hash
    (tmp_path / "base.yaml").unlink()
    (tmp_path / "base.yaml").write_text("anything else\n")
    assert load_spec([spec]).text_hash == first  # the outside file is no part of the spec
    (project / "base.yaml").write_text("services:\n  app: {image: busybox:2}\n")
    assert load_spec([spec]).text_hash != first  # the file really included is
