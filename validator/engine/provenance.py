"""Which parts of a service's desired config may hold a secret, by where their value came from.

A drift reason prints a value only when it cannot be a secret. Whether it can is not a property of
the value (a rotated password looks like any word) but of its source: a field whose value a ``${VAR}``
brought in, an environment variable from an ``env_file``, taken from the host (``- TOKEN``) or named
like a secret, a label from a ``label_file`` or from ``${VAR}``. Those are *hidden*: ``plan`` says
``changed``, for the old value as well as the new.

The old side needs the same knowledge about the spec the container was created from, which this run
no longer has: so the names of the hidden parts (names only, never values) are recorded beside the
keyed hashes in the container's config label. A label without that record (an older validator's) is
``UNKNOWN``: every old value read back from the engine is then treated as hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from validator.redact import is_secret_name, redactor

# Config keys whose items are keyed by name: hidden per key, not as a whole.
KEYED = ("environment", "labels")
# A ``${VAR}`` under ``deploy:`` lands in these config keys (their names differ from the spec's).
_DEPLOY = ("mem_limit", "mem_reservation", "cpus", "pids_limit", "restart")


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """The hidden parts of one service's config: whole fields, and keys of ``environment`` / ``labels``.
    ``unknown``: nothing is known (a label of an older version): everything counts as hidden.
    ``seal``: set when the names in ``keys`` are keyed hashes (read from a label), to look a name up."""

    fields: frozenset[str] = frozenset()
    keys: Mapping[str, frozenset[str]] = field(default_factory=dict)
    unknown: bool = False
    seal: Callable[[str], str] | None = field(default=None, compare=False)

    def hides(self, name: str, key: str | None = None) -> bool:
        if self.unknown or name in self.fields:
            return True
        if key is None:
            return False
        names = self.keys.get(name, frozenset())
        return is_secret_name(key) or key in names or (self.seal is not None and self.seal(key) in names)

    def as_label(self, seal: Callable[[str], str]) -> dict[str, object]:
        """The record kept in the container's label: our field names, and the hidden variable and label
        names as keyed hashes (a name may itself come from ``${VAR}``); sorted, stable across runs."""
        out: dict[str, object] = {"fields": sorted(self.fields), "sealed": True}
        out.update({name: sorted(seal(k) for k in keys) for name, keys in sorted(self.keys.items()) if keys})
        return out

    @classmethod
    def from_label(cls, record: Any, seal: Callable[[str], str] | None = None) -> Provenance:
        """What a label recorded; ``UNKNOWN`` when it recorded nothing readable, or names in clear (an
        older version's record, which named a list item by its index after an overlay: not to be trusted)."""
        if not isinstance(record, dict) or record.get("sealed") is not True:
            return UNKNOWN
        if not isinstance(record.get("fields"), list):
            return UNKNOWN
        keys = {name: frozenset(str(k) for k in record[name]) for name in KEYED if isinstance(record.get(name), list)}
        return cls(fields=frozenset(str(f) for f in record["fields"]), keys=keys, seal=seal)


UNKNOWN = Provenance(unknown=True)


def holds_secret(value: object) -> bool:
    """Whether ``value`` holds a registered secret anywhere (a string in it, a mapping key included): the
    registry (``validator.redact``) is the one definition of what may be a secret."""
    mask = redactor()
    if isinstance(value, str):
        return mask.text(value) != value
    if isinstance(value, dict):
        return any(holds_secret(k) or holds_secret(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(holds_secret(v) for v in value)
    return False


def of_service(
    name: str,
    config: Mapping[str, Any],
    interpolated: Mapping[tuple[Any, ...], str],
    env_file_keys: Iterable[str],
    pass_through: Iterable[str],
    label_file_keys: Iterable[str],
) -> Provenance:
    """The hidden parts of service ``name``'s ``config``.

    ``interpolated``: the document paths whose value a ``${VAR}`` brought in, with that value (the
    loader's record). A path is the place *before* merging (an overlay's list item is its index, an
    ``extends`` base its own service): an ``environment`` / ``labels`` item is named from its own text
    (``KEY=value``), and every part of the final config that holds a registered secret is hidden too,
    whatever path brought it (``holds_secret``)."""
    fields: set[str] = set()
    keys: dict[str, set[str]] = {k: set() for k in KEYED}
    for path, value in interpolated.items():
        if len(path) < 3 or path[:2] != ("services", name):
            continue
        top = str(path[2])
        if top in KEYED and len(path) >= 4:
            keys[top].add(_item_key(path[3], value))
        elif top == "deploy":
            fields.update(k for k in _DEPLOY if k in config)
        elif top != "env_file":
            fields.add(top)
    for top, value in config.items():
        if top in KEYED and isinstance(value, dict):
            keys[top].update(str(k) for k, v in value.items() if holds_secret(k) or holds_secret(v))
        elif holds_secret(value):
            fields.add(top)
    keys["environment"].update(env_file_keys)
    keys["environment"].update(pass_through)
    keys["labels"].update(label_file_keys)
    return Provenance(fields=frozenset(fields), keys={k: frozenset(v) for k, v in keys.items() if v})


def _item_key(part: Any, value: str) -> str:
    """The variable or label name of an interpolated ``environment`` / ``labels`` entry: a mapping's key,
    or, for a list item, the name before '=' of its own interpolated text (``KEY=value``)."""
    if isinstance(part, int):
        return value.partition("=")[0]
    return str(part)


def old_secrets(inspected: Mapping[str, Any], config: Mapping[str, Any], new: Provenance, was: Provenance) -> list[str]:
    """The values a drifted container holds (as Docker reports them: ``inspected``) that may be secrets of
    the spec it was created from: those of hidden parts, on either side, that differ from ``config``.
    They are registered with the redactor before any reason, log line or report can print them: a
    rotated password is no longer in this run's spec."""
    out: list[str] = []
    environment = inspected.get("environment")
    desired = config.get("environment") or {}
    if isinstance(environment, dict):
        out += [
            str(value)
            for key, value in environment.items()
            if value != desired.get(key) and (new.hides("environment", key) or was.hides("environment", key))
        ]
    for name in ("command", "entrypoint"):
        value, now = inspected.get(name), config.get(name)
        if not value or value == now or not (new.hides(name) or was.hides(name)):
            continue
        # only the items that are not in the new one: registering "python" of a rotated command line
        # would mask every "python" of the run
        kept = set(map(str, now)) if isinstance(now, list) else {str(now)}
        out += [str(v) for v in (value if isinstance(value, list) else [value]) if str(v) not in kept]
    return out
