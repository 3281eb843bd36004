"""The redactor and the secret registry: every source registers, every encoding and cut is masked."""

from __future__ import annotations

import base64
import io
import json
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from validator import redact
from validator.redact import MASK, RedactingStream, Redactor

SECRET = "pl4nted/s3cret token+4711"


@pytest.mark.parametrize(
    "form",
    [
        SECRET,
        repr(SECRET)[1:-1],
        json.dumps(SECRET)[1:-1],
        quote(SECRET),
        quote(SECRET, safe=""),
        quote_plus(SECRET),
        base64.b64encode(SECRET.encode()).decode(),
        "pl4nted/s3cret tok",  # cut at the end of the text
        "s3cret token+4711",  # cut at the start (a tail)
    ],
)
def test_every_encoding_and_every_cut_is_masked(form):
    masked = Redactor([SECRET]).text(form)
    assert "s3cret" not in masked and MASK in masked


def test_a_cut_before_an_ellipsis_or_a_line_end_is_masked():
    r = Redactor([SECRET])
    assert "s3cret" not in r.text("value pl4nted/s3cret... (12 more)")
    assert "s3cret" not in r.text("first pl4nted/s3cret\nsecond")


def test_clip_masks_before_it_cuts():
    clipped = Redactor([SECRET]).clip("x" * 10 + SECRET + "y" * 100, 40)
    assert "pl4n" not in clipped and len(clipped) <= 40 + 24


def test_short_values_numbers_and_literals_are_never_registered():
    r = Redactor(["abc", "8080", "1.5e3", "true", "None", SECRET])
    assert r.secrets == [SECRET]
    assert r.text("abc 8080 1.5e3 true None") == "abc 8080 1.5e3 true None"


def test_the_stream_masks_a_secret_written_in_pieces():
    out = io.StringIO()
    stream = RedactingStream(out, Redactor([SECRET]))
    stream.write("token: pl4nted/s3")
    stream.write("cret token+4711 end\n")
    stream.write("tail " + SECRET)
    stream.flush()
    assert "s3cret" not in out.getvalue() and out.getvalue().count(MASK) == 2


def _spec(tmp_path: Path, spec: dict, env_file: str | None = None) -> Path:
    path = tmp_path / "infra.yaml"
    path.write_text(yaml.safe_dump(spec))
    if env_file is not None:
        (tmp_path / "app.env").write_text(env_file)
    return path


def test_every_source_registers_its_secret(tmp_path, monkeypatch):
    from validator.spec.load import load_spec

    planted = {name: f"planted-{name.lower()}-9d1f2a" for name in ("INTERP", "LISTED", "PASS", "FILE", "MARKED")}
    monkeypatch.setenv("INTERP_VAR", planted["INTERP"])
    monkeypatch.setenv("PASS_TOKEN_NAME_FREE", planted["PASS"])
    monkeypatch.setenv("MARKED_VAR", planted["MARKED"])
    monkeypatch.setenv("LISTED_PW", planted["LISTED"])
    spec = {
        "version": 1,
        "project": "p",
        "services": {
            "web": {
                "image": "busybox",
                "command": ["run", "--key=${INTERP_VAR}"],
                "environment": ["DB_URL=postgres://u:${LISTED_PW}@h/x", "PASS_TOKEN_NAME_FREE"],
                "env_file": "app.env",
            }
        },
        "settings": {"secrets": ["MARKED_VAR", "SESSION"]},
    }
    path = _spec(tmp_path, spec, env_file=f"SESSION={planted['FILE']}\nPLAIN=visible-value\n")
    loaded = load_spec([str(path)])
    secrets = loaded.secrets()
    for value in (planted["PASS"], planted["FILE"], planted["MARKED"]):
        assert value in secrets
    assert "visible-value" not in secrets
    shown = redact.text(" ".join(planted.values()))
    assert all(value not in shown for value in planted.values()), shown


def test_lint_masks_an_interpolated_value_in_a_finding(tmp_path, monkeypatch, capsys):
    from validator.main import main

    token = "tok-4f8e1b27c9"
    monkeypatch.setenv("TOKEN", token)
    path = _spec(tmp_path, {"version": 1, "project": "p", "services": {"web": {"image": "b", "mem_limit": "${TOKEN}"}}})
    for fmt in ("text", "json"):
        code = main(["lint", "--format", fmt, str(path)])
        out = capsys.readouterr()
        assert code == 1 and MASK in out.out + out.err
        assert token not in out.out + out.err
    assert sys.stdout is not None and not isinstance(sys.stdout, RedactingStream)


def test_a_secret_named_key_of_a_config_file_is_masked_in_check(tmp_path, run_cli):
    value = "hunter2-config-file-secret"
    (tmp_path / "app.properties").write_text(f"db.password = {value}\nmode = x\n")
    spec = {
        "version": 1,
        "project": "p",
        "config_keys": {"app": {"path": "app.properties", "keys": {"db.password": "something-else"}}},
    }
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    done = run_cli("check", "--no-progress", "--no-history", "-v", "--report", "json=r.json", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert value not in done.stdout + done.stderr + (tmp_path / "r.json").read_text()
    assert MASK in (tmp_path / "r.json").read_text()


_ALPHABET = "abcXYZ019-_.:/@%+= &<>\"'\\é€\n"
_ENCODERS = {
    "plain": lambda s: s,
    "repr": lambda s: repr(s)[1:-1],
    "json": lambda s: json.dumps(s)[1:-1],
    "quote": lambda s: quote(s, safe=""),
    "quote_plus": quote_plus,
    "base64": lambda s: base64.b64encode(s.encode()).decode().rstrip("="),
}


@settings(max_examples=300, deadline=None)
@given(
    secret=st.text(_ALPHABET, min_size=4, max_size=24),
    before=st.text(_ALPHABET, max_size=30),
    after=st.text(_ALPHABET, max_size=30),
    encoder=st.sampled_from(sorted(_ENCODERS)),
    cuts=st.lists(st.integers(min_value=0, max_value=120), max_size=4),
)
def test_no_encoding_of_a_secret_survives_in_any_context_or_chunking(secret, before, after, encoder, cuts):
    assume(redact.maskable(secret) and secret.strip() == secret and secret not in MASK and MASK not in before + after)
    form = _ENCODERS[encoder](secret)
    text = before + form + after
    out = io.StringIO()
    stream = RedactingStream(out, Redactor([secret]))
    edges = sorted({min(c, len(text)) for c in cuts})
    for start, end in zip([0, *edges], [*edges, len(text)], strict=True):
        stream.write(text[start:end])
    stream.flush()
    assert form not in out.getvalue() and secret not in out.getvalue()


def test_a_secret_spanning_lines_is_masked_whole_and_line_by_line():
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END KEY-----"
    out = io.StringIO()
    stream = RedactingStream(out, Redactor([key]))
    stream.write("dump: " + key[:30])
    stream.write(key[30:] + "\n")
    for line in key.splitlines():
        stream.write(f"log| {line}\n")
    stream.flush()
    assert "MIIEvQ" not in out.getvalue() and "BKcwgg" not in out.getvalue()


def test_lint_json_stays_json_when_a_secret_is_one_of_its_keys(tmp_path, run_cli):
    spec = {"version": 1, "project": "p", "services": {"web": {"image": "${IMG}", "mem_limit": "${IMG}"}}}
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    done = run_cli("lint", "--format", "json", "infra.yaml", cwd=tmp_path, env={"IMG": "message"})
    findings = json.loads(done.stdout)  # the key "message" survives; the value is masked
    assert done.returncode == 1 and findings and all("message" in f for f in findings)
    assert any(MASK in f["message"] for f in findings)


def test_a_secret_from_undecodable_environment_bytes_registers_and_is_masked():
    undecodable = b"tok\xe9n-4711".decode("utf-8", "surrogateescape")  # as os.environ holds it
    r = Redactor([undecodable, "lone\ud800surrogate"])
    assert len(r.secrets) == 2
    assert r.text(f"a={undecodable} b=tok%E9n-4711 c=lone\ud800surrogate") == f"a={MASK} b={MASK} c={MASK}"
