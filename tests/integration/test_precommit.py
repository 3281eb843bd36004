"""The pre-commit hook: its entry over the corpus as processes, and the real pre-commit (from
PyPI) with try-repo on a temporary git repository holding a good and a bad spec."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "tests" / "examples"


def entry(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The hook's entry, `validator lint`, as pre-commit runs it: one process, the files as arguments."""
    script = Path(sys.executable).parent / "validator"
    return subprocess.run([str(script), "lint", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_hook_definition():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["language"], hook["entry"]) == ("infra-lint", "python", "validator lint")
    import re

    linted = ["infra.yaml", "a/infra.ci.yml", "compose.yaml", "docker-compose.yml", "x/docker-compose.override.yaml"]
    skipped = ["notes.yaml", "mycompose.yaml", "infra.yaml.bak", "docker-compose.json"]
    assert [name for name in linted + skipped if re.search(hook["files"], name)] == linted


def test_entry_over_the_valid_examples():
    files = sorted(p.name for p in (EXAMPLES / "valid").glob("*.yaml"))
    result = entry(*files, cwd=EXAMPLES / "valid")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_entry_over_the_invalid_examples():
    files = sorted((EXAMPLES / "invalid").glob("*.yaml"))
    result = entry(*(p.name for p in files), cwd=EXAMPLES / "invalid")
    assert result.returncode == 1
    assert result.stdout == "".join(p.with_suffix(".expected").read_text() for p in files)
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_real_pre_commit_try_repo(tmp_path):
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists() or shutil.which("git") is None:
        pytest.fail("pre-commit (dev extra) and git are needed")
    repo = tmp_path / "project"
    (repo / "bad").mkdir(parents=True)
    (repo / "infra.yaml").write_text("version: 1\nproject: good\nservices:\n  web:\n    image: busybox\n")
    (repo / "bad" / "infra.yaml").write_text("version: 1\nproject: bad\nservices:\n  web:\n    imagee: busybox\n")
    (repo / "notes.yaml").write_text("not: a spec\n")
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "specs"], cwd=repo, check=True)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
    }

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(pre_commit), "try-repo", str(ROOT), "infra-lint", "--all-files"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=900,
            env=env,
        )

    result = try_repo()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "bad/infra.yaml:5:5: services.web.imagee: unknown key 'imagee' (did you mean 'image'?)" in result.stdout
    assert "notes.yaml" not in result.stdout.split("infra-lint")[-1]
    (repo / "bad" / "infra.yaml").write_text("version: 1\nproject: bad\nservices:\n  web:\n    image: busybox\n")
    subprocess.run([*git, "commit", "-qam", "fixed"], cwd=repo, check=True)
    fixed = try_repo()
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
