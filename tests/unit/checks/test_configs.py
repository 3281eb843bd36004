"""Config keys read from real files in every format."""

from __future__ import annotations

import pytest

from validator.checks import configs


def results(ctx):
    return {r.name: r for r in configs.run(ctx)}


FILES = {
    "spark-defaults.conf": "spark.sql.extensions   io.delta.sql.DeltaSparkSessionExtension\n"
    "spark.eventLog.enabled=false\nspark.jars.packages io.delta:delta-spark_2.12:3.3.2\n",
    "alertmanager.yml": "route:\n  receiver: test-receiver\n  group_by: [alertname, severity]\n  group_wait: 10s\n"
    "receivers:\n  - name: other\n  - name: test-receiver\n    webhook_configs:\n"
    "      - url: http://host.docker.internal:5001/webhook\n",
    "prometheus.yml": "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['alertmanager:9093']\n",
    "settings.ini": "[server]\nport = 8080\n",
    "pyproject.toml": '[tool.poetry.dependencies]\npyspark = "^3.5.0"\n',
    "data.json": '{"version": "3.5.9", "ok": true}',
    "app.env": "MODE=test\nexport LEVEL=3\n",
}

KEYS = {
    "spark": (
        "spark-defaults.conf",
        {
            "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
            "spark.eventLog.enabled": False,
            "spark.jars.packages": {"regex": r"delta-spark_2\.12:3\."},
        },
    ),
    "am": (
        "alertmanager.yml",
        {
            "route.receiver": "test-receiver",
            "route.group_by": ["alertname", "severity"],
            "route.group_by ": {"contains": "severity"},
            "receivers[name=test-receiver].webhook_configs[0].url": {"regex": "^http://host.docker.internal"},
        },
    ),
    "prom": (
        "prometheus.yml",
        {"alerting.alertmanagers[0].static_configs[0].targets": {"contains": "alertmanager:9093"}},
    ),
    "ini": ("settings.ini", {"server.port": 8080}),
    "toml": ("pyproject.toml", {"tool.poetry.dependencies.pyspark": "^3.5.0"}),
    "json": ("data.json", {"version": {"version": ">=3.5,<3.6"}, "ok": True, "missing": {"exists": False}}),
    "env": ("app.env", {"MODE": {"one_of": ["test", "prod"]}, "LEVEL": 3}),
}


@pytest.fixture
def folder(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_every_format_and_operator_passes(folder, ctx_for):
    spec = {
        name: {"path": path, "keys": {k.strip(): v for k, v in keys.items()}} for name, (path, keys) in KEYS.items()
    }
    spec["am"]["keys"]["route.group_by"] = {"contains": "severity"}
    found = results(ctx_for(config_keys=spec))
    assert {n: r.verdict for n, r in found.items() if r.verdict != "pass"} == {}
    assert found["spark: spark.eventLog.enabled"].actual == "false"
    assert found["prom: alerting.alertmanagers[0].static_configs[0].targets"].actual == "['alertmanager:9093']"


def test_wrong_values_fail_with_expected_and_actual(folder, ctx_for):
    found = results(
        ctx_for(
            config_keys={
                "spark": {
                    "path": "spark-defaults.conf",
                    "keys": {
                        "spark.sql.extensions": "something.Else",
                        "spark.jars.packages": {"regex": "delta-core", "message": "delta-core was renamed delta-spark"},
                        "spark.nope": "x",
                    },
                }
            }
        )
    )
    wrong = found["spark: spark.sql.extensions"]
    assert (wrong.verdict, wrong.expected, wrong.actual) == (
        "fail",
        "== something.Else",
        "io.delta.sql.DeltaSparkSessionExtension",
    )
    assert found["spark: spark.jars.packages"].message == "delta-core was renamed delta-spark"
    assert found["spark: spark.nope"].message == "key 'spark.nope' not found"


def test_missing_file_fails_once_and_skips_its_keys(folder, ctx_for):
    found = results(ctx_for(config_keys={"gone": {"path": "nope.yml", "keys": {"a": 1, "b": 2}}}))
    assert found["gone: nope.yml"].verdict == "fail" and "does not exist" in found["gone: nope.yml"].message
    assert [found["gone: a"].verdict, found["gone: b"].verdict] == ["skip", "skip"]


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        (b"a: [1\nb: 2\n", "yaml", "is not valid yaml: line 2"),
        (b'{"a": 1,\n}', "json", "is not valid json: line 2"),
        (b"\x00\x01binary", "yaml", "binary file"),
    ],
)
def test_unparsable_files_fail_with_the_parser_line(folder, ctx_for, content, fmt, message):
    (folder / f"bad.{fmt}").write_bytes(content)
    found = results(ctx_for(config_keys={"bad": {"path": f"bad.{fmt}", "keys": {"a": 1}}}))
    assert message in found[f"bad: bad.{fmt}"].message


def test_huge_file_fails_only_that_check(folder, ctx_for, monkeypatch):
    import validator.formats as formats

    monkeypatch.setattr(formats, "MAX_CONFIG_BYTES", 1000)
    (folder / "big.yaml").write_text("a: " + "x" * 2000)
    found = results(
        ctx_for(
            config_keys={
                "big": {"path": "big.yaml", "keys": {"a": 1}},
                "ok": {"path": "data.json", "keys": {"ok": True}},
            }
        )
    )
    assert "too large" in found["big: big.yaml"].message
    assert found["ok: ok"].verdict == "pass"
