"""Values Compose reads as unset (spec/unset.py), each against ``docker compose config``: Compose
accepts the file and drops the field; validator lints it clean (a float size with a warning) and its
model has the field's default."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from validator.load import lint_files, load_spec
from validator.spec.unset import FLOAT_SIZE

# name -> (service block, the path Compose drops, how validator's model reads the service)
CASES: dict[str, tuple[str, tuple[str, ...], Any]] = {
    "restart-empty": ("restart: ''", ("restart",), lambda s: s.restart == "no"),
    "restart-unset-variable": ("restart: ${VALIDATOR_TEST_UNSET_POLICY}", ("restart",), lambda s: s.restart == "no"),
    "endpoint-mode-empty": (
        "deploy: {endpoint_mode: ''}",
        ("deploy", "endpoint_mode"),
        lambda s: s.deploy.endpoint_mode is None,
    ),
    "deploy-mode-empty": ("deploy: {mode: ''}", ("deploy", "mode"), lambda s: s.deploy.mode == "replicated"),
    "build-args-empty": (
        "build: {context: ., args: ['', A=1]}",
        ("build", "args", ""),
        lambda s: s.build.args == {"A": "1"},
    ),
    "shm-size-float": ("shm_size: 1e9", ("shm_size",), lambda s: s.shm_size is None),
    "mem-limit-float": ("mem_limit: 1.5", ("mem_limit",), lambda s: s.mem_limit is None),
    "reservation-float": ("mem_reservation: 1e9", ("mem_reservation",), lambda s: s.mem_reservation is None),
    "swap-float": ("memswap_limit: 1e9", ("memswap_limit",), lambda s: s.memswap_limit is None),
    "build-shm-size-float": (
        "build: {context: ., shm_size: 1e9}",
        ("build", "shm_size"),
        lambda s: s.build.shm_size is None,
    ),
    "tmpfs-size-float": (
        "volumes: [{type: tmpfs, target: /t, tmpfs: {size: 1e6}}]",
        ("volumes", 0, "tmpfs", "size"),
        lambda s: s.volumes[0].tmpfs is None or s.volumes[0].tmpfs.size is None,
    ),
    "env-file-format-empty": (
        "env_file: [{path: app.env, format: ''}]",
        ("env_file", 0, "format"),
        lambda s: s.env_file[0].format is None,
    ),
}


def _compose(folder: Path) -> dict[str, Any]:
    compose = pytest.importorskip("compose")
    done = subprocess.run(
        [str(Path(compose.__file__).parent / "docker-compose"), "config", "--format", "json"],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(json.loads(done.stdout)["services"]["s"])


def _dig(node: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif isinstance(node, dict) and part == "" and isinstance(node, dict):
            return "" if "" in node else None
        else:
            return None
    return node


@pytest.mark.parametrize("name", list(CASES))
def test_compose_drops_it_and_so_do_we(name, tmp_path):
    block, dropped, reads = CASES[name]
    (tmp_path / "compose.yaml").write_text(f"services:\n  s:\n    image: busybox\n    {block}\n")
    (tmp_path / "app.env").write_text("K=v\n")
    assert _dig(_compose(tmp_path), dropped) is None
    findings = lint_files([str(tmp_path / "compose.yaml")], {})
    assert [f for f in findings if f.severity == "error"] == []
    floats = [f for f in findings if f.message == FLOAT_SIZE]
    assert [f.path for f in floats] == ([("services", "s", *dropped)] if "float" in name else [])
    assert all(f.severity == "warning" for f in floats)
    assert reads(load_spec([str(tmp_path / "compose.yaml")], {}).spec.services["s"])


@pytest.mark.parametrize(
    "block", ["environment: ['']", "deploy: {resources: {limits: {memory: 1e9}}}"], ids=["environment", "deploy-memory"]
)
def test_what_compose_refuses_stays_an_error(block, tmp_path):
    """Only what Compose reads as unset is dropped: an empty environment entry, a float under
    deploy.resources (Compose's schema: "must be a string") are still refused."""
    (tmp_path / "compose.yaml").write_text(f"services:\n  s:\n    image: busybox\n    {block}\n")
    assert [f.severity for f in lint_files([str(tmp_path / "compose.yaml")], {})] == ["error"]
