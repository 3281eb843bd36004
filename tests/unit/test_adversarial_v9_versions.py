"""Round-3 review, versions (v9 cases 04 and 06): a version is never read as a release it is not.

04: a package's metadata version is PEP 440 and is read whole: a release candidate is below its
release, so ``2.0.0rc1`` fails ``>=2.0.0`` (the lenient reader of tool output took ``2.0.0``).
06: a tool's output whose first versioned line names several versions (a MariaDB client's
``Ver 15.1 Distrib 10.11.6``) does not say which is the tool's: no version is read, the check fails
and asks for ``pattern`` (the first number, 15.1, passed ``>=8.0``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from validator.versions import parse_version, satisfies, versions_in_line


@pytest.mark.parametrize(
    ("version", "spec", "ok"),
    [
        ("2.0.0rc1", ">=2.0.0", False),  # metadata, read whole: below its release
        ("2.0.0a1", ">=2.0.0", False),
        ("2.0.0.dev0", ">=2.0.0", False),
        ("2.0.0rc1", "^2.0.0", False),
        ("3.5.0.post1", "==3.5.0", False),  # a post-release is not the release
        ("2.0.0rc1", ">=2.0.0rc1", True),
        ("2.0.0", ">=2.0.0", True),
        ("tool 2.0.0-rc1 (build 7)", ">=2.0.0", False),  # tool output: the pre-release suffix kept
        ("1.2.3-SNAPSHOT", ">=1.2.3", False),  # Maven's development build
        ("2.0.0-beta.2", ">=2.0.0", False),
        ("Docker Compose version v2.40.3-desktop.1", ">=2.40.3", True),  # a vendor tag is not an order
        ("10.11.6-MariaDB-1:10.11.6+maria~deb12", ">=10.11", True),
        ("18.09.0-ce", ">=18.09", True),
        # round 3b (v9b case 03): channels of other ecosystems are pre-releases too
        ("rustc 1.75.0-nightly (82e1608df 2023-08-22)", ">=1.75.0", False),
        ("v3.14.0~rc.1", ">=3.14.0", False),  # Debian's tilde sorts before the release
        ("Apache Maven 4.0.0-M1", ">=4.0.0", False),  # a Maven milestone
        ("javac 17.0.2-ea", ">=17.0.2", False),  # JDK early access
        ("5.7.44-log", ">=5.7.44", True),  # a word nobody orders by is a tag
    ],
)
def test_a_suffix_that_orders_a_version_is_kept(version: str, spec: str, ok: bool) -> None:
    assert satisfies(version, spec) is ok


def test_versions_on_the_first_versioned_line() -> None:
    assert [str(v) for v in versions_in_line("mysql  Ver 15.1 Distrib 10.11.6-MariaDB, for debian")] == [
        "15.1",
        "10.11.6",
    ]
    # repeated, or on later lines: the first versioned line names one
    assert [str(v) for v in versions_in_line('openjdk version "17.0.9" 2023-10-17\nbuild 17.0.9+9')] == ["17.0.9"]
    assert [str(v) for v in versions_in_line("Apache Maven 3.8.7\nJava version: 17.0.9")] == ["3.8.7"]
    assert versions_in_line("no digits") == []
    assert str(parse_version("v2.0.0-rc1")) == "2.0.0rc1"


def _check(folder: Path, env: dict[str, str] | None = None) -> tuple[int, list[dict[str, str]], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "validator", "check", "--no-progress", "--no-history", "--report", "json=result.json"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    report = folder / "result.json"
    results = json.loads(report.read_text())["run"]["results"] if report.exists() else []
    return proc.returncode, results, proc.stdout + proc.stderr


def test_a_release_candidate_fails_the_minimum_of_its_release(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True, timeout=120)
    site = subprocess.run(
        [str(tmp_path / "venv/bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    dist = Path(site) / "v9pkg-2.0.0rc1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: v9pkg\nVersion: 2.0.0rc1\n")
    (dist / "RECORD").write_text("")
    (tmp_path / "infra.yaml").write_text(
        textwrap.dedent(
            """\
            version: 1
            project: v9-prerelease
            python:
              interpreter: venv/bin/python
              check_conflicts: false
              declared: false
              packages:
                v9pkg: ">=2.0.0"
            """
        )
    )
    code, results, output = _check(tmp_path)
    found = [r for r in results if r["kind"] == "python" and r["name"] == "v9pkg"]
    assert found and found[0]["verdict"] == "fail", output
    assert found[0]["actual"] == "2.0.0rc1"
    assert code == 1, output


def test_a_tool_line_with_two_versions_is_no_version(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "mysql"
    tool.write_text(
        "#!/bin/sh\n"
        'echo "mysql  Ver 15.1 Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64) using  EditLine wrapper"\n'
    )
    tool.chmod(0o755)
    spec = tmp_path / "infra.yaml"
    spec.write_text('version: 1\nproject: v9-tool\nhost:\n  tools:\n    mysql: ">=8.0"\n')
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    code, results, output = _check(tmp_path, env)
    found = [r for r in results if r["name"] == "tool mysql"]
    assert found and found[0]["verdict"] != "pass", output
    assert "pattern" in found[0]["message"], found[0]
    assert code != 0
    # with the pattern naming the tool's own version, it is read and judged
    spec.write_text(
        "version: 1\nproject: v9-tool\nhost:\n  tools:\n    mysql:\n      command: mysql --version\n"
        '      version: ">=8.0"\n      pattern: "Distrib ([0-9.]+)"\n'
    )
    code, results, output = _check(tmp_path, env)
    found = [r for r in results if r["name"] == "tool mysql"]
    assert found and found[0]["verdict"] == "pass" and found[0]["actual"] == "10.11.6", output
