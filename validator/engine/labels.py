"""Labels on every object the engine creates; the engine lists and changes only what carries them."""

from __future__ import annotations

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
    ``$VALIDATOR_STATE_DIR`` or ``$XDG_STATE_HOME/validator`` (default ``~/.local/state/validator``)."""
    import os
    import secrets
    from pathlib import Path

    global _KEY
    given = os.environ.get("VALIDATOR_LABEL_KEY")
    if given:
        return given.encode()
    if _KEY is not None:
        return _KEY
    folder = Path(
        os.environ.get("VALIDATOR_STATE_DIR")
        or Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "validator"
    )
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
    except OSError:
        key = b""
    # an unreadable state folder still seals (values never reach the label), only unkeyed
    _KEY = key or b"validator-unkeyed"
    return _KEY


def seal(value: object, key: bytes) -> object:
    """``value`` with every string replaced by its keyed hash, structure kept."""
    import hashlib
    import hmac

    if isinstance(value, str):
        return SEAL_PREFIX + hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:24]
    if isinstance(value, dict):
        return {str(k): seal(v, key) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [seal(v, key) for v in value]
    return value


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
