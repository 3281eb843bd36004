"""Compose-style variable interpolation: ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
``${VAR:?message}``, ``${VAR?message}``, ``${VAR:+alt}``, ``${VAR+alt}`` and ``$$`` for a literal ``$``.
A ``$`` that cannot start a name (``$)`` at the end of a regex) stays as written, as Compose keeps it.

As in Compose, a variable that is not set reads as an empty string; its name is reported through
``unset`` so that the loader can warn (a spec that silently checks against '' must at least say so).
Only the ``?`` forms are errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# ${A:-${B:-...}} recurses once per level: a bound well under Python's recursion limit, far above
# any default a person writes (Compose has none and dies on a few thousand levels)
MAX_NESTING = 32


class InterpolationError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


def interpolate(
    text: str,
    env: Mapping[str, str],
    used: set[str] | None = None,
    unset: set[str] | None = None,
    _depth: int = 0,
) -> str:
    """Return ``text`` with every variable replaced; names read are added to ``used``, names read
    while not set (replaced by an empty string) to ``unset``."""
    if "$" not in text:
        return text
    if _depth > MAX_NESTING:
        raise InterpolationError(f"interpolation nested deeper than {MAX_NESTING} levels", 0)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "$":
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            end = _closing_brace(text, i + 2)
            if end < 0:
                raise InterpolationError(f"invalid interpolation: unterminated '${{' in {text!r}", i)
            out.append(_expand(text[i + 2 : end], env, used, unset, i, _depth))
            i = end + 1
        else:
            match = _NAME.match(text, i + 1)
            if not match:  # '$' before a non-name character (a regex's '$)'): nothing to expand
                out.append("$")
                i += 1
                continue
            out.append(_lookup(match.group(0), env, used, unset))
            i = match.end()
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for j in range(start, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _lookup(name: str, env: Mapping[str, str], used: set[str] | None, unset: set[str] | None) -> str:
    if used is not None:
        used.add(name)
    if name not in env:
        if unset is not None:
            unset.add(name)
        return ""
    return env[name]


def _expand(
    body: str, env: Mapping[str, str], used: set[str] | None, unset: set[str] | None, offset: int, depth: int = 0
) -> str:
    match = _NAME.match(body)
    if not match:
        raise InterpolationError(f"invalid interpolation: bad variable name in '${{{body}}}'", offset)
    name, rest = match.group(0), body[match.end() :]
    if used is not None:
        used.add(name)
    if not rest:
        return _lookup(name, env, None, unset)
    value = env.get(name)
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(op):
            arg = rest[len(op) :]
            empty_counts = op.startswith(":")
            present = value is not None and (value != "" or not empty_counts)
            if op.endswith("-"):
                return value if present and value is not None else interpolate(arg, env, used, unset, depth + 1)
            if op.endswith("+"):
                return interpolate(arg, env, used, unset, depth + 1) if present else ""
            if not present or value is None:
                raise InterpolationError(f"variable ${{{name}}}: {arg or 'required but not set'}", offset)
            return value
    raise InterpolationError(f"invalid interpolation: unknown operator in '${{{body}}}'", offset)
