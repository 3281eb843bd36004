"""Why a service must be recreated, field by field, in Compose's words (secrets never shown).

The container's label holds the desired state it was created from as keyed hashes (``labels.seal``),
so a field, an environment variable or a list item that changed is found by comparing hashes.

The value of a field where Compose users put credentials is never printed, old or new, whatever its
origin (``OPAQUE``: the environment, labels, command and entrypoint arguments, the hooks and the
healthcheck's test): a literal ``DATABASE_URL: postgres://app:pw@db/app`` under an innocuous name is
no registered secret, and a password rotation would print both passwords. Those reasons name the
variable or label and say it changed, as Compose's own drift says nothing of values. Elsewhere what
a field *was* is known only where Docker itself reports it and its hash confirms it; the reason shows
only the new value otherwise, and a value is printed only when it cannot be a secret: never one of a
part the provenance hides (``engine/provenance.py``: from ``${VAR}``, an ``env_file``, the host, a
secret-named key) on either side, nor a registered secret.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from validator.engine.labels import is_hash
from validator.engine.provenance import Provenance
from validator.redact import is_secret_name
from validator.units import format_size

_SIZES = {"mem_limit", "mem_reservation", "memswap_limit", "shm_size"}
_DURATIONS = {"stop_grace_period"}
_KEYED = {"environment", "labels"}
# Fields whose values may hold a credential (a password in a URL, a token argument, a hook's
# ``mysql -p...``): their reasons never carry a value. ``healthcheck.test`` is matched by its last part.
OPAQUE = frozenset({"environment", "labels", "command", "entrypoint", "post_start", "pre_stop", "test"})
_LISTS = {"ports", "volumes", "extra_hosts", "tmpfs", "cap_add", "cap_drop"}
_UNKNOWN = object()


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "unset"
    if key in _SIZES and isinstance(value, int | float):
        return format_size(value)
    if key in _DURATIONS or key in ("interval", "timeout", "start_period", "start_interval"):
        return f"{value:g}s" if isinstance(value, int | float) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def is_secret(key: str, value: str | None, secrets: Iterable[str]) -> bool:
    return is_secret_name(key) or (value is not None and value in set(secrets))


def _was(before_sealed: Any, inspected: Any, sealed_of: Any) -> Any:
    """The old value when Docker reports one whose hash is the one the label recorded."""
    if inspected is None or inspected is _UNKNOWN:
        return _UNKNOWN
    return inspected if sealed_of(inspected) == before_sealed else _UNKNOWN


def config_diff(
    old: dict[str, Any],
    new: dict[str, Any],
    secrets: Iterable[str] = (),
    sealed: dict[str, Any] | None = None,
    inspected: dict[str, Any] | None = None,
    seal: Any = None,
    *,
    hidden: Provenance | None = None,
    was_hidden: Provenance | None = None,
) -> list[str]:
    """Reasons ``old`` (the sealed label) differs from ``new`` (whose sealed form is ``sealed``).

    ``seal`` seals one value the way the label did (to confirm an inspected value); without
    ``sealed`` the two are compared as plain values (tests, and labels of older versions).
    ``hidden`` / ``was_hidden``: the parts of the new / old config that may hold a secret.
    """
    sealed = new if sealed is None else sealed
    seal = seal or (lambda value: value)
    inspected = inspected or {}
    sides = (hidden or Provenance(), was_hidden or Provenance())
    reasons: list[str] = []
    secret_set = set(secrets)
    for key in sorted(set(old) | set(sealed)):
        before, after, after_sealed = old.get(key), new.get(key), sealed.get(key)
        if before == after_sealed:
            continue
        if key in _KEYED and isinstance(before or {}, dict) and isinstance(after or {}, dict):
            reasons.extend(_keyed(key, before or {}, after or {}, after_sealed or {}))
        elif key in OPAQUE or (key == "healthcheck" and not (isinstance(before, dict) and isinstance(after, dict))):
            # a healthcheck turned on or off carries its test: said, never shown
            reasons.append(f"{key}: changed")
        elif sides[0].hides(key) or (sides[1].hides(key) and key not in new):
            reasons.append(f"{key}: changed (value hidden)")
        elif key in _LISTS:
            old_items = list(before or [])
            new_sealed = list(after_sealed or [])
            added = [str(v) for v, s in zip(after or [], new_sealed, strict=False) if s not in old_items]
            gone = [v for v in old_items if v not in new_sealed]
            parts = [f"+{v}" for v in added]
            if gone:
                parts.append(f"-{len(gone)} earlier item{'s' if len(gone) != 1 else ''}")
            reasons.append(f"{key}: {', '.join(parts) if parts else 'order changed'}")
        elif key == "healthcheck" and isinstance(before, dict) and isinstance(after, dict):
            for sub in sorted(set(before) | set(after)):
                if before.get(sub) != (after_sealed or {}).get(sub) and sub in OPAQUE:
                    reasons.append(f"healthcheck.{sub}: changed")
                elif before.get(sub) != (after_sealed or {}).get(sub):
                    reasons.append(_change(f"healthcheck.{sub}", sub, before.get(sub), after.get(sub), _UNKNOWN))
        elif sides[1].hides(key):
            # the new value cannot be a secret, the old one may have been: only the new one is shown
            reasons.append(f"{key}: changed -> {_fmt(key, after)}")
        else:
            was = _was(before, inspected.get(key, _UNKNOWN), seal)
            if any(is_secret(key, str(v), secret_set) for v in (was, after) if v is not _UNKNOWN and v is not None):
                reasons.append(f"{key}: changed (value hidden)")
            else:
                reasons.append(_change(key, key, before, after, was))
    return reasons


def _change(label: str, key: str, before: Any, after: Any, was: Any) -> str:
    """``label: old -> new``; the old value from the label only when it is a plain number or flag."""
    if was is _UNKNOWN:
        was = before if isinstance(before, int | float | bool) or before is None else _UNKNOWN
    if was is _UNKNOWN:
        return f"{label}: changed -> {_fmt(key, after)}"
    return f"{label}: {_fmt(key, was)} -> {_fmt(key, after)}"


def _keyed(field: str, before: dict[str, Any], after: dict[str, Any], after_sealed: dict[str, Any]) -> list[str]:
    """Which variables or labels were added, removed or changed: names only, never a value (``OPAQUE``)."""
    out = []
    for name in sorted(set(before) | set(after)):
        if name in before and before[name] == after_sealed.get(name):
            continue
        if name not in before:
            out.append(f"{field}: +{name}")
        elif name not in after and is_hash(name):
            # a name the label holds sealed that neither the spec nor Docker names any more
            out.append(f"{field}: an earlier {'variable' if field == 'environment' else 'label'} removed")
        elif name not in after:
            out.append(f"{field}: -{name}")
        else:
            out.append(f"{field}: {name} changed")
    return out


def mounted_diff(old: dict[str, str], new: dict[str, str]) -> list[str]:
    out = []
    for path in sorted(set(old) | set(new)):
        if path not in old:
            out.append(f"mounted file {path} added")
        elif path not in new:
            out.append("an earlier mounted file removed" if is_hash(path) else f"mounted file {path} removed")
        elif old[path] != new[path]:
            out.append(f"mounted file {path} changed")
    return out
