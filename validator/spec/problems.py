"""What a parser of a user file (``.env``, an ``env_file``, ``${...}`` interpolation) found wrong, built so
that it cannot carry the text it failed on.

A line that does not parse is exactly the line whose value may be a password (``DB_PASSWORD="...``
without its closing quote), and nothing has registered it as a secret yet: the redactor cannot help.
So the rule is structural: a ``SourceError`` has no field for source text. Its message is one of the
fixed phrases of ``Expected``, filled only with a *name* (a variable or key that matched the name
grammar) and located by line and column. Whoever reports it adds the file.
"""

from __future__ import annotations

import enum
import re

# What may be shown of a name: the variable grammar of Compose (with '.' and '-' as dotenv keys allow).
# Anything else in the name slot is dropped, so a malformed "key" (a pasted value) is never echoed.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,127}")


class Expected(enum.Enum):
    """Every message a ``SourceError`` can say; ``{name}`` is the only hole."""

    CLOSING_DOUBLE_QUOTE = 'the value of {name} opens a double quote that is never closed (expected a closing ")'
    CLOSING_SINGLE_QUOTE = "the value of {name} opens a single quote that is never closed (expected a closing ')"
    NAME_WITHOUT_SPACE = "a variable name cannot contain a space (expected NAME=value)"
    NAME_CHARACTER = "unexpected character in a variable name (expected letters, digits, '_' or '.', then '=')"
    NAME_BEFORE_EQUALS = "a statement without a variable name (expected NAME=value)"
    CLOSING_BRACE = "invalid interpolation: '${{' is never closed (expected '}}')"
    VARIABLE_NAME = "invalid interpolation: expected a variable name after '${{'"
    OPERATOR = "invalid interpolation: unknown operator after a variable's name (expected :-, -, :?, ?, :+ or +)"
    REQUIRED = "variable ${{{name}}} is required but not set (the spec says ':?' or '?'): set it"
    NESTING = "interpolation nested too deep (${{...}} inside ${{...}} more than 32 levels)"


class SourceError(ValueError):
    """A located parse problem; ``line`` and ``col`` are 1-based, relative to the text parsed."""

    def __init__(self, expected: Expected, *, line: int = 1, col: int = 1, name: str | None = None) -> None:
        self.expected = expected
        self.line = line
        self.col = col
        self.name = name if name is not None and _NAME.fullmatch(name) else None
        super().__init__(expected.value.format(name=self.name or "a variable"))


def shown_name(name: str) -> str | None:
    """``name`` when it may be shown in a message (it matches the name grammar), else None."""
    return name if _NAME.fullmatch(name) else None


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
