"""``down`` shows a ``pre_stop`` hook's output: what the container holds is masked, whatever the spec
says now (round-3 case 16). The shell that runs ``down`` often lacks the deploy's secrets (a cleanup
job, another terminal) or has rotated them; the container still holds the real, current credential."""

from __future__ import annotations

import os

import pytest
import yaml

pytestmark = pytest.mark.docker

HELD = "HeldCredential9911xxYY"  # from ${CRED}: recorded as hidden in the container's label
LITERAL = "LiteralToken4455kkMM"  # a literal under a secret-named key, changed in the spec since


def _write(project, literal: str) -> None:
    service = project.sleeper(
        environment={"DEREG_WITH": "${CRED}", "SERVICE_TOKEN": literal},
        pre_stop=[{"command": ["sh", "-c", "echo held $$DEREG_WITH $$SERVICE_TOKEN; exit 1"]}],
    )
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(project.spec({"app": service})))


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CRED"}
    return {**env, **values}


@pytest.mark.parametrize("cred", [None, "RotatedCredential2233"], ids=["unset", "rotated"])
def test_down_masks_what_the_container_holds_not_only_what_the_spec_says_now(project, cred):
    _write(project, LITERAL)
    up = project.cli("up", env=_env(CRED=HELD))
    assert up.returncode == 0, up.stdout + up.stderr
    _write(project, "AnotherLiteral6677")
    down = project.cli("down", env=_env(**({"CRED": cred} if cred else {})))
    out = down.stdout + down.stderr
    assert "held ***redacted*** ***redacted***" in out, out  # the hook ran and its output was shown
    for secret in (HELD, LITERAL):
        assert secret not in out and secret[:12] not in out and secret[-12:] not in out, out
    assert project.containers() == {}
