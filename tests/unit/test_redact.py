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
from hypothesis import assume, example, given, settings
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
    from validator.load import load_spec

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
    # every value of an env file is a secret, under any name (DATABASE_URL holds a password too)
    assert "visible-value" in secrets
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
        # the bad size is described, never quoted, masked or not (spec/validate.py::unquoted)
        assert code == 1 and "invalid size (a string of 14 characters)" in out.out + out.err
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
# the secret's plain head is shared by more than 8 of its forms: a bound on the places of a slice across
# forms dropped the secret's own place (by hash order, so in some processes only)
@example(secret="000011011'0é", before="000011011'0é", after="", encoder="base64", cuts=[])
@example(secret="00000000000é", before="00000000000é", after="", encoder="base64", cuts=[])
@example(secret="00\n'", before="", after="00\n", encoder="json", cuts=[])
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


def test_the_stream_never_holds_back_half_a_line_a_form_lies_in():
    """The shell-quoted form of ``00\\n'`` ('00 newline '"'"'') begins with the apostrophe that ends its
    JSON form: holding back from that apostrophe on (it may begin the multi-line form) split the JSON form
    in two writes, each masked alone. The stream holds back whole lines only."""
    _producers()  # shell quoting registered, as preflight registers it
    secret = "00\n'"
    out = io.StringIO()
    stream = RedactingStream(out, Redactor([secret]))
    stream.write(json.dumps(secret)[1:-1] + "00\n")
    stream.flush()
    assert json.dumps(secret)[1:-1] not in out.getvalue() and MASK in out.getvalue()


def test_a_secret_is_masked_whichever_of_its_forms_share_its_head():
    """A secret's forms share its plain head (the secret, its JSON, URL, HTML, bytes forms...): the index
    follows a slice into every form that holds it, and the secret written as it is stays masked."""
    secret = "000011011'0é"
    forms = [f"000011011{tail}" for tail in ("'0é", "&#x27;0é", "%270%c3%a9", "\\'0é", "'0\\u00e9", "'0ã©")]
    forms += [f"{form}-{n}" for form in forms for n in range(2)]  # 18 forms holding the head
    places = {form for form, _ in redact._grams(forms)["000011011"]}
    assert places == set(forms)
    assert Redactor([secret]).text(f"{secret}MDAw") == f"{MASK}MDAw"


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
    assert any("a string of 7 characters" in f["message"] for f in findings)  # described, never quoted


def test_a_secret_from_undecodable_environment_bytes_registers_and_is_masked():
    undecodable = b"tok\xe9n-4711".decode("utf-8", "surrogateescape")  # as os.environ holds it
    r = Redactor([undecodable, "lone\ud800surrogate"])
    assert len(r.secrets) == 2
    assert r.text(f"a={undecodable} b=tok%E9n-4711 c=lone\ud800surrogate") == f"a={MASK} b={MASK} c={MASK}"


# --- the forms come from the producers themselves (redact.ENCODERS) ------------------------------

_WIDE = "abcXYZ019-_.:/@%+=&<>\"' \\é€ø漢{}[]!?#$;,()*~"


def _producers() -> dict[str, redact.Encoder]:
    """Every encoder the product registers, registered as the code that uses it does."""
    from validator.probes import http
    from validator.suites.runner import _pytest_ids

    redact.add_encoder("requests URL path", http.url_path)
    redact.add_encoder("requests URL query", http.url_query)
    redact.add_encoder("shell quoting", __import__("shlex").quote)
    _pytest_ids()
    return dict(redact.ENCODERS)


def test_the_registered_forms_are_the_producers_own():
    import shlex

    import requests
    from _pytest.compat import ascii_escaped

    encoders = _producers()
    value = "tøk {x} !'q\"%/&=+"
    assert encoders["pytest test ids"](value) == ascii_escaped(value) == "t\\xf8k {x} !'q\"%/&=+"
    sent = requests.Request("GET", "http://h/p/" + value).prepare().url
    assert sent == "http://h/p/" + encoders["requests URL path"](value) and "%7Bx%7D%20!'q%22%25/" in sent
    assert encoders["shell quoting"](value) == shlex.quote(value)


@settings(max_examples=200, deadline=None)
@given(
    secret=st.text(_WIDE, min_size=4, max_size=20),
    around=st.tuples(st.text(_WIDE, max_size=20), st.text(_WIDE, max_size=20)),
    producer=st.sampled_from(["requests URL path", "requests URL query", "pytest test ids", "shell quoting"]),
)
def test_a_secret_of_any_alphabet_is_masked_in_every_producer_form(secret, around, producer):
    assume(redact.maskable(secret) and secret.strip() == secret and MASK not in "".join(around))
    form = _producers()[producer](secret)
    assume(len(form) >= redact.MIN_LENGTH)
    masked = Redactor([secret]).text(around[0] + form + around[1])
    assert form not in masked


@settings(max_examples=25, deadline=None)
@given(secret=st.text(_WIDE, min_size=6, max_size=16))
def test_every_report_format_and_plan_json_hold_no_form_of_a_secret(tmp_path_factory, secret):
    """Results carry the secret in every producer's form (a server echoing a requested path, a pytest
    id, a shell command...); every reporter, the console and ``plan --format json`` are searched."""
    import contextlib

    from validator.core.result import Result
    from validator.core.run import RunResult
    from validator.reporters.registry import ReportContext, write_reports

    assume(redact.maskable(secret) and secret.strip() == secret and len(set(secret)) > 3)
    redact.reset()
    forms = sorted({f for f in (e(secret) for e in _producers().values()) if len(f) >= redact.MIN_LENGTH})
    redact.register([secret])
    folder = tmp_path_factory.mktemp("reports")
    run = RunResult(project="demo", spec_files=["infra.yaml"], spec_hash="h", started_at=1.0, finished_at=2.0)
    run.results = [
        Result(kind="probe", name=f"p{i}", verdict="fail", expected="x", actual=form, message=f"echo: {form}")
        for i, form in enumerate(forms)
    ]
    wanted = [(f, f"out.{f}") for f in ("json", "junit", "html", "markdown", "openmetrics")]
    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        write_reports(run, [*wanted, ("console", None)], ReportContext(), folder)
    plan_json = json.dumps(redact.redactor().deep({"reasons": [f"command: {f}" for f in forms]}))
    texts = {name: (folder / path).read_text(encoding="utf-8") for name, path in wanted}
    texts |= {"console": redact.text(console.getvalue()), "plan json": plan_json}
    for name, text in texts.items():
        assert not [f for f in forms if f in text], name
