"""The differential ``up`` (tests/integration/differential.py): ``docker compose up -d`` and
``validator up`` of the same file on one engine create equal objects on every normalised
``docker inspect`` field, but for the differences by design listed in docs/spec.md.

The corpus is chosen to cover every field validator applies in few runs (each fixture brings both
tools up and down, one after the other): one file of our own that writes them all, Compose's own e2e
fixtures for networks, aliases, links, IPAM, one-shot jobs, env files and interpolation, and one real
project's file. ``python -m tests.integration.differential`` runs every e2e fixture (README-TESTING.md
gives the last full count).
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.corpora import corpora
from tests.integration import differential as D

pytestmark = [pytest.mark.docker, pytest.mark.slow]

# Compose's e2e fixtures, by what they cover (each brought up by both tools and compared)
E2E = (
    "cascade",  # one-shot jobs, service_completed_successfully
    "dependencies-deps-completed-successfully",
    "network-alias",  # aliases and links
    "links",
    "ipam",  # a fixed subnet and address
    "network-test-mac-address",  # several networks, a MAC address
    "environment-env-priority-with-env-file",  # env_file beside environment
    "port-range",  # published port ranges
    "no-deps-network-mode",  # network_mode: service:
    "no-deps-volume-from",  # volumes_from
    "configs",  # configs from a file, inline content, a variable
    "hooks-poststart-success",
    "hooks-prestop-success",
    "project-volume-bind-test",  # a named volume with driver_opts
    "scale",  # deploy.replicas
)
# One real project's file (images replaced too): a database and an app, environment, volumes, ports,
# depends_on. (Files whose commands are arguments to their image's entrypoint, or whose health
# checks need the real program, cannot run on the stand-in.)
REAL = ("compose-real/ac-gitea-postgres.yaml",)


@pytest.fixture(scope="module")
def standin(engine) -> str:
    return D.ensure_standin()


def every_field(folder: Path) -> dict[str, Any]:
    """One file that writes every field validator applies, in Compose's spelling."""
    from tests.integration.test_compose_fields import service_block, top_level

    block = service_block(D.STANDIN, folder)
    block.pop("platform")  # the stand-in is built for this machine only
    # generous: a machine other runs share can take seconds to answer one exec
    block["healthcheck"] = {"test": ["CMD", "true"], "interval": "1s", "timeout": "10s", "retries": 30}
    data: dict[str, Any] = {
        "services": {
            "app": block,
            "api": {
                "image": D.STANDIN,
                "depends_on": {
                    "app": {"condition": "service_healthy"},
                    "job": {"condition": "service_completed_successfully"},
                },
                "links": ["app:application"],
                "volumes_from": ["job"],
                "ports": ["127.0.0.1:18731:80", "127.0.0.1::81/udp"],
                "networks": {"front": {"aliases": ["gateway"], "ipv4_address": "10.241.7.20"}, "default": None},
                "deploy": {
                    "restart_policy": {"condition": "on-failure", "max_attempts": 2},
                    "resources": {"limits": {"cpus": "0.25", "memory": "32m", "pids": 50}},
                },
                "post_start": [{"command": ["sh", "-c", "echo started > /run/started"], "user": "0"}],
                "healthcheck": {"test": "test -e /run/started", "interval": "1s", "timeout": "10s", "retries": 30},
                "stop_grace_period": "1s",
                "cap_add": ["NET_ADMIN"],
                "extra_hosts": {"mirror.local": "10.0.0.9"},
                "environment": ["PLAIN=1", "EMPTY="],
                "read_only": True,
                "tmpfs": "/run",
            },
            "side": {"image": D.STANDIN, "network_mode": "service:app", "pid": "service:app"},
            "job": {"image": D.STANDIN, "command": ["sh", "-c", "echo done"], "restart": "no", "volumes": ["/cache"]},
        },
        "networks": {"front": {"ipam": {"config": [{"subnet": "10.241.7.0/24"}]}, "labels": {"tier": "front"}}},
        **top_level(),
    }
    data["volumes"] = {"data": {"labels": {"kept": "yes"}}, "unused": None}
    return data


def check(outcome: D.Outcome) -> None:
    if outcome.compose:
        pytest.skip(f"Compose does not bring it up here: {outcome.compose}")
    assert not outcome.validator, outcome.line()
    assert outcome.differences == [], outcome.line()


def test_a_file_writing_every_field_validator_applies(compose_bin, standin, tmp_path):
    folder = tmp_path / "every"
    folder.mkdir()
    (folder / "compose.yaml").write_text(yaml.safe_dump(every_field(folder), sort_keys=False))
    project = f"vd{uuid.uuid4().hex[:6]}"
    outcome = D.run(name="every-field", folder=folder, files=["compose.yaml"], project=project, binary=compose_bin)
    assert not outcome.compose, outcome.compose  # our own file: Compose must bring it up
    check(outcome)


@pytest.mark.parametrize("name", E2E)
def test_composes_own_fixtures(name, compose_bin, standin, tmp_path):
    root = corpora()
    if root is None:
        pytest.skip("the shared corpora are not beside the checkout (VALIDATOR_CORPORA)")
    folder = tmp_path / name
    shutil.copytree(root / "compose-e2e" / name, folder)
    env = D.fixture_env(folder)
    project = f"vd{uuid.uuid4().hex[:6]}"
    check(D.run(name=name, folder=folder, files=["compose.yaml"], project=project, binary=compose_bin, env=env))


@pytest.mark.parametrize("path", REAL)
def test_a_real_projects_file(path, compose_bin, standin, tmp_path):
    root = corpora()
    if root is None:
        pytest.skip("the shared corpora are not beside the checkout (VALIDATOR_CORPORA)")
    source = root / path
    folder = tmp_path / source.stem
    folder.mkdir()
    shutil.copy(source, folder / "compose.yaml")
    env = source.parent / "env" / f"{source.stem}.env"
    if env.is_file():
        shutil.copy(env, folder / ".env")
    project = f"vd{uuid.uuid4().hex[:6]}"
    check(D.run(name=source.stem, folder=folder, files=["compose.yaml"], project=project, binary=compose_bin))
