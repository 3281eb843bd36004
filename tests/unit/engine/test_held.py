"""engine/held.py: what a container holds that may be a secret, read from its inspect alone."""

from __future__ import annotations

import json

from validator import redact
from validator.engine import labels as L
from validator.engine.held import register_held
from validator.engine.provenance import Provenance
from validator.redact import MASK


def _info(env: dict[str, str], record: object) -> dict[str, object]:
    labels = {} if record is None else {L.CONFIG: json.dumps({"secret": record})}
    return {"Config": {"Env": [f"{k}={v}" for k, v in env.items()], "Cmd": ["sleep", "60"], "Labels": labels}}


ENV = {"FROM_VAR": "from-var-value-1", "DB_PASSWORD": "named-secret-2", "LOG_FORMAT": "plain-words-3"}


def test_the_label_record_and_secret_names_say_what_is_registered(monkeypatch):
    monkeypatch.setenv("VALIDATOR_LABEL_KEY", "held-test-key")
    key = L.state_key()
    record = Provenance(keys={"environment": frozenset({"FROM_VAR"})}).as_label(lambda n: L.seal_text(n, key))
    register_held(_info(ENV, record))
    masked = redact.text(" ".join(ENV.values()))
    assert masked == f"{MASK} {MASK} plain-words-3"  # a plain literal under a plain name is no secret


def test_a_container_whose_label_records_nothing_has_every_value_registered():
    register_held(_info(ENV, None))  # an older validator's label: nothing is known, all is hidden
    assert redact.text(" ".join(ENV.values())) == " ".join([MASK] * 3)


def test_a_gone_container_registers_nothing():
    register_held(None)
    assert redact.redactor().secrets == []
