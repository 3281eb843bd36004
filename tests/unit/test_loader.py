"""The position-keeping loader: locations, YAML 1.2 scalars, duplicates, aliases and every bound."""

import pytest

from validator.errors import SpecError
from validator.spec import loader
from validator.spec.loader import Location, Override, Reset, load_file, load_text


def load(text, env=None):
    return load_text(text, "t.yaml", env or {})


def messages(text, env=None):
    with pytest.raises(SpecError) as info:
        load(text, env)
    return [str(f) for f in info.value.findings]


def test_positions_of_values_and_keys():
    doc = load("version: 1\nservices:\n  web:\n    image: busybox\n    ports: ['80', \"81\"]\n")
    assert doc.positions[("services", "web", "image")] == Location("t.yaml", 4, 12)
    assert doc.key_positions[("services", "web", "image")] == Location("t.yaml", 4, 5)
    assert doc.positions[("services", "web", "ports", 1)] == Location("t.yaml", 5, 20)  # inside the quotes
    # a path that does not exist falls back to its nearest written ancestor's key
    assert doc.locate(("services", "web", "missing", 3)) == Location("t.yaml", 3, 3)


def test_yaml_1_2_core_scalars():
    doc = load("a: on\nb: no\nc: 22:22\nd: 0o17\ne: 0x1f\nf: 1.5\ng: ~\nh: true\ni: '8080'\nj: 017\nk: .inf\n")
    assert doc.data == {
        "a": "on",
        "b": "no",
        "c": "22:22",
        "d": 15,
        "e": 31,
        "f": 1.5,
        "g": None,
        "h": True,
        "i": "8080",
        "j": 17,
        "k": float("inf"),
    }


def test_explicit_tags():
    doc = load("a: !!str 123\nb: !!int '7'\nc: !!float 1\n")
    assert doc.data == {"a": "123", "b": 7, "c": 1.0}
    assert "is not a valid !!int" in messages("a: !!int abc\n")[0]


def test_duplicate_keys_report_both_lines():
    out = messages("a: 1\nb: 2\na: 3\n")
    assert out == ["t.yaml:3:1: a: duplicate key 'a' (first defined at line 1)"]


def test_merge_keys_and_anchors():
    doc = load("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n")
    assert doc.data["c"] == {"x": 1, "y": 3}


def test_an_explicit_merge_tag_is_a_merge_key():
    """`!!merge <<: *x` (signoz's files write it 18 times) is YAML's explicit form of `<<`, as Compose reads it."""
    doc = load("base: &b {x: 1, y: 2}\nc:\n  !!merge <<: *b\n  y: 3\nd:\n  !!merge <<: [*b]\n")
    assert doc.data["c"] == {"x": 1, "y": 3} and doc.data["d"] == {"x": 1, "y": 2}
    assert messages("c:\n  !!merge other: 1\n")[0].startswith("t.yaml:2:3: c: unsupported YAML tag")


def test_quoted_merge_key_is_an_ordinary_key():
    doc = load("c:\n  '<<': 1\n")
    assert doc.data["c"] == {"<<": 1}


def test_alias_bomb_is_bounded(monkeypatch):
    monkeypatch.setattr(loader, "MAX_NODES", 1000)
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"l{i}: &l{i} [{', '.join(['*a' if i == 0 else f'*l{i - 1}'] * 10)}]\n" for i in range(5)
    )
    out = messages(text)
    assert "expands to more than 1000 nodes" in out[0]


def test_deep_nesting_is_bounded_without_crashing():
    out = messages("a: " + "[" * 100000 + "]" * 100000 + "\n")
    assert "nesting deeper than 64 levels" in out[0]


def test_self_referencing_alias():
    assert "alias refers to the node that holds it" in messages("a: &a\n  - *a\n")[0]


def test_interpolation_with_location():
    doc = load("a: ${X:-d}\nb: '${Y}'\n", {"Y": "why"})
    assert doc.data == {"a": "d", "b": "why"}
    assert doc.interpolated == {("a",): "d", ("b",): "why"}
    doc = load("a: 1\nb: x ${NOPE}\nc: $NOPE\nd: ${BAD:?say why}\n", {})
    assert doc.data == {"a": 1, "b": "x ", "c": "", "d": "${BAD:?say why}"}
    assert [str(f) for f in doc.findings] == [
        "t.yaml:2:4: b: warning: variable ${NOPE} is not set: it reads as an empty string",
        "t.yaml:4:4: d: variable ${BAD} is required but not set (the spec says ':?' or '?'): set it",
    ]
    assert doc.unresolved() == [("d",)]


def test_reset_and_override_tags():
    doc = load("a: !reset null\nb: !override [1]\n")
    assert isinstance(doc.data["a"], Reset)
    assert doc.data["b"] == Override([1])


def test_unsupported_tag():
    assert "unsupported YAML tag" in messages("a: !!python/object:os.system x\n")[0]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty spec"),
        (b"# only a comment\n", "empty spec"),
        (b"- a\n", "top level must be a mapping"),
        (b"a: 1\x00", "binary file"),
        (b"a: caf\xe9\n", "not UTF-8"),
        (b"a: 1\n---\nb: 2\n", "more than one YAML document"),
        (b"a:\n\tb: 1\n", "tab character"),
    ],
)
def test_file_level_errors(tmp_path, raw, message):
    path = tmp_path / "s.yaml"
    path.write_bytes(raw)
    with pytest.raises(SpecError) as info:
        load_file(path, {})
    assert message in str(info.value.findings[0])


def test_size_and_directory_bounds(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "MAX_BYTES", 100)
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 200)
    with pytest.raises(SpecError, match="too large"):
        load_file(big, {})
    with pytest.raises(SpecError, match="is a directory"):
        load_file(tmp_path, {})
    with pytest.raises(SpecError, match="no such file"):
        load_file(tmp_path / "nope.yaml", {})


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_file(path, {}).data == {"a": 1}


def test_dotenv_beside_the_spec_is_read_as_compose_reads_it(tmp_path):
    from validator.spec.loader import load_file

    (tmp_path / ".env").write_text('export IMAGE=busybox # the image\nTAG="1.36"\nREF="${IMAGE}:${TAG}"\n')
    (tmp_path / "infra.yaml").write_text("a: ${REF}\nb: ${TAG}\n")
    doc = load_file(tmp_path / "infra.yaml", None, "infra.yaml")
    assert doc.data == {"a": "busybox:1.36", "b": "1.36"}


def test_a_bad_dotenv_line_is_located(tmp_path):
    from validator.load import lint_files

    (tmp_path / ".env").write_text("A=1\nB C=2\n")
    (tmp_path / "infra.yaml").write_text("version: 1\nproject: p\n")
    found = lint_files([str(tmp_path / "infra.yaml")], {})
    message = "a variable name cannot contain a space (expected NAME=value)"
    assert [str(f) for f in found] == [f"{tmp_path / '.env'}:2:1: {message}"]
