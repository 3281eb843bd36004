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

from validator.spec.problems import Expected, SourceError, position

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# ${A:-${B:-...}} recurses once per level: a bound well under Python's recursion limit, far above
# any default a person writes (Compose has none and dies on a few thousand levels)
MAX_NESTING = 32


class InterpolationError(SourceError):
    """Where and what, never the text (``validator.spec.problems``); ``offset`` is the position of the
    ``$`` in the text interpolated, ``line``/``col`` the same place 1-based."""

    def __init__(self, expected: Expected, text: str, offset: int, name: str | None = None) -> None:
        line, col = position(text, offset)
        super().__init__(expected, line=line, col=col, name=name)
        self.offset = offset


def interpolate(
    text: str,
    env: Mapping[str, str],
    used: set[str] | None = None,
    unset: set[str] | None = None,
    _depth: int = 0,
    *,
    brought: list[str] | None = None,
) -> str:
    """Return ``text`` with every variable replaced; names read are added to ``used``, names read
    while not set (replaced by an empty string) to ``unset``, and the text each reference became (a
    variable's value, a default, an alternate) to ``brought``."""
    if "$" not in text:
        return text
    if _depth > MAX_NESTING:
        raise InterpolationError(expected=Expected.NESTING, text=text, offset=0)
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
                raise InterpolationError(expected=Expected.CLOSING_BRACE, text=text, offset=i)
            piece = _expand(text, i, end, env, used, unset, _depth, brought)
            out.append(piece)
            if brought is not None:
                brought.append(piece)
            i = end + 1
        else:
            match = _NAME.match(text, i + 1)
            if not match:  # '$' before a non-name character (a regex's '$)'): nothing to expand
                out.append("$")
                i += 1
                continue
            piece = _lookup(match.group(0), env, used, unset)
            out.append(piece)
            if brought is not None:
                brought.append(piece)
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
    text: str,
    offset: int,
    end: int,
    env: Mapping[str, str],
    used: set[str] | None,
    unset: set[str] | None,
    depth: int,
    brought: list[str] | None,
) -> str:
    """``text[offset:end + 1]`` is one ``${...}``."""
    body = text[offset + 2 : end]
    match = _NAME.match(body)
    if not match:
        raise InterpolationError(expected=Expected.VARIABLE_NAME, text=text, offset=offset)
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
            start = offset + 2 + match.end() + len(op)
            if op.endswith("-"):
                if present and value is not None:
                    return value
                return _nested(text, start, arg, env, used, unset, depth, brought)
            if op.endswith("+"):
                return _nested(text, start, arg, env, used, unset, depth, brought) if present else ""
            if not present or value is None:
                # the author's ':?message' is not repeated: it is text of the file, and may hold a value
                raise InterpolationError(expected=Expected.REQUIRED, text=text, offset=offset, name=name)
            return value
    # the name is not repeated: what follows ``${`` up to a character that is not a name's may be a
    # value written where a name was meant (the position says where)
    raise InterpolationError(expected=Expected.OPERATOR, text=text, offset=offset)


def _nested(
    text: str,
    start: int,
    arg: str,
    env: Mapping[str, str],
    used: set[str] | None,
    unset: set[str] | None,
    depth: int,
    brought: list[str] | None,
) -> str:
    """``arg`` (at ``start`` in ``text``) interpolated; a problem in it is located in ``text``."""
    try:
        return interpolate(arg, env, used, unset, depth + 1, brought=brought)
    except InterpolationError as exc:
        raise InterpolationError(expected=exc.expected, text=text, offset=start + exc.offset, name=exc.name) from None
