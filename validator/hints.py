"""The one "did you mean" every message uses for a misspelt name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: object, choices: Iterable[object], cutoff: float = 0.6) -> str:
    """`` (did you mean 'image'?)`` for the closest of ``choices``, or ``""`` when none is close."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=cutoff)
    return f" (did you mean {match[0]!r}?)" if match else ""
