from __future__ import annotations

import pytest

from tests.harness.specs import load_dict
from validator.checks.registry import CheckContext


@pytest.fixture
def ctx_for(tmp_path):
    def make(**sections):
        loaded = load_dict(tmp_path, {"version": 1, "project": "demo", **sections})
        return CheckContext(loaded=loaded, engine=None, engine_at="unix:///var/run/docker.sock")

    return make
