"""The third adversarial review of secrets (issue 22): each case it found, through the nearest seam.

Each test drives the real producer where it is a library (pytest's assertion diff, its saferepr and
pretty-printer, requests' basic auth and body decoding, urllib3's pool name, pyspark's launcher) and
fails on the code the review attacked. The classes, and the rule that closes each:
- cut secrets (01, 03, 05, 11): any run of ``redact.PIECE`` characters of a secret is masked wherever it
  is, whatever cut it and however it is marked;
- encodings (04, 08, 10, 15): the forms of the secret's UTF-8 *bytes* (bytes repr, pytest's bytes ids,
  a wrong charset), base64 at every alignment, and case-insensitive matching (a host name);
- registration gaps (06, 07, 09, 13): Compose secrets and configs read from plain data, so every command
  registers them before it prints; secret names as real tools spell them; long numbers;
- channels (12, 14): no label sealed with a public key; no Spark setting on a command line.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
import yaml

from validator import redact
from validator.redact import MASK, Redactor


def _masked(secret: str, text: str) -> str:
    return Redactor([secret]).text(text)


# --- cut secrets -------------------------------------------------------------------------------------

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ2YWxpZGF0b3IiLCJleHAiOjE3MDAwMDAwMDB9."
    "PLANTEDsig-Qx7Rw2Ze5Ty8Ua1Ib4Oc7Pd0Ve3Wf6Xg9Yh"
)


def test_01_the_rest_of_a_token_after_pytests_diff_skip_is_masked():
    from _pytest.assertion.util import assertrepr_compare

    other = JWT[:80] + "OTHERsignature0123456789abcdefghijklmnop"  # one issuer: same header and subject
    lines = assertrepr_compare(
        "==", other, JWT, verbose=0, highlighter=lambda s, lexer="python": s, assertion_text_diff_style="ndiff"
    )
    explanation = "\n".join(lines)
    assert "Skipping" in explanation and "PLANTEDsig" in explanation  # the producer cut mid-line
    masked = _masked(JWT, explanation)
    assert "Qx7Rw2Ze5Ty8" not in masked and MASK in masked


def test_03_a_prefix_cut_inside_a_character_by_the_engine_is_masked():
    password = "PLANTEDhc-Zq8Wm3Xr5Tn7Vb2Kp4Lcé-Rt6Yx"
    output = ("x" * (4065 - 18) + f"login refused for {password}").encode()  # the cut falls inside 'é'
    kept = output[:4096].decode("utf-8", "replace") + "..."  # Docker keeps 4096 bytes of a check's output
    assert "\ufffd..." in kept
    masked = _masked(password, redact.quoted(kept))
    assert "Zq8Wm3Xr5Tn7" not in _masked(password, kept)
    assert "Zq8Wm3Xr5Tn7" not in masked


def test_05_both_ends_of_a_long_token_cut_by_saferepr_are_masked():
    from _pytest._io.saferepr import saferepr

    token = "PLANTEDhead" + "".join(f"{i:04x}Kq" for i in range(148)) + "PLANTEDtail"  # 911 characters
    shown = saferepr(token)  # what pytest puts in a failed assertion: both ends, 240 at most
    assert len(token) > 900 and "..." in shown and "PLANTEDtail" in shown
    masked = _masked(token, f"AssertionError: assert False\n +  where False = {shown}.startswith('Bearer ')")
    assert "PLANTEDhead" not in masked and "PLANTEDtail" not in masked
    assert "0005Kq0006Kq" not in masked


def test_11_a_passphrase_split_into_quoted_literals_by_pytests_pretty_printer_is_masked():
    from _pytest._io.pprint import PrettyPrinter

    phrase = "PLANTED correct horse battery staple orbit velvet quarry lantern mosaic"
    full_diff = PrettyPrinter(width=60).pformat({"vault": {"address": "https://vault:8201", "passphrase": phrase}})
    assert phrase not in full_diff  # split into adjacent literals
    masked = _masked(phrase, full_diff)
    for words in ("correct horse", "battery staple", "quarry lantern"):
        assert words not in masked
    assert "https://vault:8201" in masked  # the rest stays readable


def test_a_piece_shorter_than_the_rule_in_mid_text_is_kept_and_ordinary_text_untouched():
    secret = "Vb7Nm2Qw-Kx9Qw2Lm-Tz4Rp8Yc"
    assert _masked(secret, "saw Kx9Qw2Lm here") == "saw Kx9Qw2Lm here"  # 8 characters, mid-line
    assert _masked(secret, "saw -Kx9Qw2Lm-Tz here") == f"saw {MASK} here"  # 12
    assert _masked("a-passthrough-token-value", "passthrough mode is on") == "passthrough mode is on"


# --- encodings ------------------------------------------------------------------------------------


def test_04_a_secret_as_bytes_is_masked_in_a_bytes_repr_and_a_pytest_bytes_id():
    from _pytest.compat import ascii_escaped

    from validator.suites.runner import _pytest_ids

    password = "PLANTEDbytes-Kx9Qw2Lm-ø-Zr7Tp4Vn"
    _pytest_ids()  # what the suite runner registers before a suite runs
    raw = password.encode()
    text = "\n".join((f"test_login[{ascii_escaped(raw)}] FAILED", f"password = {raw!r}", repr(raw + b'"')))
    masked = _masked(password, text)
    assert "Kx9Qw2Lm" not in masked and "Zr7Tp4Vn" not in masked, masked


def test_08_the_password_inside_basic_auth_is_masked_at_every_alignment():
    import base64

    from requests.auth import _basic_auth_str

    password = "PLANTEDbasic-Tw7Yq2Rx9"
    for user in ("ci-bot", "ci-bo", "ci-b", "u"):  # every offset of the password modulo 3
        header = _basic_auth_str(user, password)
        masked = _masked(password, f'{{"headers": {{"Authorization": "{header}"}}}}')
        encoded = header.removeprefix("Basic ")
        assert MASK in masked
        # what is left of the header decodes to at most a few characters of the password
        left = masked.split('"Authorization": "Basic ')[1].replace(MASK, " ")
        for piece in left.split():
            piece = re.sub("[^A-Za-z0-9+/]", "", piece)
            for shift in range(4):  # at every alignment
                chunk = piece[shift:][: len(piece[shift:]) // 4 * 4]
                assert "Tw7Yq2" not in base64.b64decode(chunk).decode("latin-1"), (encoded, masked)


def test_10_a_body_requests_decodes_as_latin1_is_masked():
    import requests

    token = "PLANTEDlatin-Rq5ø-Wz8Kx2"
    response = requests.Response()
    response._content = f"invalid token: {token}".encode()
    response.headers["Content-Type"] = "text/plain"  # no charset: requests reads it as ISO-8859-1
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)  # as its adapter does
    body = response.text
    assert "\u00c3\u00b8" in body  # the two bytes of the o-slash, one character each
    assert "Rq5" not in _masked(token, body)
    assert "Rq5" not in _masked(token, "cp1252: " + token.encode().decode("cp1252", "replace"))


def test_15_a_secret_host_name_lower_cased_by_urllib3_is_masked():
    import urllib3

    token = "PLANTEDpreviewTok8XqZ"
    pool = urllib3.connection_from_url(f"http://{token}.preview.invalid:18975/health")
    message = f"cannot connect: {pool}"
    assert token.lower() in message
    assert token.lower() not in _masked(token, message)
    short = "AbCd9x"  # shorter than a piece: the whole value, case-insensitively
    assert _masked(short, "host='abcd9x.example'") == f"host='{MASK}.example'"


# --- registration gaps ----------------------------------------------------------------------------


def test_06_down_registers_a_compose_secret_files_content_before_it_stops_anything(tmp_path):
    from validator.spec.load import read_project

    (tmp_path / "db_password.txt").write_text("PLANTEDfilepw-Hx4Nq8Rz2\n")
    spec = {
        "version": 1,
        "project": "rev3-down",
        "services": {"db": {"image": "busybox", "secrets": ["db_password"], "typo": 1}},  # invalid spec
        "secrets": {"db_password": {"file": "./db_password.txt"}},
    }
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    read_project([str(tmp_path / "infra.yaml")])  # all down reads before its first stop
    assert redact.text("login failed with PLANTEDfilepw-Hx4Nq8Rz2") == f"login failed with {MASK}"


def test_07_a_config_taken_from_a_host_variable_is_a_secret(tmp_path):
    from validator.load import load_spec

    spec = {
        "version": 1,
        "project": "rev3-config",
        "services": {"job": {"image": "busybox", "configs": [{"source": "appconf", "target": "/app.conf"}]}},
        "configs": {"appconf": {"environment": "APP_API_TOKEN"}},
    }
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    loaded = load_spec([str(tmp_path / "infra.yaml")], {"APP_API_TOKEN": "PLANTEDcfg-Ty6Wq1Zx"})
    assert "PLANTEDcfg-Ty6Wq1Zx" in loaded.secrets()
    assert "PLANTEDcfg-Ty6Wq1Zx" not in redact.text("token PLANTEDcfg-Ty6Wq1Zx")


@pytest.mark.parametrize(
    "name", ["MYSQL_PWD", "DB_PASS", "SSH_PASSPHRASE", "SIGNING_KEY", "REDIS_AUTH", "privateKey", "api.key"]
)
def test_09_secret_names_as_real_tools_spell_them(name):
    from validator.engine.diff import is_secret

    assert redact.is_secret_name(name)
    assert is_secret(name, "PLANTEDpwd-Aa1", [])  # plan hides its drift: "changed (value hidden)"


@pytest.mark.parametrize("name", ["PWD", "PASSTHROUGH", "AUTHOR", "KEY_FIELD", "MONKEY", "COMPASS", "HOME"])
def test_09_names_that_only_contain_those_letters_are_not_secret_names(name):
    assert not redact.is_secret_name(name)


def test_13_a_long_number_is_masked_as_a_whole_number_only():
    redactor = Redactor(["7305918264", "5432", "2026"])
    assert redactor.text("login refused for password 7305918264") == f"login refused for password {MASK}"
    # a short number is never registered, a long one never masked inside a longer run of digits
    assert redactor.text("port 5432 at 2026-12-06, id 173059182640") == "port 5432 at 2026-12-06, id 173059182640"


# --- channels ----------------------------------------------------------------------------------------


def test_12_labels_are_never_sealed_with_a_public_key(monkeypatch, capsys):
    from validator.engine import labels

    monkeypatch.setenv("VALIDATOR_STATE_DIR", "/proc/validator-state")  # a folder that cannot be created
    monkeypatch.delenv("VALIDATOR_LABEL_KEY", raising=False)
    monkeypatch.setattr(labels, "_KEY", None)
    first = labels.state_key()
    assert first != b"validator-unkeyed" and len(first) >= 32
    assert "cannot keep the label key" in capsys.readouterr().err
    monkeypatch.setattr(labels, "_KEY", None)
    assert labels.state_key() != first  # per run: nobody else knows it


def test_14_spark_settings_reach_spark_submit_in_a_private_file_never_its_arguments(monkeypatch):
    pytest.importorskip("pyspark")
    from pyspark import java_gateway

    from validator.stack.spark import build_session

    seen: dict[str, object] = {}

    class _Stop(Exception):
        pass

    def launcher(command: list[str], **kwargs: object) -> None:
        args = os.environ["PYSPARK_SUBMIT_ARGS"].split()
        path = Path(args[args.index("--properties-file") + 1])
        seen.update(command=command, mode=stat.S_IMODE(path.stat().st_mode), text=path.read_text(), path=path)
        raise _Stop

    monkeypatch.setattr(java_gateway, "Popen", launcher)
    monkeypatch.delenv("PYSPARK_SUBMIT_ARGS", raising=False)
    with pytest.raises(_Stop):
        build_session({"spark.hadoop.fs.s3a.secret.key": "PLANTEDs3key-Vb7Nm2Qw", "spark.app.name": "a b"})
    assert not any("PLANTEDs3key" in part for part in seen["command"])  # type: ignore[attr-defined]
    assert seen["mode"] == 0o600
    assert "spark.hadoop.fs.s3a.secret.key=PLANTEDs3key-Vb7Nm2Qw\n" in seen["text"]  # type: ignore[operator]
    assert "spark.app.name=a\\ b\n" in seen["text"]  # type: ignore[operator]
    assert not seen["path"].exists()  # type: ignore[attr-defined]
    assert "PYSPARK_SUBMIT_ARGS" not in os.environ
