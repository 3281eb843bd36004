"""did-you-mean offers close misspellings only, never a key of another meaning."""

from __future__ import annotations

import pytest

from validator.hints import did_you_mean, edit_distance


@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [
        ("imagee", ["image", "command"], "image"),
        ("helthcheck", ["healthcheck", "hostname"], "healthcheck"),
        ("htpp", ["http", "tcp"], "http"),  # a swap is one edit
        ("wbe", ["web", "db"], "web"),
        ("enviroment", ["environment", "entrypoint"], "environment"),
    ],
)
def test_close_misspellings_are_offered(word, choices, expected):
    assert did_you_mean(word, choices) == f" (did you mean {expected!r}?)"


@pytest.mark.parametrize(
    ("word", "choices"),
    [
        ("ulimits", ["mem_limit", "image", "links"]),
        ("network_mode", ["networks", "network"]),
        ("pid", ["ipc"]),  # one short word is not a misspelling of another
        ("image", ["image"]),  # the word itself is no suggestion
    ],
)
def test_keys_of_another_meaning_are_not_offered(word, choices):
    assert did_you_mean(word, choices) == ""


def test_edit_distance():
    assert edit_distance("abc", "abc") == 0
    assert edit_distance("abc", "acb") == 1
    assert edit_distance("", "abc") == 3
    assert edit_distance("kitten", "sitting") == 3
