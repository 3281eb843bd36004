"""Adversary s9b cases 08, 09, 11, 12: values a probe or suite saw, a secret file's inner values, other
runtimes' JSON escaping (see docs/spec.md, "Secrets")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.unit.probes.fakes import Answer, FakeHttp, run
from validator import redact
from validator.redact import MASK, Redactor
from validator.spec.resources import file_secrets
from validator.suites.records import recording_env

# --- case 09: Go's and PHP's default JSON escaping ----------------------------------------------------

_SYMBOLS = "Kq7&Lm2/Zx5<Rt8/Wp3>Vn6"


def test_a_secret_in_go_json_escaping_is_masked():
    # encoding/json's default (HTML-safe) output of the secret, as a Go logger writes it
    go = _SYMBOLS.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    masked = Redactor([_SYMBOLS]).text('{"password":"' + go + '"}')
    assert "Kq7" not in masked and "Vn6" not in masked and MASK in masked


def test_a_secret_in_php_json_escaping_is_masked():
    php = _SYMBOLS.replace("/", "\\/")  # json_encode's default
    masked = Redactor([_SYMBOLS]).text('{"pw":"' + php + '"}')
    assert "Kq7" not in masked and "Vn6" not in masked and MASK in masked


def test_the_go_and_php_forms_decode_back_to_the_secret():
    # each form is a JSON string body whose decoding is the secret: no form was made up
    for name in ("json, Go", "json, Go, ASCII", "json, PHP", "json, PHP, unescaped unicode"):
        secret = _SYMBOLS + "\u00f8\u2028"
        assert json.loads('"' + redact.ENCODERS[name](secret) + '"') == secret, name


# --- case 08: a secret file's KEY=VALUE values --------------------------------------------------------


def test_each_value_of_an_env_format_secret_file_is_registered(tmp_path: Path):
    (tmp_path / "app.env").write_text("DB_USER=appuser\nexport DB_PASSWORD='Env9Pw77kq'\n# note\n")
    found = file_secrets(tmp_path / "app.env", tmp_path)
    assert {"Env9Pw77kq", "appuser", "DB_USER=appuser"} <= set(found)
    redact.register(found)
    assert redact.text("login as app with Env9Pw77kq failed") == f"login as app with {MASK} failed"


# --- case 11: the suite's pytest cache ----------------------------------------------------------------


def test_the_suites_pytest_cache_is_kept_in_the_private_folder(tmp_path: Path):
    # a real suite run as check runs it: its parametrized ids reach no .pytest_cache in the project
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_api.py").write_text(
        "import pytest\n\n\n@pytest.mark.parametrize('t', ['CacheNodeTok8822pp'])\n"
        "def test_token(t):\n    assert t == 'other'\n"
    )
    (project / "sub").mkdir()  # a command line that names its own cache_dir keeps it
    folder = tmp_path / "private"
    folder.mkdir()
    env = {**os.environ, "PYTEST_ADDOPTS": "-q"}
    env.update(recording_env(env, folder, folder / "records.jsonl", b"k" * 32))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:validator", "test_api.py"], cwd=project, env=env, timeout=120
    )
    assert done.returncode == 1
    assert not (project / ".pytest_cache").exists()
    assert "CacheNodeTok8822pp" in (folder / "pytest-cache" / "v" / "cache" / "nodeids").read_text()
    own = [sys.executable, "-m", "pytest", "-p", "no:validator", "-o", "cache_dir=sub/c", "test_api.py"]
    assert subprocess.run(own, cwd=project, env=env, timeout=120).returncode == 1
    assert (project / "sub" / "c" / "v" / "cache" / "lastfailed").exists()


# --- case 12: an http probe's received tokens ---------------------------------------------------------


def test_tokens_an_http_probe_received_are_masked_in_its_result(tmp_path: Path):
    body = {"scope": "profile", "access_token": "RespAccessTok7711kk", "refresh_token": "RespRefresh7722jj"}
    http = FakeHttp(
        {
            ("POST", "/token"): Answer.of(body),
            ("GET", "/login"): Answer(text="ok", headers={"Set-Cookie": "sid=SessCookie5531zz; Path=/; HttpOnly"}),
        }
    )
    regex = run(tmp_path, {"kind": "http", "url": "http://h/token", "method": "POST", "body_regex": "^eyJ"}, http=http)
    path = run(
        tmp_path,
        {"kind": "http", "url": "http://h/token", "method": "POST", "json_paths": {"access_token": {"regex": "^eyJ"}}},
        http=http,
    )
    shown = json.dumps([regex.actual, regex.message, path.actual, path.message])
    assert regex.verdict == path.verdict == "fail" and "profile" in shown
    assert "RespAccessTok" not in shown and "RespRefresh" not in shown and "7711kk" not in shown
    run(tmp_path, {"kind": "http", "url": "http://h/login"}, http=http)
    assert redact.text("cookie SessCookie5531zz") == f"cookie {MASK}"
