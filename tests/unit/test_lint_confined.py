"""lint never reads outside the project: the spec files themselves, named or found, are read through the
one confined reader as every file the spec names is (round-3 case 04: a committed
``compose.override.yaml``, or an overlay's ``<base>.yaml``, that is a link out of the checkout was opened
and its keys quoted in findings).

Three guards: the command's behaviour on links out; every file a real ``lint`` process opens, seen by
an audit hook; and the source of every module ``lint`` loads, which may not open a file but through
``validator/spec/confine.py`` (a new unconfined read fails here until it is confined or said why).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from validator.main import main

ROOT = Path(__file__).resolve().parents[2]
MARK = "OutsideMarker0404"
OUTSIDE = f"services:\n  app:\n    image: x\n    {MARK}: 1\n"


def _checkout(tmp_path: Path) -> tuple[Path, Path]:
    project, outside = tmp_path / "proj", tmp_path / "outside"
    (project / ".git").mkdir(parents=True)
    outside.mkdir()
    (outside / "private.yaml").write_text(OUTSIDE)
    (outside / "private.env").write_text(f"{MARK}=1\n")
    return project, outside


def _lint(project: Path, monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(project)
    code = main(["lint", *args])
    out, err = capsys.readouterr()
    return code, out + err


def test_the_found_override_file_is_not_read_through_a_link_out(tmp_path, monkeypatch, capsys):
    project, outside = _checkout(tmp_path)
    (project / "compose.yaml").write_text("services:\n  app:\n    image: busybox\n")
    (project / "compose.override.yaml").symlink_to(outside / "private.yaml")
    code, out = _lint(project, monkeypatch, capsys)
    assert code == 1 and MARK not in out, out
    assert "compose.override.yaml:1:1: is outside the project" in out, out


def test_an_overlays_base_is_not_read_through_a_link_out(tmp_path, monkeypatch, capsys):
    project, outside = _checkout(tmp_path)
    (project / "infra.yaml").symlink_to(outside / "private.yaml")
    (project / "infra.prod.yaml").write_text("project: c04\n")
    code, out = _lint(project, monkeypatch, capsys, "infra.prod.yaml")
    assert code == 1 and MARK not in out, out
    assert "infra.yaml:1:1: is outside the project" in out, out


@pytest.mark.parametrize("files", [["infra.yaml", "link.yaml"], ["link.yaml"]], ids=["overlay", "first"])
def test_a_file_named_on_the_command_line_is_read_only_inside_the_project(tmp_path, monkeypatch, capsys, files):
    # the project is the first named file's work tree, as its name places it (not where a link leads)
    project, outside = _checkout(tmp_path)
    (project / "infra.yaml").write_text("version: 1\nproject: c04\nservices:\n  app: {image: busybox}\n")
    (project / "link.yaml").symlink_to(outside / "private.yaml")
    code, out = _lint(project, monkeypatch, capsys, *[a for f in files for a in ("-f", f)])
    assert code == 1 and MARK not in out and "link.yaml:1:1: is outside the project" in out, out


def test_a_link_inside_the_project_is_read(tmp_path, monkeypatch, capsys):
    project, _ = _checkout(tmp_path)
    (project / "deploy").mkdir()
    (project / "deploy" / "base.yaml").write_text("services:\n  app:\n    image: busybox\n    InsideKey: 1\n")
    (project / "compose.yaml").symlink_to("deploy/base.yaml")
    code, out = _lint(project, monkeypatch, capsys)
    assert code == 1 and "InsideKey" in out, out  # read and linted: the unknown key is reported


_AUDITED = """
import json, os, sys
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        opened.append(os.path.realpath(os.fsdecode(args[0])))
sys.addaudithook(hook)
from validator.main import main
code = main(["lint", *sys.argv[2:]])
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "opened": opened}, out)
"""


def _opened(project: Path, tmp_path: Path, *args: str) -> list[str]:
    record = tmp_path / "opened.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-c", _AUDITED, str(record), *args], cwd=project, env=env, timeout=120, capture_output=True
    )
    return json.loads(record.read_text())["opened"]


def test_no_file_a_lint_process_opens_lies_outside_the_project(tmp_path):
    project, outside = _checkout(tmp_path)
    for name in ("base.yaml", "inc.yaml", "app.yaml", "app.env", "label.env", "secret.txt", "app.conf"):
        (project / name).symlink_to(outside / ("private.env" if name.endswith(".env") else "private.yaml"))
    spec = {
        "version": 1,
        "project": "c04",
        "include": ["inc.yaml"],
        "services": {
            "app": {
                "image": "busybox",
                "extends": {"file": "base.yaml", "service": "app"},
                "env_file": ["app.env"],
                "label_file": "label.env",
                "secrets": ["s"],
            }
        },
        "secrets": {"s": {"file": "secret.txt"}},
        "configs": {"c": {"file": "app.conf"}},
    }
    (project / "infra.yaml").write_text(json.dumps(spec))
    (project / "app.prod.yaml").write_text("project: c04\n")  # an overlay whose base, app.yaml, links out
    (project / "compose.yaml").write_text("services:\n  app: {image: busybox}\n")
    (project / "compose.override.yaml").symlink_to(outside / "private.yaml")
    real_outside = str(outside.resolve())
    opened = _opened(project, tmp_path, "infra.yaml")
    assert str((project / "infra.yaml").resolve()) in opened  # the hook sees lint's reads
    runs = [opened]
    runs += [_opened(project, tmp_path, "-f", "infra.yaml", "-f", "compose.override.yaml")]
    runs += [_opened(project, tmp_path, "app.prod.yaml")]
    (project / ".env").symlink_to(outside / "private.env")
    runs += [_opened(project, tmp_path, "infra.yaml")]
    (project / ".env").unlink()
    (project / "infra.yaml").unlink()  # the files lint finds on its own: compose.yaml and its override
    runs += [_opened(project, tmp_path)]
    assert not [p for run in runs for p in run if p.startswith(real_outside)]


# Reads in the modules lint loads that are not lint's, each with why it cannot reach a spec's file.
ALLOWED = {
    # the confined reader itself
    "validator.spec.confine",
    # /proc/self: the run's own threads and process tree (children.py), never a path a spec gives
    "validator.children",
    # /proc/self/mountinfo and the cgroup2 hierarchy: a check's run group (cgroups.py), never a spec's path
    "validator.cgroups",
    # stdout to /dev/null after a closed pipe
    "validator.main",
    # an env_file outside any fence: only when no project is given (unit tests); lint always fences
    "validator.spec.environment",
    # up's copy of a secret's or config's file into a container: lint refuses one outside the project first
    "validator.engine.compose_fields",
    # a probe job's settings file, written by validator in its private folder (check only)
    "validator.probes.seams",
}
_READS = {"open", "read_text", "read_bytes", "read_regular", "read_host_text", "fdopen", "listdir", "scandir"}


def _lint_modules() -> list[str]:
    code = (
        "import sys, io, contextlib, json\n"
        "from validator.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['lint', 'infra.yaml'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('validator'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return list(json.loads(out.stdout.splitlines()[-1]))


def _unconfined(module: str) -> list[str]:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return []
    tree = ast.parse(Path(spec.origin).read_text())
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _READS and ast.unparse(func.value) != "self":
            found.append(f"{module}:{node.lineno} {ast.unparse(node)}")
        elif isinstance(func, ast.Name) and func.id in {"open", "read_regular", "read_host_text"}:
            found.append(f"{module}:{node.lineno} {ast.unparse(node)}")
    return found


def test_every_module_lint_loads_reads_files_only_through_the_confined_reader():
    modules = _lint_modules()
    assert "validator.spec.loader" in modules and "validator.commands.lint" in modules
    raw = [hit for module in modules if module not in ALLOWED for hit in _unconfined(module)]
    assert not raw, "an unconfined read on lint's path (use validator.spec.confine):\n" + "\n".join(raw)
