"""Compare a value found in a file or a response with a ``KeyAssertion`` (equals, regex, contains,
version, exists, one_of). Strings from flat formats compare equal to the numbers and booleans
they spell ("false" == False, "1" == 1)."""

from __future__ import annotations

import re
from typing import Any

from validator.redact import clip, quoted
from validator.spec.files import KeyAssertion
from validator.versions import satisfies

MISSING = object()


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _norm(v) for k, v in value.items()}
    if isinstance(value, str):
        return value.strip()
    return value


def show(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    # masked before it is quoted or cut (``validator.redact``): a value found in a file may be a password
    return clip(value if isinstance(value, str) else quoted(value), 200)


def describe(assertion: KeyAssertion) -> str:
    op, expected = assertion.operator, assertion.expected
    return {
        "equals": f"== {show(expected)}",
        "regex": f"matches /{expected}/",
        "contains": f"contains {show(expected)}",
        "version": f"version {expected}",
        "exists": "present" if expected else "absent",
        "one_of": f"one of {show(expected)}",
    }[op]


def assert_value(actual: Any, assertion: KeyAssertion) -> tuple[bool, str]:
    """(passed, what was found, shown for the report)."""
    op, expected = assertion.operator, assertion.expected
    if op == "exists":
        return (actual is not MISSING) == bool(expected), "present" if actual is not MISSING else "absent"
    if actual is MISSING:
        return False, "(absent)"
    if op == "equals":
        return _norm(actual) == _norm(expected), show(actual)
    if op == "one_of":
        return any(_norm(actual) == _norm(option) for option in expected), show(actual)
    if op == "regex":
        items = actual if isinstance(actual, list) else [actual]
        return any(re.search(expected, str(_norm(item))) for item in items), show(actual)
    if op == "contains":
        if isinstance(actual, list):
            return _norm(expected) in _norm(actual), show(actual)
        if isinstance(actual, dict):
            return str(expected) in actual, show(actual)
        return str(_norm(expected)) in str(_norm(actual)), show(actual)

    return satisfies(str(actual), str(expected)), show(actual)
