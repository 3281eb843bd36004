"""Two checks on one project are serialised by its lock (with a message); two projects run side
by side; the history stays consistent."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
import yaml

from tests.integration.conftest import Project, remove_project

pytestmark = pytest.mark.docker


def write(project: Project) -> None:
    (project.folder / "tests").mkdir(exist_ok=True)
    (project.folder / "tests" / "test_wait.py").write_text("import time\ndef test_wait():\n    time.sleep(3)\n")
    spec = project.spec({"a": project.sleeper()})
    spec["suites"] = {"main": {"command": "python -m pytest tests -q -p no:cacheprovider"}}
    (project.folder / "infra.yaml").write_text(yaml.safe_dump(spec))


def start(project: Project) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "validator", "check", "--no-progress", "--report", "console"],
        cwd=project.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_same_project_is_serialised(project):
    write(project)
    first = start(project)
    import time

    time.sleep(1.5)
    second = start(project)
    out1, err1 = first.communicate(timeout=300)
    out2, err2 = second.communicate(timeout=300)
    assert (first.returncode, second.returncode) == (0, 0), (out1[-2000:], err1, out2[-2000:], err2)
    assert f"waiting for project {project.name!r}: validator check (pid {first.pid}) holds its lock" in out2
    with sqlite3.connect(project.folder / ".validator" / "history.db") as db:
        rows = db.execute("SELECT started_at, finished_at FROM runs ORDER BY finished_at").fetchall()
    assert len(rows) == 2 and rows[1][1] > rows[0][1]


def test_different_projects_run_side_by_side(project, engine, tmp_path):
    other = Project(engine, tmp_path / "other", project.name + "-o", project.image)
    (tmp_path / "other").mkdir()
    try:
        write(project)
        write(other)
        runs = [start(project), start(other)]
        results = [run.communicate(timeout=300) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], results
        assert all("waiting for project" not in out for out, _ in results)
    finally:
        remove_project(engine, other.name)
