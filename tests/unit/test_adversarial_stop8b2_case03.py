"""Adversary stop8b (the second review of this stop) case 03: a suite's tests and the data they read lived in
a dot folder named on its command line (``.ci/``); the suite tree's hash left out every folder with a
leading dot as "what a run writes", so after they were edited to fail ``report`` still said PASSED.

The rule now: a suite tree leaves out only what runs are known to write or what is no test input by nature
(caches, validator's own folder and files, version control's store, virtualenvs); every other dot folder is
hashed. Each test fails on the code the reviewer attacked.
"""

from __future__ import annotations

import sys

import pytest

from tests.harness.specs import load_dict, write_spec
from validator.main import main
from validator.run import fingerprint

QUIET = ("--no-progress", "-q")


def test_case03_a_suite_reading_a_dot_folder_edited_after_a_passing_check(tmp_path, capsys):
    """The reviewer's case: the tests and their data in ``.ci/``, the data edited so the suite fails."""
    (tmp_path / ".ci" / "smoke").mkdir(parents=True)
    (tmp_path / ".ci" / "smoke" / "test_smoke.py").write_text(
        "import json, pathlib\n"
        "def test_expected_flag():\n"
        "    want = json.loads((pathlib.Path(__file__).parent.parent / 'expected.json').read_text())\n"
        "    assert want['cdc'] is True\n"
    )
    expected = tmp_path / ".ci" / "expected.json"
    expected.write_text('{"cdc": true}')
    suite = {"command": [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ".ci/smoke"]}
    spec = write_spec(tmp_path, {"version": 1, "project": "dotdir", "suites": {"smoke": suite}})
    assert main(["check", "-f", str(spec), *QUIET]) == 0
    assert main(["report", "-f", str(spec)]) == 0
    expected.write_text('{"cdc": false}')  # the suite fails now
    capsys.readouterr()
    assert main(["report", "-f", str(spec)]) == 1
    assert "has changed since this run" in capsys.readouterr().err
    assert main(["check", "-f", str(spec), *QUIET, "--no-history"]) == 1  # as check says now


def _suite_spec(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_a():\n    assert True\n")
    suite = {"command": ["true"], "runner": "junit", "junit": "out.xml"}
    return {"version": 1, "project": "dots", "suites": {"main": suite}}


def _digest(tmp_path, data) -> str:
    found = fingerprint.verdict_inputs(load_dict(tmp_path, data))
    assert found is not None
    return found


@pytest.mark.parametrize(
    "written",
    [
        ".ci/expected.json",
        ".github/workflows/ci.yml",
        ".hypothesis/examples/x",  # hypothesis replays its database: a test input
        ".env",
        ".coveragerc",  # coverage's configuration, read: not a `.coverage` data file
        "venv-like/lib/x.py",  # a folder named like an env but with no pyvenv.cfg is hashed
    ],
)
def test_every_other_dot_entry_is_in_the_suite_tree(tmp_path, written):
    data = _suite_spec(tmp_path)
    (tmp_path / written).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / written).write_text("one")
    before = _digest(tmp_path, data)
    (tmp_path / written).write_text("two")
    assert _digest(tmp_path, data) != before, f"{written} changed, the fingerprint did not"


@pytest.mark.parametrize(
    "written",
    [
        "__pycache__/test_a.cpython-311.pyc",
        "tests/__pycache__/test_a.cpython-311.pyc",
        ".pytest_cache/v/cache/lastfailed",
        ".mypy_cache/3.11/x.json",
        ".ruff_cache/0.5/x",
        ".coverage",
        ".coverage.host.1234.abcd",  # coverage's parallel data files
        ".validator/history.db",
        ".git/index",
        "tests/.git/HEAD",  # a submodule's store
        ".tox/py311/log",
        ".venv/lib/python3.11/site-packages/x.py",
        "env/lib/python3.11/site-packages/x.py",  # a virtualenv by its pyvenv.cfg, whatever its name
    ],
)
def test_what_runs_write_and_what_no_test_reads_is_left_out(tmp_path, written):
    data = _suite_spec(tmp_path)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    before = _digest(tmp_path, data)
    (tmp_path / written).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / written).write_text("written by a run")
    assert _digest(tmp_path, data) == before, f"{written} is not a test input, yet it changed the fingerprint"


def test_case08_a_symbolic_link_in_a_suite_tree_is_not_vouched_for(tmp_path):
    """Adversary stop8b case 08: `tests` is a link to shared tests; pytest follows it, the walk records
    only where it points. ``report`` must not vouch for what was read through it."""
    data = _suite_spec(tmp_path)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "test_b.py").write_text("def test_b():\n    assert True\n")
    (tmp_path / "linked").symlink_to(tmp_path / "shared")
    found = fingerprint.inputs(load_dict(tmp_path, data))
    assert found is not None
    assert any("linked" in line and "symbolic link" in line for line in found.unvouched), found.unvouched
