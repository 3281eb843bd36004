"""lint never leaves the project: paths outside are findings and are not opened (their content never
shows), FIFOs and devices are never opened, nothing is run; ``check`` reads a ``host:`` path."""

from __future__ import annotations

import json
import os
import uuid

import pytest
import yaml


@pytest.fixture
def layout(tmp_path):
    """A project folder and, beside it, an outside folder holding a file with unique content and a FIFO."""
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    marker = f"outside-content-{uuid.uuid4().hex}"
    (outside / "app.properties").write_text(f"key = {marker}\n{marker} = 1\n")
    os.mkfifo(outside / "pipe.properties")
    return project, outside, marker


def write(project, config_path: str, **extra):
    spec = {
        "version": 1,
        "project": "confined",
        "config_keys": {"app": {"path": config_path, "format": "properties", "keys": {"key": {"exists": True}}}},
        **extra,
    }
    (project / "infra.yaml").write_text(yaml.safe_dump(spec))


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink", "fifo-outside", "fifo-inside"])
def test_lint_reports_a_path_outside_and_never_opens_it(layout, run_cli, how):
    project, outside, marker = layout
    if how == "absolute":
        spelled = str(outside / "app.properties")
    elif how == "dotdot":
        spelled = "../outside/app.properties"
    elif how == "symlink":
        (project / "link.properties").symlink_to(outside / "app.properties")
        spelled = "link.properties"
    elif how == "fifo-outside":
        spelled = str(outside / "pipe.properties")
    else:
        os.mkfifo(project / "pipe.properties")
        spelled = "pipe.properties"
    write(project, spelled)
    done = run_cli("lint", "infra.yaml", "--format", "json", cwd=project, timeout=30)  # a FIFO opened would hang
    assert marker not in done.stdout + done.stderr and "Traceback" not in done.stderr
    if how == "fifo-inside":
        assert done.returncode == 0, done.stdout  # inside the project: allowed, and still not opened
    else:
        assert done.returncode == 1
        (finding,) = json.loads(done.stdout)
        assert (
            finding["path"] == "config_keys.app.path"
            and finding["line"]
            and "outside the project" in finding["message"]
        )


def test_check_still_reads_a_host_file_named_as_one(layout, run_cli):
    project, outside, _ = layout
    write(project, f"host:{outside / 'app.properties'}")
    assert run_cli("lint", "infra.yaml", cwd=project).returncode == 0
    done = run_cli("check", "--no-progress", "--no-history", "--report", "json=r.json", cwd=project, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((project / "r.json").read_text())
    assert {r["verdict"] for r in report["run"]["results"] if r["kind"] == "config"} == {"pass"}


@pytest.mark.parametrize("target", ["outside-file", "fifo", "device"])
def test_a_dotenv_leading_out_is_a_located_error_and_not_read(layout, run_cli, target):
    project, outside, marker = layout
    (project / ".env").symlink_to(
        {"outside-file": outside / "app.properties", "fifo": outside / "pipe.properties", "device": "/dev/zero"}[target]
    )
    write(project, "app.properties")
    (project / "app.properties").write_text("key = 1\n")
    for command in (["lint", "infra.yaml"], ["plan"]):
        done = run_cli(*command, cwd=project, timeout=30)
        assert done.returncode in (1, 2) and marker not in done.stdout + done.stderr
        assert ".env:1:1: " in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_a_spec_that_is_a_device_or_a_non_utf8_dotenv(tmp_path, run_cli):
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    done = run_cli("lint", "zero.yaml", cwd=tmp_path, timeout=30)
    # a spec file is read only inside the project: a link to a device is refused before any stat
    assert done.returncode == 1 and "is outside the project" in done.stdout and "MemoryError" not in done.stderr
    os.mkfifo(tmp_path / "fifo.yaml")  # inside the project: refused unopened (an open would block)
    done = run_cli("lint", "fifo.yaml", cwd=tmp_path, timeout=30)
    assert done.returncode == 1 and "not a regular file" in done.stdout, done.stdout + done.stderr
    write(tmp_path, "app.properties")
    (tmp_path / "app.properties").write_text("key = 1\n")
    (tmp_path / ".env").write_bytes(b"A=1\nB=caf\xe9\n")
    done = run_cli("plan", cwd=tmp_path, timeout=30)
    assert done.returncode == 2 and ".env:2:6: not UTF-8: byte 0xe9" in done.stderr, done.stderr


def test_lint_never_runs_anything(tmp_path, run_cli):
    marker = tmp_path / "ran"
    write(
        tmp_path,
        "app.properties",
        host={"tools": {"evil": {"command": f"touch {marker}", "version": ">=0"}}},
        suites={"main": {"command": f"touch {marker}"}},
    )
    (tmp_path / "app.properties").write_text("key = 1\n")
    done = run_cli("lint", "infra.yaml", cwd=tmp_path, timeout=30)
    assert "Traceback" not in done.stderr and not marker.exists()


@pytest.mark.parametrize("kind", ["non-utf8", "fifo"])
def test_a_bad_env_file_is_one_located_error_before_up(tmp_path, kind):
    """lint (which every command runs first) reads an env_file confined and bounded: a bad byte is
    located in the file, a FIFO is refused without being opened."""
    from tests.harness.specs import load_dict
    from validator.errors import SpecError

    if kind == "fifo":
        os.mkfifo(tmp_path / "app.env")
    else:
        (tmp_path / "app.env").write_bytes(b"A=1\nB=caf\xe9\n")
    spec = {"version": 1, "project": "p", "services": {"web": {"image": "i", "env_file": "app.env"}}}
    with pytest.raises(SpecError, match=r"app\.env:2:6: not UTF-8" if kind == "non-utf8" else "not a regular file"):
        load_dict(tmp_path, spec)


# --- every field that names a file, and the project as the git work tree ------------------------

FIELDS = {
    # field -> (spec fragment naming {p}, the path of the finding)
    "include": ({"include": ["{p}"]}, "include[0]"),
    "include env_file": ({"include": [{"path": "inc.yaml", "env_file": "{p}"}]}, "include[0]"),
    "extends file": ({"services": {"web": {"extends": {"service": "base", "file": "{p}"}}}}, "services.web.extends"),
    "env_file": ({"services": {"web": {"image": "i", "env_file": "{p}"}}}, "services.web.env_file"),
    "label_file": ({"services": {"web": {"image": "i", "label_file": ["{p}"]}}}, "services.web.label_file[0]"),
    "secrets file": ({"secrets": {"s": {"file": "{p}"}}}, "secrets.s.file"),
    "configs file": ({"configs": {"c": {"file": "{p}"}}}, "configs.c.file"),
}


def _fill(node, path):
    if isinstance(node, dict):
        return {k: _fill(v, path) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, path) for v in node]
    return node.replace("{p}", path) if isinstance(node, str) else node


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
@pytest.mark.parametrize("field", list(FIELDS))
def test_every_field_naming_a_file_is_confined(tmp_path, capsys, field, how):
    from validator.main import main

    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    marker = f"outside-{uuid.uuid4().hex}"
    # a file that would parse as every kind the fields name: YAML, dotenv, and it holds the marker
    (outside / "target.yaml").write_text(f"services:\n  base: {{image: {marker}}}\nx-{marker}: 1\n")
    (project / "inc.yaml").write_text("services:\n  inc: {image: i}\n")
    spelled = {
        "absolute": str(outside / "target.yaml"),
        "dotdot": "../outside/target.yaml",
        "symlink": "link.yaml",
    }[how]
    if how == "symlink":
        (project / "link.yaml").symlink_to(outside / "target.yaml")
    fragment, where = FIELDS[field]
    spec = {"version": 1, "project": "confined", **_fill(fragment, spelled)}
    (project / "infra.yaml").write_text(yaml.safe_dump(spec))
    code = main(["lint", "--format", "json", str(project / "infra.yaml")])
    out, err = capsys.readouterr()
    assert code == 1 and marker not in out + err and "Traceback" not in err, out + err
    findings = json.loads(out)
    outside_findings = [f for f in findings if "is outside the project" in f["message"]]
    assert outside_findings and outside_findings[0]["path"] == where and outside_findings[0]["line"], findings
    assert spelled in outside_findings[0]["message"] or str(outside / "target.yaml") in outside_findings[0]["message"]


def test_the_project_is_the_git_work_tree(tmp_path, capsys):
    """A monorepo: a spec in a sub-folder reaches the checkout's shared files, not a file beside it."""
    from validator.main import main

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "common").mkdir()
    (repo / "svc").mkdir()
    (repo / "common" / "app.env").write_text("A=1\n")
    (repo / "common" / "base.yaml").write_text("services:\n  shared: {image: i}\n")
    (tmp_path / "beside.env").write_text("B=2\n")
    spec = {
        "version": 1,
        "project": "mono",
        "include": ["../common/base.yaml"],
        "services": {"web": {"image": "i", "env_file": ["../common/app.env"]}},
    }
    (repo / "svc" / "infra.yaml").write_text(yaml.safe_dump(spec))
    assert main(["lint", str(repo / "svc" / "infra.yaml")]) == 0, capsys.readouterr()
    spec["services"]["web"]["env_file"].append("../../beside.env")
    (repo / "svc" / "infra.yaml").write_text(yaml.safe_dump(spec))
    assert main(["lint", str(repo / "svc" / "infra.yaml")]) == 1
    out = capsys.readouterr().out
    assert f"../../beside.env is outside the project {repo.resolve()}" in out, out


def test_a_worktree_git_file_marks_the_project_too(tmp_path):
    from validator.spec.confine import project_root

    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / ".git").write_text("gitdir: /elsewhere\n")
    (tmp_path / "wt" / "a" / "b").mkdir(parents=True)
    assert project_root(tmp_path / "wt" / "a" / "b" / "infra.yaml") == tmp_path / "wt"
    assert project_root(tmp_path / "x" / "infra.yaml") == tmp_path / "x"
