"""The one "did you mean" every message uses for a misspelt name.

Only close misspellings are offered: a typo, a dropped, doubled or swapped letter. A suggestion of a
key with another meaning (``ulimits`` -> ``mem_limit``, ``network_mode`` -> ``networks``) misleads more
than no suggestion, so similarity of shape (difflib's ratio) is not enough: the edit distance must be
small for the word's length.
"""

from __future__ import annotations

from collections.abc import Iterable

from validator.redact import quoted


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def max_typos(word: str) -> int:
    """Edits still called a misspelling: 1 up to 7 characters, 2 up to 11, then 3.

    Why these bounds: a short key is one edit away from many unrelated keys (``pid`` / ``ipc``),
    so short words get one edit; long keys are typed with more slips.
    """
    return 1 if len(word) <= 7 else 2 if len(word) <= 11 else 3


def did_you_mean(word: object, choices: Iterable[object]) -> str:
    """`` (did you mean 'image'?)`` for the closest of ``choices``, or ``""`` when none is a close misspelling."""
    text = str(word)
    best: tuple[int, str] | None = None
    for choice in dict.fromkeys(str(c) for c in choices):
        if choice == text:
            continue
        distance = edit_distance(text.lower(), choice.lower())
        if distance <= max_typos(text) and (best is None or distance < best[0]):
            best = (distance, choice)
    return f" (did you mean {quoted(best[1])}?)" if best else ""
