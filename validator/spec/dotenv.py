"""Read a ``.env`` file as Compose reads it (compose-go's dotenv grammar), for interpolation.

- One statement per ``KEY=VALUE`` (or ``KEY: VALUE``); ``export`` before the key is ignored; blank
  lines and lines starting with ``#`` are skipped; a key alone on its line takes its value from the
  process environment when set there.
- Unquoted values end at the line's end, lose a trailing ``# comment`` and surrounding blanks, and
  are interpolated (``${VAR}``, ``${VAR:-default}``...).
- Single-quoted values are taken as written: no escapes, no interpolation.
- Double-quoted values may span lines; the escapes ``\\a \\b \\f \\n \\r \\t \\v`` become their control
  characters, ``\\\\`` and ``\\"`` their character, ``\\$`` a literal ``$``; any other backslash stays as
  written (compose-go v2.40, checked by tests/unit/test_dotenv.py). Then they are interpolated.
- Interpolation reads the variables defined earlier in the file, then the process environment; a
  variable set in the process environment wins over the file's value, as in Compose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from validator.redact import register
from validator.spec.interpolate import InterpolationError, interpolate
from validator.spec.problems import Expected, SourceError, position

_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPED = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "$": "$$",
}
_COMMENT = re.compile(" #")
# Blanks compose-go treats as spaces inside a statement (not the line break).
_BLANKS = "\t\v\f\r \x85\xa0"


class DotenvError(SourceError):
    """A statement Compose would refuse, located by ``line`` and ``col`` (1-based); it never holds the
    statement's text (``validator.spec.problems``)."""


def parse_dotenv(
    text: str,
    environ: Mapping[str, str],
    unset: set[str] | None = None,
    *,
    environ_wins: bool = True,
    fallback: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The variables ``text`` defines; ``environ`` is the process environment (it wins, and fills gaps).

    ``environ_wins=False`` reads a service's ``env_file`` as Compose does: the file's values stand, and
    ``${VAR}`` looks ``environ`` up first, then the file's earlier lines, then ``fallback`` (the files
    read before it); a key written alone takes ``environ``'s value."""
    text = text.replace("\r\n", "\n")
    out: dict[str, str] = {}
    pos, n = 0, len(text)
    while True:
        pos = _statement_start(text, pos)
        if pos >= n:
            return out
        if text.startswith("export", pos):
            pos = _skip_blanks(text, pos + len("export"))
        key, pos, inherited = _key(text, pos)
        if inherited:
            if key in environ:
                out[key] = environ[key]
            continue
        lookup = {**environ, **out} if environ_wins else {**(fallback or {}), **out, **environ}
        value, pos = _value(text, _skip_blanks(text, pos), key, lookup, unset)
        out[key] = environ.get(key, value) if environ_wins else value


def _statement_start(text: str, pos: int) -> int:
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
        elif text[pos] == "#":
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end
        else:
            break
    return pos


def _skip_blanks(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _BLANKS:
        pos += 1
    return pos


def _fail(expected: Expected, text: str, pos: int, name: str | None = None) -> DotenvError:
    line, col = position(text, pos)
    return DotenvError(expected, line=line, col=col, name=name)


def _key(text: str, pos: int) -> tuple[str, int, bool]:
    start = pos
    while pos < len(text):
        char = text[pos]
        if char in "=:\n":
            key = text[start:pos].rstrip()
            if " " in key or "\t" in key:
                raise _fail(Expected.NAME_WITHOUT_SPACE, text, start)
            if not key:
                raise _fail(Expected.NAME_BEFORE_EQUALS, text, start)
            return key, pos + 1, char == "\n"
        if not (char.isalnum() or char in "_." or char in _BLANKS):
            raise _fail(Expected.NAME_CHARACTER, text, pos)
        pos += 1
    key = text[start:pos].rstrip()
    return key, pos, True


def _value(text: str, pos: int, key: str, env: Mapping[str, str], unset: set[str] | None) -> tuple[str, int]:
    quote = text[pos] if pos < len(text) and text[pos] in "'\"" else ""
    if not quote:
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        # A comment needs a space before its '#': 'A=x#y' is 'x#y', 'A=x #y' is 'x'.
        raw = _COMMENT.split(text[pos:end], maxsplit=1)[0].rstrip()
        return _interpolate(raw, env, text, pos, unset), end
    i = pos + 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2  # an escaped character never closes the value
            continue
        if text[i] == quote:
            inner = text[pos + 1 : i]
            if quote == '"':
                inner = _interpolate(_unescape(inner), env, text, pos, unset)
            return inner, i + 1
        i += 1
    closing = Expected.CLOSING_DOUBLE_QUOTE if quote == '"' else Expected.CLOSING_SINGLE_QUOTE
    raise _fail(closing, text, pos, key)


def _unescape(value: str) -> str:
    # '$$' is how interpolation keeps a literal '$': what \$ means here.
    return _ESCAPE.sub(lambda match: _ESCAPED.get(match.group(1), match.group(0)), value)


def _interpolate(value: str, env: Mapping[str, str], text: str, pos: int, unset: set[str] | None) -> str:
    """``value`` (which starts at ``pos`` of ``text``) interpolated; a problem is located at its line and,
    for an unquoted value, its column (a quoted one was unescaped: its offsets moved, the value's start
    is shown)."""
    used: set[str] = set()
    brought: list[str] = []
    try:
        value = interpolate(value, env, used, unset, brought=brought)
    except InterpolationError as exc:
        inside = pos + exc.offset if text.startswith(value, pos) else pos
        raise _fail(exc.expected, text, inside, exc.name) from None
    # every value a variable brings in is a possible secret, in an env_file as in the spec: registered
    # before anything (a drift reason, a failing check) can print the value it landed in
    register(env[name] for name in used if name in env)
    register(brought)  # a default or an alternate as well (``X=${Y:-dev-password}``)
    return value
