"""The suite recorder's records, sealed with a key only the run holds (adversary s9 case 17).

The rule: nothing validator writes holds a secret value, even while it runs. The recorder runs in the
suite's pytest, which never loads the spec: its redactor knows no secret, so a test's failure message
(``assert token == 'x'``), a parametrized id or a ``-k`` expression would reach the records file in
clear, for the whole run and after it when validator is killed with SIGKILL (nothing removes the
private folder then). So every record line is sealed: encrypted with a keystream of SHAKE-256 over the
key and a fresh nonce, and authenticated with keyed BLAKE2b. The key is random per suite run, handed
to the recorder in ``KEY_ENV`` (which it takes out of its environment, as it does the file's name) and
never written anywhere: once the run's processes are gone, the file is noise. The parent opens each
line and masks what it holds with the full registry, as before.

Standalone on purpose: the standard library only, copied beside the recorder (``records.recording_env``)
for a suite run by another interpreter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

KEY_ENV = "VALIDATOR_RESULTS_KEY"
_NONCE = 16
_TAG = 16


def new_key() -> bytes:
    return os.urandom(32)


def _stream(key: bytes, nonce: bytes, data: bytes) -> bytes:
    pad = hashlib.shake_256(b"validator-records\0" + key + nonce).digest(len(data))
    return (int.from_bytes(data, "big") ^ int.from_bytes(pad, "big")).to_bytes(len(data), "big")


def _tag(key: bytes, body: bytes) -> bytes:
    return hashlib.blake2b(body, key=key, digest_size=_TAG).digest()


def seal(key: bytes, text: str) -> str:
    """One line of text, sealed: base64 of nonce, tag and ciphertext (no newline in it)."""
    nonce = os.urandom(_NONCE)
    body = nonce + _stream(key, nonce, text.encode("utf-8", "surrogatepass"))
    return base64.b64encode(_tag(key, body) + body).decode("ascii")


def unseal(key: bytes, line: str) -> str:
    """The text of a sealed line; ValueError when it is not one sealed with ``key`` (cut, altered)."""
    raw = base64.b64decode(line.strip(), validate=True)
    tag, body = raw[:_TAG], raw[_TAG:]
    if len(body) < _NONCE or not hmac.compare_digest(_tag(key, body), tag):
        raise ValueError("not a record sealed with this run's key")
    nonce, data = body[:_NONCE], body[_NONCE:]
    return _stream(key, nonce, data).decode("utf-8", "surrogatepass")
