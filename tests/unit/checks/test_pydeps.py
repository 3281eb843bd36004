"""Python dependencies, checked in a real interpreter (this one) with real pyproject files."""

from __future__ import annotations

import importlib.metadata

from validator.checks import pydeps

REQUESTS = importlib.metadata.version("requests")


def results(ctx):
    return {r.name: r for r in pydeps.run(ctx)}


def test_installed_imported_and_declared_with_a_poetry_caret(tmp_path, ctx_for):
    major = REQUESTS.split(".")[0]
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "^{major}.0"\n'
        '[tool.poetry.group.dev.dependencies]\nPyYAML = {version = ">=6"}\n'
    )
    found = results(
        ctx_for(
            python={
                "pyproject": "pyproject.toml",
                "declared": True,
                "packages": {"requests": f"^{major}.0", "pyyaml": {"version": ">=6", "import": "yaml"}},
            }
        )
    )
    assert {n: r.verdict for n, r in found.items()} == {
        "requests": "pass",
        "requests: import requests": "pass",
        "requests: declared": "pass",
        "pyyaml": "pass",
        "pyyaml: import yaml": "pass",
        "pyyaml: declared": "pass",
    }
    assert found["requests"].actual == REQUESTS


def test_pep621_declarations_and_failures(tmp_path, ctx_for):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["requests>=2"]\n'
        '[project.optional-dependencies]\nstack = ["pyyaml>=99"]\n'
    )
    found = results(
        ctx_for(
            python={
                "pyproject": "pyproject.toml",
                "declared": True,
                "packages": {
                    "requests": ">=999",
                    "pyyaml": {"import": "yaml"},
                    "not-a-real-package-xyz": ">=1",
                    "jsonschema": {"import": "no_such_module_here", "declared": False},
                },
            }
        )
    )
    assert found["requests"].verdict == "fail" and "does not satisfy >=999" in found["requests"].message
    assert found["requests: declared"].verdict == "pass"
    assert found["pyyaml: declared"].verdict == "fail" and "outside it" in found["pyyaml: declared"].message
    assert (found["not-a-real-package-xyz"].verdict, found["not-a-real-package-xyz"].actual) == (
        "fail",
        "not installed",
    )
    assert found["not-a-real-package-xyz: declared"].actual == "not declared"
    assert found["jsonschema: import no_such_module_here"].verdict == "fail"
    assert "ModuleNotFoundError" in found["jsonschema: import no_such_module_here"].actual
    assert "jsonschema: declared" not in found


def test_conflicts_come_from_pip_check(ctx_for):
    found = results(ctx_for(python={"check_conflicts": True}))
    conflicts = found["dependency conflicts"]
    assert conflicts.verdict in ("pass", "fail")
    assert conflicts.expected == "no broken requirements"


def test_a_missing_interpreter_is_an_error_not_a_crash(ctx_for):
    found = results(ctx_for(python={"interpreter": "/nonexistent/python", "packages": {"requests": ">=1"}}))
    assert found["requests"].verdict == "error" and "/nonexistent/python" in found["requests"].message


def test_the_delta_jar_must_be_the_installed_delta_spark_version(tmp_path, ctx_for):
    """Adversary spark3, case 05: spark-defaults names the Delta JAR 3.3.2, the installed delta-spark
    (whose API calls the JAR's classes) is another version, and the declared range admits both: lint
    cannot tell, the check compares the JAR with what is installed."""
    installed = importlib.metadata.version("delta-spark")
    major, minor, patch = (int(p) for p in installed.split(".")[:3])
    other = f"{major}.{minor}.{patch + 1}"
    (tmp_path / "spark-defaults.conf").write_text(
        f"spark.jars.packages io.delta:delta-spark_2.12:{other},org.example:other:1.0\n"
    )
    python = {"packages": {"delta-spark": {"version": f"^{major}.0.0", "import": "delta"}}}
    config = {"spark": {"path": "spark-defaults.conf", "format": "properties", "keys": {}}}
    found = results(ctx_for(python=python, config_keys=config))
    jar = found["delta-spark: the Delta JAR of spark-defaults.conf"]
    assert (jar.verdict, jar.expected, jar.actual) == ("fail", installed, other)
    assert "must be the same version" in jar.message
    (tmp_path / "spark-defaults.conf").write_text(f"spark.jars.packages io.delta:delta-spark_2.12:{installed}\n")
    same = results(ctx_for(python=python, config_keys=config))["delta-spark: the Delta JAR of spark-defaults.conf"]
    assert (same.verdict, same.actual) == ("pass", installed)
