"""The pytest plugin is loaded into every pytest session on the machine (an entry point): every suite
``validator check`` runs. Loading it imports none of what its fixtures do (the spec's model and
pydantic, the engine's client, the Spark and Maven helpers: validator/pytest_fixtures.py); a session
whose tests use no fixture of it never pays for them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_loading_the_plugin_imports_none_of_its_fixtures_work() -> None:
    heavy = (
        "validator.pytest_fixtures",
        "validator.spec.model",
        "validator.load",
        "validator.engine.docker_api",
        "validator.stack.spark",
        "validator.stack.maven",
        "pydantic",
    )
    code = (
        "import sys\n"
        "import pytest\n"
        "import validator.pytest_plugin\n"
        f"print(sorted(m for m in sys.modules if m in {heavy!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
