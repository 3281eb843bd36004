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


def test_a_folder_of_the_project_does_not_import_as_the_package(tmp_path, ctx_for, monkeypatch):
    """Adversary v9b 04: validator runs in the project folder, whose ``docker/`` holds Dockerfiles;
    run there, ``python -c 'import docker'`` imports that folder as a namespace package. The check
    is about the installed environment: the import runs from an empty folder, and fails."""
    (tmp_path / "fixv9c_not_installed").mkdir()
    (tmp_path / "fixv9c_not_installed" / "Dockerfile").write_text("FROM scratch\n")
    monkeypatch.chdir(tmp_path)
    found = results(ctx_for(python={"packages": {"requests": {"import": "fixv9c_not_installed"}}}))
    imported = found["requests: import fixv9c_not_installed"]
    assert imported.verdict == "fail" and "ModuleNotFoundError" in imported.actual
    assert not any(p.name.startswith("validator-pydeps-") for p in tmp_path.iterdir())


def _declared_for(tmp_path, ctx_for, pyproject: str):
    (tmp_path / "pyproject.toml").write_text(pyproject)
    python = {"pyproject": "pyproject.toml", "declared": True, "packages": {"requests": None}}
    return results(ctx_for(python=python))["requests: declared"]


def test_a_requirement_is_judged_only_where_its_marker_applies(tmp_path, ctx_for):
    """Adversary v9b 07: ``requests>=999`` applies to this interpreter, ``requests<999`` only to
    Python 2: the installed version is outside the one that applies, whichever is written last."""
    for lines in (
        "\"requests>=999; python_version >= '3.9'\", \"requests<999; python_version < '3'\"",
        "\"requests<999; python_version < '3'\", \"requests>=999; python_version >= '3.9'\"",
    ):
        found = _declared_for(tmp_path, ctx_for, f'[project]\nname = "x"\ndependencies = [{lines}]\n')
        assert found.verdict == "fail" and ">=999" in found.message, found
    only_other = '[project]\nname = "x"\ndependencies = ["requests<999; python_version < \'3\'"]\n'
    assert _declared_for(tmp_path, ctx_for, only_other).actual == "not declared"


def test_every_applicable_requirement_must_hold(tmp_path, ctx_for):
    """Two requirements that both apply (a dependency and an optional group's) bind together."""
    pyproject = '[project]\nname = "x"\ndependencies = ["requests>=999"]\n'
    pyproject += '[project.optional-dependencies]\nweb = ["requests>=1"]\n'
    assert _declared_for(tmp_path, ctx_for, pyproject).verdict == "fail"


def test_poetry_s_multiple_constraints_are_judged_by_their_python(tmp_path, ctx_for):
    """Poetry's list of constraints, each for its own ``python``: only this interpreter's applies."""
    pyproject = (
        '[tool.poetry.dependencies]\npython = "^3.9"\n'
        'requests = [{version = ">=999", python = ">=3.9"}, {version = "<999", python = "<3.9"}]\n'
    )
    found = _declared_for(tmp_path, ctx_for, pyproject)
    assert found.verdict == "fail" and ">=999" in found.message, found
