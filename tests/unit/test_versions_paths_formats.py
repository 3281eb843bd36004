import re

import pytest

from validator.formats import FormatError, infer_format, parse_config, parse_properties
from validator.paths import PathError, parse_path, resolve_path
from validator.versions import parse_specifier, parse_version, satisfies


@pytest.mark.parametrize(
    ("spec", "version", "ok"),
    [
        ("^3.5.0", "3.5.9", True),
        ("^3.5.0", "4.0.0", False),
        ("^0.2.1", "0.2.9", True),
        ("^0.2.1", "0.3.0", False),
        ("~3.5", "3.5.7", True),
        ("~3.5", "3.6.0", False),
        ("^8.0.33", "26.10.0", False),
        (">=2.0", "v2.40.3", True),
        ("3.5.*", "3.5.1", True),
        ("3.5.0", "3.5.0", True),
        (">=1.41", "1.41", True),
    ],
)
def test_specifiers(spec, version, ok):
    assert satisfies(version, spec) is ok


def test_version_extraction_and_errors():
    assert str(parse_version("Docker Compose version v2.40.3-desktop.1")) == "2.40.3"
    assert parse_version("no digits here") is None
    with pytest.raises(ValueError, match="invalid version specifier"):
        parse_specifier(">>3")


DOC = {
    "alerting": {"alertmanagers": [{"static_configs": [{"targets": ["alertmanager:9093"]}]}]},
    "receivers": [{"name": "a", "url": 1}, {"name": "test-receiver", "webhook_configs": [{"url": "u"}]}],
    "a.b": {"c": 2},
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("alerting.alertmanagers[0].static_configs[0].targets", ["alertmanager:9093"]),
        ("receivers[name=test-receiver].webhook_configs[0].url", "u"),
        ("receivers[-1].name", "test-receiver"),
        ('"a.b".c', 2),
    ],
)
def test_paths(path, value):
    assert resolve_path(DOC, path, flat=False) == value


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("alerting.nope", "key 'nope' not found in alerting"),
        ("receivers[5]", "has no item [5]"),
        ("receivers[name=zzz].url", "no item with name=zzz"),
        ("alerting[0]", "has no item"),
    ],
)
def test_missing_paths_name_the_missing_part(path, message):
    with pytest.raises(PathError, match=re.escape(message)):
        resolve_path(DOC, path, flat=False)


def test_flat_keys_and_bad_paths():
    assert resolve_path({"spark.a.b": "1"}, "spark.a.b", flat=True) == "1"
    with pytest.raises(ValueError):
        parse_path("a..b[")


def test_spark_properties():
    text = "# comment\n! also comment\nspark.a   x\nspark.b=y\nspark.c : z\nspark.d  long \\\n   value\nspark.e\n"
    assert parse_properties(text) == {
        "spark.a": "x",
        "spark.b": "y",
        "spark.c": "z",
        "spark.d": "long value",
        "spark.e": "",
    }


@pytest.mark.parametrize(
    ("fmt", "text", "value"),
    [
        ("ini", "[s]\nk = v\n", {"s": {"k": "v"}}),
        ("toml", "[tool.poetry]\nname = 'x'\n", {"tool": {"poetry": {"name": "x"}}}),
        ("json", '{"a": [1]}', {"a": [1]}),
        ("yaml", "a: {b: 1}\n", {"a": {"b": 1}}),
        ("env", "A=1\nexport B='two words'\n# c\n", {"A": "1", "B": "two words"}),
    ],
)
def test_formats(fmt, text, value):
    assert parse_config(text, fmt) == value


@pytest.mark.parametrize(
    ("fmt", "text", "line"),
    [
        ("json", '{\n"a": 1,\n}', 3),
        ("toml", "a = 1\nb = \n", 2),
        ("yaml", "a: [1\nb: 2\n", 2),
        ("ini", "no section\n", 1),
    ],
)
def test_parse_errors_carry_the_parser_line(fmt, text, line):
    with pytest.raises(FormatError) as info:
        parse_config(text, fmt)
    assert info.value.line == line


def test_infer_format():
    assert [infer_format(p) for p in ("spark-defaults.conf", "a.yml", "x.toml", ".env", "prod.env", "a.txt")] == [
        "properties",
        "yaml",
        "toml",
        "env",
        "env",
        None,
    ]
