"""Durations and byte sizes as written in specs and conditions.

Durations follow Compose/Go (``1m30s``, ``500ms``, ``2h``); a bare number means seconds.
Sizes follow the Compose Specification and Docker's ``RAMInBytes``: ``b``, ``k``/``kb``, ``m``/``mb``,
``g``/``gb`` (and ``t``/``tb``) are all binary multiples (``256mb`` = 256 MiB, as Compose and Docker
read it), as are the IEC names (``256MiB``, ``8GiB``); units are case-insensitive.
"""

from __future__ import annotations

import re

from validator.redact import quoted

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]*)")
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "m": 1024**2,
    "g": 1024**3,
    "t": 1024**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
    # The Compose Specification defines these as the same binary multiples (Docker's RAMInBytes).
    "kb": 1024,
    "mb": 1024**2,
    "gb": 1024**3,
    "tb": 1024**4,
}


def parse_duration(value: object) -> float:
    """Seconds from ``10s``, ``1m30s``, ``500ms``, or a non-negative number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '30s', got {quoted(value)}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a duration cannot be negative: {quoted(value)}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a duration such as '30s', got {type(value).__name__}")
    text = value.strip()
    if text.startswith("-"):
        raise ValueError(f"a duration cannot be negative: {quoted(value)}")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"invalid duration {quoted(value)}: use a number with ms, s, m, h or d, e.g. '30s' or '1m30s'")
    return total


def parse_size(value: object) -> int:
    """Bytes from ``512m``, ``2g``, ``256MiB``, ``8GiB`` or a non-negative integer of bytes."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as '512m', got {quoted(value)}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a size cannot be negative: {quoted(value)}")
        return value
    if isinstance(value, float):
        raise ValueError(f"a size needs a unit or a whole number of bytes, got {quoted(value)}")
    if not isinstance(value, str):
        raise ValueError(f"expected a size such as '512m', got {type(value).__name__}")
    text = value.strip()
    if text.startswith("-"):
        raise ValueError(f"a size cannot be negative: {quoted(value)}")
    match = _SIZE.fullmatch(text)
    if not match:
        raise ValueError(f"invalid size {quoted(value)}: use a number with b, k/kb, m/mb, g/gb or KiB, MiB, GiB")
    unit = match.group(2).lower()
    if not unit and "." in match.group(1):
        raise ValueError(f"a size needs a unit or a whole number of bytes, got {quoted(value)}")
    if unit not in _SIZE_UNITS:
        raise ValueError(
            f"unknown size unit {quoted(match.group(2))} in {quoted(value)}: use b, k/kb, m/mb, g/gb or KiB, MiB, GiB"
        )
    return int(float(match.group(1)) * _SIZE_UNITS[unit])


def format_size(num: float) -> str:
    """``536870912`` -> ``512 MiB``."""
    for unit, factor in (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if abs(num) >= factor:
            value = num / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.2f} {unit}"
    return f"{num:.0f} B"


def format_duration(seconds: float) -> str:
    """``95.5`` -> ``1m35.5s``; short values keep two decimals."""
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)}m{rest:.1f}s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)}h{int(minutes)}m{rest:.0f}s"
