"""The round-3 adversary's registration gaps (s9: a secret value never registered with the redactor).

Each test loads a spec the way every command does (``load_spec``: the loader, ``read_merged``, ``collect``)
and asks the process-wide redactor what it masks; each fails on the code the case attacked. The rules:
- every text a ``${...}`` became (a variable's value, a default, an alternate) is registered, in every
  file the loader reads (an ``extends`` base too) (cases 11, 12);
- credentials a string carries in a form that says so are registered wherever the string sits: a URL's
  userinfo password, a secret-named ``name=value`` pair (query strings, mount options) (cases 01, 14);
- a literal whose text holds ``${X:?y}`` is registered: only the path of a failed interpolation says
  the text is a reference as written (case 05);
- a value in number syntax of 8 digits or more is registered (case 08);
- a secret file over the read bound registers the lines of its two ends (case 03);
- names ending in ``key`` after another word, and ``_PW``, are secret names (case 15).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from validator import redact
from validator.redact import MASK


def _load(tmp_path: Path, spec: dict, environ: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    from validator.load import load_spec

    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return load_spec([str(tmp_path / "infra.yaml")], environ or {})


def _service(**extra: object) -> dict:
    return {"image": "busybox", "command": ["sleep", "30"], **extra}


# --- embedded credentials (01, 14) --------------------------------------------------------------------


def test_01_a_password_in_a_probes_url_userinfo_is_registered(tmp_path):
    spec = {
        "version": 1,
        "project": "s9-01",
        "probes": {"page": {"kind": "http", "url": "http://admin:Zq9UrlPassLeak77@127.0.0.1:9/missing"}},
    }
    _load(tmp_path, spec)
    assert (
        redact.text("GET http://admin:Zq9UrlPassLeak77@127.0.0.1:9/missing")
        == f"GET http://admin:{MASK}@127.0.0.1:9/missing"
    )
    assert "admin" in redact.text("user admin")  # the user name names: it stays


def test_01_a_query_credential_and_a_percent_encoded_password_are_registered(tmp_path):
    spec = {
        "version": 1,
        "project": "s9-01q",
        "probes": {
            "api": {"kind": "http", "url": "http://127.0.0.1:9/x?page=2&access_token=QueryTok7731zz#top"},
            "ui": {"kind": "http", "url": "http://u:p%40ssWord-8812@127.0.0.1:9/"},
        },
    }
    _load(tmp_path, spec)
    assert "QueryTok7731zz" not in redact.text("token QueryTok7731zz")
    assert "p@ssWord-8812" not in redact.text("password p@ssWord-8812")  # as the server reads it
    assert redact.text("page=2") == "page=2"  # a pair whose name says nothing stays


def test_14_a_cifs_password_in_a_volumes_driver_opts_is_registered(tmp_path):
    spec = {
        "version": 1,
        "project": "s9-14",
        "volumes": {
            "share": {
                "driver": "local",
                "driver_opts": {"type": "cifs", "o": "username=svc,password=CifsMountPw4321,vers=3.0"},
            }
        },
        "services": {"app": _service(volumes=["share:/data"])},
    }
    _load(tmp_path, spec)
    error = "data: username=svc,password=CifsMountPw4321,vers=3.0: no such device"
    assert redact.text(error) == f"data: username=svc,password={MASK},vers=3.0: no such device"


def test_embedded_credentials_in_option_strings_and_flags():
    from validator.spec.secrets import embedded

    assert set(embedded("--db-password=FlagPw9912 --verbose")) == {"FlagPw9912"}
    assert "ConnPw-5521" in embedded("Server=db;User Id=app;Password=ConnPw-5521;")
    assert embedded("postgres://postgres@db/app") == []  # a user name alone is not a credential
    assert embedded("size=10G,mode=0755") == []
    assert "QuotedPw-7781" in embedded("sh -c \"login --password='QuotedPw-7781'\"")
    assert "SchemeTok-4410aa" in embedded("curl -H 'X-Upstream: Bearer SchemeTok-4410aa' http://h/")
    assert embedded("the Basic idea, a Token count") == []  # a scheme word where no header value starts


def test_19_a_literal_authorization_header_value_is_registered(tmp_path):
    spec = {
        "version": 1,
        "project": "s9-19",
        "probes": {
            "page": {
                "kind": "http",
                "url": "http://127.0.0.1:9/",
                "headers": {"Authorization": "Bearer AuthHdrTok9988vv\n"},
            }
        },
    }
    _load(tmp_path, spec)
    assert "AuthHdrTok9988vv" not in redact.text("in header value: 'Bearer AuthHdrTok9988vv\\n'")


# --- interpolation (11, 12) ---------------------------------------------------------------------------


def test_11_a_default_brought_in_outside_environment_is_registered(tmp_path):
    spec = {
        "version": 1,
        "project": "s9-11",
        "services": {"cache": _service(command=["redis-server", "--requirepass", "${REDIS_PW:-devpass-Kx81Lm}"])},
        "probes": {"page": {"kind": "http", "url": "http://127.0.0.1:9/m?t=${API_T:-DefaultTok5519rr}"}},
    }
    _load(tmp_path, spec)
    assert "DefaultTok5519rr" not in redact.text("GET /m?t=DefaultTok5519rr")
    assert "devpass-Kx81Lm" not in redact.text("AUTH devpass-Kx81Lm")


def test_11_an_alternate_is_registered_and_a_number_default_is_not(tmp_path):
    spec = {
        "version": 1,
        "project": "s9-11b",
        "services": {
            "web": _service(command=["serve", "--key=${SET_VAR:+AltValue-7310qq}"], ports=["${PORT:-8080}:80"])
        },
    }
    _load(tmp_path, spec, {"SET_VAR": "1"})
    assert "AltValue-7310qq" not in redact.text("AltValue-7310qq")
    assert redact.text("published on 8080") == "published on 8080"  # a port is no secret (MIN rules kept)


def test_12_an_environment_default_in_an_extends_base_is_registered(tmp_path):
    (tmp_path / "common").mkdir()
    base = {"services": {"basesvc": {"image": "busybox", "environment": {"CONN": "${PLAINVAR:-ExtDefault5512zz}"}}}}
    (tmp_path / "common" / "base.yaml").write_text(yaml.safe_dump(base))
    (tmp_path / "common" / "more.yaml").write_text(
        yaml.safe_dump({"services": {"more": {"image": "busybox", "environment": ["URL=db://${HOST_X}:1/x"]}}})
    )
    spec = {
        "version": 1,
        "project": "s9-12",
        "services": {
            "app": {"extends": {"file": "common/base.yaml", "service": "basesvc"}, "command": ["sleep", "30"]},
            "other": {"extends": {"file": "common/more.yaml", "service": "more"}, "command": ["sleep", "30"]},
        },
    }
    _load(tmp_path, spec, {"HOST_X": "h"})
    assert "ExtDefault5512zz" not in redact.text("conn=ExtDefault5512zz")
    # the whole text of an interpolated environment entry, as in the spec itself
    assert redact.text("url db://h:1/x") == f"url {MASK}"


# --- a reference as written vs a password holding its text (05) -----------------------------------


def test_05_a_literal_password_holding_a_required_reference_after_unescaping_is_registered(tmp_path):
    spec = {
        "version": 1,
        "project": "s9-05",
        "services": {"app": _service(environment={"DB_PASSWORD": "Kq7$${X:?y}Dollar5522"})},
    }
    _load(tmp_path, spec)
    assert redact.text("pw=Kq7${X:?y}Dollar5522") == f"pw={MASK}"


def test_05_an_unset_required_reference_stays_readable_in_its_finding(tmp_path):
    from validator.errors import SpecError

    spec = {
        "version": 1,
        "project": "s9-05b",
        "services": {"app": _service(environment={"TOKEN": "${VALIDATOR_S9_UNSET:?set the token}"})},
    }
    with pytest.raises(SpecError) as caught:
        _load(tmp_path, spec)
    messages = [redact.text(f.message) for f in caught.value.findings]
    assert any("${VALIDATOR_S9_UNSET}" in m for m in messages), messages


# --- number-shaped values (08) ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["20231e5097531", "+4915112345678", "3.14159265358979"])
def test_08_a_secret_in_number_syntax_of_8_digits_or_more_is_registered(tmp_path, value):
    from validator.load import load_spec

    # written quoted, as the case writes it (a plain 20231e5097531 is a YAML float)
    text = "version: 1\nproject: s9-08\nservices:\n  app:\n    image: busybox\n    environment:\n"
    text += f'      DB_PASSWORD: "{value}"\n'
    (tmp_path / "infra.yaml").write_text(text)
    load_spec([str(tmp_path / "infra.yaml")], {})
    assert redact.text(f"a={value}") == f"a={MASK}"


@pytest.mark.parametrize("value", ["1.5", "-1", "1e3", "+4915", "2026.12"])
def test_08_a_short_number_is_still_never_registered(value):
    assert not redact.maskable(value)


# --- a secret file over the read bound (03) -----------------------------------------------------------


def test_03_a_secret_file_over_the_bound_registers_the_lines_of_its_ends(tmp_path):
    from validator.spec.resources import MAX_SECRET_FILE

    body = "x" * 70 + "\n"
    middle = body * (2 * MAX_SECRET_FILE // len(body))
    (tmp_path / "big.pem").write_text("BigSecretFileKey9911aa\n" + middle + "LastLineSecret-7261bb\n")
    spec = {
        "version": 1,
        "project": "s9-03",
        "secrets": {"big": {"file": "./big.pem"}},
        "services": {"app": _service(secrets=["big"])},
    }
    _load(tmp_path, spec)
    assert redact.text("BigSecretFileKey9911aa") == MASK
    assert redact.text("LastLineSecret-7261bb") == MASK


# --- names (15) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["TS_AUTHKEY", "JWT_PRIVATEKEY", "MEILI_MASTERKEY", "DB_PW", "db.pw", "accessKey"])
def test_15_secret_names_real_images_document(name):
    from validator.engine.diff import is_secret

    assert redact.is_secret_name(name)
    assert is_secret(name, "PLANTED-Aa1", [])  # plan hides its drift


@pytest.mark.parametrize("name", ["MONKEY", "HOTKEY", "KEYBOARD", "PWD", "POWER", "SPAWN"])
def test_15_single_words_ending_in_key_and_words_holding_pw_are_not(name):
    assert not redact.is_secret_name(name)


def test_registering_value_by_value_builds_the_forms_once_at_the_next_use(monkeypatch):
    # the loader registers what each scalar brought in: a build per registration made a spec of 250
    # interpolated defaults take 17 s to load
    builds = []
    original = redact.Redactor._build
    monkeypatch.setattr(redact.Redactor, "_build", lambda self: (builds.append(1), original(self))[1])
    redactor = redact.Redactor()
    for i in range(50):
        redactor.add([f"planted-default-{i:03d}"])
    assert redactor.text("x planted-default-007 y") == f"x {MASK} y"
    assert len(builds) == 1
    redactor.add(["planted-later-value"])  # a later registration is masked at the next use
    assert redactor.text("planted-later-value") == MASK
