"""Round-3 adversary s9, cases 17-19 and the remote build context: values in files validator writes,
digests of secrets, and a third-party error quoting a request's header.

- 17: the suite recorder seals every record it writes with a key only the run holds in memory: the
  records file never holds a test's output in clear, even while it runs or after a SIGKILL;
- 18: the spec hash a report and the history carry is keyed (the label key): a weak secret in the
  spec cannot be found by hashing guesses;
- 19: every value of a probe's request headers is a secret, whatever the header's name;
- a ``build.context`` given as a URL is refused with a one-line error that does not quote it.
"""

from __future__ import annotations

import yaml

from validator import redact
from validator.redact import MASK


def _spec(tmp_path, spec, env=None):
    from validator.load import load_spec

    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    return load_spec([str(tmp_path / "infra.yaml")], env or {})


# --- 19 ----------------------------------------------------------------------------------------------


def test_19_a_literal_header_value_quoted_by_requests_is_masked(tmp_path):
    import pytest
    import requests

    from validator.checks.probes import _explain

    value = "Bearer AuthHdrTok9988vv\n"  # a YAML block scalar keeps the newline: requests refuses it
    headers = {"Authorization": value}
    spec = {
        "version": 1,
        "project": "s9d-19",
        "probes": {"page": {"kind": "http", "url": "http://127.0.0.1:1/x", "headers": headers}},
    }
    _spec(tmp_path, spec)
    with pytest.raises(requests.exceptions.InvalidHeader) as raised:
        requests.Request("GET", "http://127.0.0.1:1/x", headers=headers).prepare()
    assert "AuthHdrTok9988vv" in str(raised.value)  # the producer quotes it
    # the value is registered: the library's own text is masked wherever it is shown...
    masked = redact.text(str(raised.value))
    assert "AuthHdrTok9988vv" not in masked and MASK in masked
    # ...and the probe's explanation does not quote the header at all (fixs9b)
    assert "AuthHdrTok9988vv" not in redact.text(_explain(raised.value))


def test_19_every_header_value_whatever_its_name(tmp_path):
    headers = {"X-Vendor-Thing": "VendorCred-77Qw", "Cookie": "session=CookieCred-88Zx"}
    spec = {
        "version": 1,
        "project": "s9d-19b",
        "probes": {"p": {"kind": "http", "url": "http://127.0.0.1:1/", "headers": headers}},
    }
    secrets = _spec(tmp_path, spec).secrets()
    assert {"VendorCred-77Qw", "session=CookieCred-88Zx"} <= set(secrets)


def test_19_a_standard_header_that_never_holds_a_credential_is_not_registered(tmp_path):
    headers = {"Accept": "application/json", "X-Forwarded-Proto": "http", "Authorization": "Basic QWxhZGRpbjpvcGVu"}
    probe = {"kind": "http", "url": "http://127.0.0.1:1/", "headers": headers}
    secrets = _spec(tmp_path, {"version": 1, "project": "s9d-19c", "probes": {"p": probe}}).secrets()
    assert "QWxhZGRpbjpvcGVu" in secrets and not {"application/json", "http"} & set(secrets)


# --- remote build context ----------------------------------------------------------------------------


def test_a_remote_build_context_is_refused_without_quoting_its_url(tmp_path):
    import pytest

    for context in ("https://user:GitTok1234abcd@github.com/o/r.git#main", "git@github.com:o/r.git"):
        spec = {"version": 1, "project": "s9d-git", "services": {"web": {"build": {"context": context}}}}
        with pytest.raises(Exception) as raised:  # the loader's error, whatever its class
            _spec(tmp_path, spec)
        text = str(raised.value)
        assert "remote build context" in text and "GitTok" not in text and "o/r.git" not in text


# --- 18 ----------------------------------------------------------------------------------------------


def _probe_spec(tmp_path):
    probe = {"kind": "http", "url": "http://127.0.0.1:1/health", "headers": {"X-Api-Key": "${API_KEY}"}}
    spec = {"version": 1, "project": "s9d-18", "probes": {"api": probe}}
    return _spec(tmp_path, spec, {"API_KEY": "winter2026"})


def test_18_the_recorded_spec_hash_is_keyed_with_the_label_key(tmp_path, monkeypatch):
    """Whoever holds a report and the repository, but not the key, cannot test a guess against it."""
    from validator.run import fingerprint

    loaded = _probe_spec(tmp_path)
    hashes = []
    for key in ("s9d-key-one", "s9d-key-two", "s9d-key-one"):
        monkeypatch.setenv("VALIDATOR_LABEL_KEY", key)
        hashes.append(fingerprint.recorded(loaded))
    assert hashes[0] != hashes[1] and hashes[0] == hashes[2]  # keyed, and stable under one key


def test_18_the_spec_hash_recorded_without_a_fingerprint_is_keyed_too(tmp_path, monkeypatch):
    from validator.run import fingerprint

    loaded = _probe_spec(tmp_path)
    monkeypatch.setattr(fingerprint, "verdict_inputs", lambda *args, **kwargs: None)  # a file cannot be read
    hashes = []
    for key in ("s9d-key-one", "s9d-key-two"):
        monkeypatch.setenv("VALIDATOR_LABEL_KEY", key)
        hashes.append(fingerprint.recorded(loaded))
    assert all(h.startswith(fingerprint.UNKNOWN) for h in hashes)
    assert hashes[0] != hashes[1] and loaded.text_hash not in hashes[0]


# --- 17 ----------------------------------------------------------------------------------------------


def _recorder_run(tmp_path, env_extra):
    import os
    import subprocess
    import sys

    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text(
        "import os, pytest\n"
        "def test_a():\n    assert os.environ['API_TOKEN'] == 'x'\n"
        "@pytest.mark.parametrize('v', [os.environ['API_TOKEN']])\ndef test_b(v):\n    pass\n"
    )
    results = tmp_path / "records.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    env.update({"API_TOKEN": "RecordsTok4455zzXX", "VALIDATOR_RESULTS": str(results), **env_extra})
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "validator.suites.recorder"]
    subprocess.run([*command, "tests"], cwd=tmp_path, env=env, capture_output=True, timeout=180, check=False)
    return results


def test_17_the_recorders_file_never_holds_a_tests_output_in_clear(tmp_path):
    """The recorder's redactor knows no secret (the suite's pytest never loads the spec): what it writes is
    sealed with the run's key, so the file is noise to anyone who finds it, during the run or after a
    SIGKILL; the run that holds the key reads it whole."""
    import base64

    from validator.suites.records import read_records
    from validator.suites.sealed import KEY_ENV, new_key

    key = new_key()
    results = _recorder_run(tmp_path, {KEY_ENV: key.hex()})
    raw = results.read_bytes()
    forms = [b"RecordsTok4455zzXX", base64.b64encode(b"RecordsTok4455zzXX"), b"assert", b"test_a"]
    assert raw and not any(form in raw for form in forms)
    recorded = read_records(results, "main", key)
    messages = " ".join(t.message for t in recorded.tests) + " ".join(t.nodeid for t in recorded.tests)
    assert recorded.exitstatus == 1 and "RecordsTok4455zzXX" in messages  # the parent masks it (registry)
    assert read_records(results, "main", new_key()).problem.startswith("left a results record that cannot be read")


def test_17_without_the_key_the_recorder_writes_nothing(tmp_path):
    """A command that passes the file's name on and not the key (a tox ``passenv``) gets no record in clear:
    no record at all, and the suite is an error saying why."""
    assert not _recorder_run(tmp_path, {}).exists()


def test_18_swarm_names_and_config_hashes_are_keyed(tmp_path, monkeypatch):
    """The same class on Swarm: a secret object's name (``docker secret ls``) carries a digest of the secret
    file's content, and a service's config hash label one of its environment's values."""
    from validator.engine.desired import desired_state
    from validator.load import load_spec
    from validator.swarm.desired import swarm_state

    (tmp_path / "db_password.txt").write_text("winter2026")
    spec = {
        "version": 1,
        "project": "s9d-swarm",
        "secrets": {"db_password": {"file": "./db_password.txt"}},
        "services": {"web": {"image": "busybox", "secrets": ["db_password"], "environment": {"PW": "winter2026"}}},
    }
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    loaded = load_spec([str(tmp_path / "infra.yaml")], {})
    seen = []
    for key in ("s9d-key-one", "s9d-key-two"):
        monkeypatch.setenv("VALIDATOR_LABEL_KEY", key)
        desired = desired_state(loaded, environ={}, refuse_unsupported=False)
        state = swarm_state(desired, loaded.spec.services, {"secrets": loaded.spec.secrets}, loaded.base_dir)
        seen.append((state.objects[("secret", "db_password")].name, state.services["web"].config_hash))
    assert seen[0][0] != seen[1][0] and seen[0][1] != seen[1][1]
