"""Labels on every object the engine creates; the engine lists and changes only what carries them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from validator.redact import register

if TYPE_CHECKING:
    from pathlib import Path

PREFIX = "dev.validator."
PROJECT = PREFIX + "project"
SERVICE = PREFIX + "service"
# Which replica of its service a container is (1..N; no label: 1, what versions before scale wrote).
# validator writes Compose's labels too (engine/compose_labels.py), for Compose's tools; it reads its own.
REPLICA = PREFIX + "replica"
CONFIG_HASH = PREFIX + "config-hash"
CONFIG = PREFIX + "config"
IMAGE_ID = PREFIX + "image-id"
SPEC = PREFIX + "spec"
VERSION = PREFIX + "version"
NETWORK = PREFIX + "network"
VOLUME = PREFIX + "volume"


def project_filter(project: str) -> dict[str, list[str]]:
    """Docker API filter selecting exactly this project's objects (exact label value match)."""
    return {"label": [f"{PROJECT}={project}"]}


# The desired state a container was created from is recorded as keyed hashes, never as values:
# labels are readable by anyone who can list containers and are exported by monitoring, and a
# spec's environment carries passwords. Every string is sealed on its own (numbers and booleans
# are sizes, counts and flags, kept as they are), so the planner still names the field, the
# environment variable or the list item that changed. The key keeps a short password from being
# recovered by hashing guesses; it lives in the user's state folder (or VALIDATOR_LABEL_KEY, to
# share it between machines that reconcile one engine). A new key makes every container look
# changed once.
SEAL_PREFIX = "hmac:"
_KEY: bytes | None = None


def state_key() -> bytes:
    """The key sealing desired-state labels: VALIDATOR_LABEL_KEY, else a random key kept (0600) in
    ``$VALIDATOR_STATE_DIR`` or ``$XDG_STATE_HOME/validator`` (default ``~/.local/state/validator``).
    Whichever it is, it is registered with the redactor: it is validator's own secret (redact.OWN_SECRETS)."""
    key = _state_key()
    register([key.decode("utf-8", "surrogateescape")])  # each call: a new command resets the registry
    return key


def _state_key() -> bytes:
    import os
    import secrets

    global _KEY
    given = os.environ.get("VALIDATOR_LABEL_KEY")
    if given:
        return given.encode()
    if _KEY is not None:
        return _KEY
    folder = state_folder()
    path = folder / "label.key"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            fd = -1
        if fd >= 0:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd) as handle:
            key = handle.read().strip().encode()
    except OSError as exc:
        _KEY = _run_key(folder, exc.strerror or type(exc).__name__)
        return _KEY
    _KEY = key or _run_key(folder, "the key file is empty")
    return _KEY


def state_folder() -> Path:
    """The user's state folder: ``$VALIDATOR_STATE_DIR``, else ``$XDG_STATE_HOME/validator`` (default
    ``~/.local/state/validator``). It holds the label key and the launch records (engine/launches.py)."""
    import os
    from pathlib import Path

    return Path(
        os.environ.get("VALIDATOR_STATE_DIR")
        or Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "validator"
    )


def _run_key(folder: object, reason: str) -> bytes:
    """A random key for this run only, said out loud. Never a fixed fallback: a label sealed with a key
    anyone knows is an encoding of its values (a weak password is found by hashing guesses). The cost:
    the next run has another key, so every container it finds looks changed and is recreated once."""
    import secrets
    import sys

    print(
        f"validator: warning: cannot keep the label key in {folder} ({reason}): labels are sealed with a "
        "key for this run only, so the next run sees every container as changed; set VALIDATOR_STATE_DIR "
        "to a writable folder or VALIDATOR_LABEL_KEY",
        file=sys.stderr,
        flush=True,
    )
    return secrets.token_hex(32).encode()


def seal_text(text: str, key: bytes) -> str:
    """The keyed hash of one string, as the label holds it."""
    import hashlib
    import hmac

    return SEAL_PREFIX + hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:24]


def seal(value: object, key: bytes) -> object:
    """``value`` with every string replaced by its keyed hash, mapping keys kept (the form compared)."""
    if isinstance(value, str):
        return seal_text(value, key)
    if isinstance(value, dict):
        return {str(k): seal(v, key) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [seal(v, key) for v in value]
    return value


# What the config label may hold: the names of our own fields (``environment``, ``command``...), numbers,
# flags and keyed hashes. Every other string is sealed, mapping keys included: a variable's *name* can
# come from ``${VAR}`` (``- "${NAME}=on"``), a network's name, a mounted file's path, a label's key.
# ``open_keys`` gives the planner the names back, from the spec and from what Docker reports.
def seal_label(state: dict[str, object], key: bytes) -> dict[str, object]:
    """The label's form of a desired config (``{field: value}``): field names kept, all else sealed."""
    return {str(k): seal_all(v, key) for k, v in state.items()}


def seal_all(value: object, key: bytes) -> object:
    """``value`` with every string, mapping keys included, replaced by its keyed hash."""
    if isinstance(value, str):
        return seal_text(value, key)
    if isinstance(value, dict):
        return {seal_text(str(k), key): seal_all(v, key) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [seal_all(v, key) for v in value]
    return value


def open_keys(sealed: object, plain: object, key: bytes, extra: Iterable[str] = ()) -> object:
    """``sealed`` (a label's value) with each sealed mapping key replaced by the name it seals, found
    among the keys of ``plain`` (the spec's value at the same place) and ``extra`` (names Docker reports);
    a key of no known name stays sealed, and a label of an older version (names in clear) stays as it is."""
    if isinstance(sealed, list):
        items = plain if isinstance(plain, list | tuple) else []
        return [open_keys(v, items[i] if i < len(items) else None, key) for i, v in enumerate(sealed)]
    if not isinstance(sealed, dict):
        return sealed
    known = plain if isinstance(plain, dict) else {}
    names = {seal_text(str(n), key): str(n) for n in [*known, *extra]}
    out: dict[str, object] = {}
    for k, v in sealed.items():
        name = names.get(str(k), str(k))
        out[name] = open_keys(v, known.get(name), key)
    return out


def is_hash(text: object) -> bool:
    return isinstance(text, str) and text.startswith(SEAL_PREFIX)


def digest(value: object, key: bytes) -> str:
    """A keyed hash of a JSON-able value (the whole desired state of a container)."""
    import hashlib
    import hmac
    import json

    return hmac.new(key, json.dumps(value, sort_keys=True).encode(), hashlib.sha256).hexdigest()


def is_sealed(value: object) -> bool:
    """Every string in ``value`` is a keyed hash (a label this version wrote)."""
    if isinstance(value, str):
        return value.startswith(SEAL_PREFIX)
    if isinstance(value, dict):
        return all(is_sealed(v) for v in value.values())
    if isinstance(value, list):
        return all(is_sealed(v) for v in value)
    return True
