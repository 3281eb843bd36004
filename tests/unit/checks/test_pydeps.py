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
