"""Why a service must be recreated, field by field, in Compose's words (secrets never shown)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from validator.redact import is_secret_name
from validator.units import format_size

_SIZES = {"mem_limit", "mem_reservation", "memswap_limit", "shm_size"}
_DURATIONS = {"stop_grace_period"}
_KEYED = {"environment", "labels"}
_LISTS = {"ports", "volumes", "extra_hosts", "tmpfs", "cap_add", "cap_drop"}


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


def config_diff(old: dict[str, Any], new: dict[str, Any], secrets: Iterable[str] = ()) -> list[str]:
    reasons: list[str] = []
    secret_set = set(secrets)
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key in _KEYED and isinstance(before or {}, dict) and isinstance(after or {}, dict):
            reasons.extend(_keyed(key, before or {}, after or {}, secret_set))
        elif key in _LISTS:
            gone = [str(v) for v in before or [] if v not in (after or [])]
            added = [str(v) for v in after or [] if v not in (before or [])]
            parts = [f"+{v}" for v in added] + [f"-{v}" for v in gone]
            reasons.append(f"{key}: {', '.join(parts) if parts else 'order changed'}")
        elif key == "healthcheck" and isinstance(before, dict) and isinstance(after, dict):
            for sub in sorted(set(before) | set(after)):
                if before.get(sub) != after.get(sub):
                    reasons.append(f"healthcheck.{sub}: {_fmt(sub, before.get(sub))} -> {_fmt(sub, after.get(sub))}")
        else:
            reasons.append(f"{key}: {_fmt(key, before)} -> {_fmt(key, after)}")
    return reasons


def _keyed(field: str, before: dict[str, Any], after: dict[str, Any], secrets: set[str]) -> list[str]:
    out = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        hidden = is_secret(name, old, secrets) or is_secret(name, new, secrets)
        if name not in before:
            out.append(f"{field}: +{name}" + ("" if hidden else f"={new}"))
        elif name not in after:
            out.append(f"{field}: -{name}")
        elif hidden:
            out.append(f"{field}: {name} changed (value hidden)")
        else:
            out.append(f"{field}: {name} {old} -> {new}")
    return out


def mounted_diff(old: dict[str, str], new: dict[str, str]) -> list[str]:
    out = []
    for path in sorted(set(old) | set(new)):
        if path not in old:
            out.append(f"mounted file {path} added")
        elif path not in new:
            out.append(f"mounted file {path} removed")
        elif old[path] != new[path]:
            out.append(f"mounted file {path} changed")
    return out
