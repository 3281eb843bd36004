"""``lint`` never fails internally: whatever a spec holds, it exits 0, 1 or 2 with located findings,
never 4 and never a traceback.

Two generators, both through the CLI's own entry (``validator.main.main``, in-process for speed):
documents drawn from the JSON schema of ``infra.yaml`` (``schema/infra.schema.json``: mostly valid
shapes, so the semantic rules run on them), and real specs mutated a few nodes at a time (the shipped
``infra.yaml``, the examples, tests/examples, the real compose files of tests/compose and of the shared
corpora). The quick suite draws ``QUICK`` examples of each; the slow run ``SLOW``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.main import main

ROOT = Path(__file__).resolve().parents[2]
QUICK = 120
SLOW = 2000
MAX_DEPTH = 5


def _corpora() -> list[Path]:
    """The shared corpora's compose files, used in place (``shared/corpora`` beside the checkout)."""
    for folder in ROOT.parents:
        corpora = folder / "shared" / "corpora"
        if corpora.is_dir():
            return sorted(p for p in corpora.rglob("*.y*ml") if p.is_file() and p.stat().st_size < 200_000)
    return []


# libyaml's safe loader where PyYAML has it: the same documents (the same 345 seeds here), ten times faster
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def seeds() -> tuple[dict[str, Any], ...]:
    files = [
        ROOT / "infra.yaml",
        ROOT / "infra.offline.yaml",
        *sorted((ROOT / "examples").rglob("*.yaml")),
        *sorted((ROOT / "tests" / "examples").rglob("*.yaml")),
        *sorted((ROOT / "tests" / "compose").rglob("*.y*ml")),
        *_corpora(),
    ]
    out = []
    for path in files:
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
        except (yaml.YAMLError, UnicodeDecodeError, ValueError):
            continue
        if isinstance(data, dict) and _small(data):
            out.append(data)
    return tuple(out)


def _small(data: Any, budget: int = 5000) -> bool:
    """Whether ``data`` has at most ``budget`` nodes once its aliases are expanded (an alias bomb of
    tests/examples/invalid would grow exponentially when copied)."""
    stack, seen = [data], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > budget:
            return False
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


ODD_STRINGS = [
    "",
    "${",
    "${A:?x}",
    "${UNSET}",
    "$$",
    "0o7",
    "1e999",
    "-1",
    "127.0.0.1:99999:80",
    "8080-8070:80",
    "a" * 300,
    "../../etc/passwd",
    "/dev/zero",
    "~",
    "~nouser/x.env",
    "x=y",
    "é\u2028",
    "512mb",
    "-5s",
    "CMD",
    "NONE",
    "service_healthy",
    "host:/etc/hosts",
    "!reset",
]
KEYS = st.sampled_from(
    [
        "image",
        "networks",
        "ports",
        "volumes",
        "environment",
        "env_file",
        "labels",
        "depends_on",
        "healthcheck",
        "deploy",
        "extends",
        "include",
        "secrets",
        "configs",
        "command",
        "build",
        "a",
        "x-a",
        "condition",
        "file",
        "path",
        "target",
        "source",
        "external",
        "resources",
        "limits",
    ]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(ODD_STRINGS),
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=8,
)


def _mutate(data: Any, path: tuple[Any, ...], how: str, value: Any) -> Any:
    """A copy of ``data`` with the node at ``path`` replaced, removed, wrapped in a list or given a key."""
    if not path:
        return value if how == "replace" else data
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "remove":
        del parent[last]
    elif how == "wrap":
        parent[last] = [parent[last]]
    elif how == "add" and isinstance(parent[last], dict):
        parent[last][str(value)[:20] or "k"] = value
    else:
        parent[last] = value
    return data


@st.composite
def mutated_specs(draw: st.DrawFn) -> Any:
    data = json.loads(json.dumps(draw(st.sampled_from(seeds())), default=str))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        data = _mutate(data, path, draw(st.sampled_from(["replace", "replace", "remove", "wrap", "add"])), draw(junk))
    return data


# --- documents from the JSON schema -------------------------------------------------------------


@cache
def _schema() -> dict[str, Any]:
    return dict(json.loads((ROOT / "schema" / "infra.schema.json").read_text()))


def _from_schema(node: Any, depth: int) -> st.SearchStrategy[Any]:
    """Instances of the schema ``node`` (mostly valid: every branch, a few keys each), as deep as
    ``MAX_DEPTH``; deeper, any scalar."""
    if depth > MAX_DEPTH or not isinstance(node, dict):
        return scalars
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return st.deferred(lambda: _from_schema(_schema()["$defs"][name], depth + 1))
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        return st.one_of([_from_schema(b, depth + 1) for b in branches])
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of([_from_schema({**node, "type": k}, depth) for k in kind])
    if kind == "object" or "properties" in node:
        return _object(node, depth)
    if kind == "array":
        items = node.get("items", {})
        return st.lists(_from_schema(items, depth + 1), max_size=3)
    if kind == "string":
        return st.one_of(st.sampled_from(ODD_STRINGS), st.text(max_size=10))
    if kind == "integer":
        return st.integers(int(node.get("minimum", -5)), int(node.get("maximum", 10**6)))
    if kind == "number":
        low = node.get("minimum", node.get("exclusiveMinimum", -5))
        return st.floats(float(low), float(node.get("maximum", 1e6)), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return scalars


def _object(node: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    properties = node.get("properties") or {}
    optional = {key: _from_schema(sub, depth + 1) for key, sub in properties.items()}
    required = {key: optional.pop(key) for key in node.get("required", []) if key in optional}
    extra = node.get("additionalProperties")
    base = st.fixed_dictionaries(required, optional=optional)
    if isinstance(extra, dict) and not properties:
        names = st.sampled_from(["a", "web", "db", "x.y", "default"])
        return st.dictionaries(names, _from_schema(extra, depth + 1), max_size=3)
    return base


@cache
def _schema_strategy() -> st.SearchStrategy[Any]:
    # built once: the same strategy for every example (a strategy only describes what to draw), where a
    # tree of fresh strategies per example had hypothesis validate each again (most of this file's time)
    return _from_schema(_schema(), 0)


@st.composite
def schema_specs(draw: st.DrawFn) -> Any:
    data = draw(_schema_strategy())
    if isinstance(data, dict):
        data = {"version": 1, "project": "fuzz", **data}
    return data


# --- the property ---------------------------------------------------------------------------------


def _lint(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: Any) -> None:
    path = tmp_path / "infra.yaml"
    try:
        text = yaml.safe_dump(data, allow_unicode=True)
    except (yaml.YAMLError, ValueError, OverflowError):
        return
    path.write_text(text, encoding="utf-8")
    capsys.readouterr()
    code = main(["lint", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (code, text[:2000], out[-2000:], err[-2000:])
    assert "Traceback" not in out + err and "internal error" not in out + err, (text[:2000], err[-2000:])


FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


def test_the_seeds_are_many():
    assert len(seeds()) >= 60


def test_a_list_of_mappings_as_a_service_networks_is_a_finding(tmp_path, capsys):
    spec = {"version": 1, "project": "p", "services": {"web": {"image": "i", "networks": [{"a": 1}]}}}
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    assert main(["lint", str(tmp_path / "infra.yaml")]) == 1
    assert "services.web.networks: a list of networks holds network names" in capsys.readouterr().out


def test_a_home_folder_of_no_user_is_a_finding(tmp_path, capsys):
    """``~P`` names the home of a user P that does not exist: Path.expanduser raises there (found by
    the schema fuzz below)."""
    spec = {
        "version": 1,
        "project": "p",
        "include": ["~P"],
        "services": {"w": {"image": "i", "env_file": "~nouser/x.env", "label_file": ["~nouser/l"]}},
        "secrets": {"s": {"file": "~nouser/s"}},
    }
    (tmp_path / "infra.yaml").write_text(yaml.safe_dump(spec))
    assert main(["lint", str(tmp_path / "infra.yaml")]) == 1
    assert "~P: no such file" in capsys.readouterr().out


@settings(FUZZ, max_examples=QUICK)
@given(data=mutated_specs())
def test_mutated_real_specs(tmp_path, capsys, data):
    _lint(tmp_path, capsys, data)


@settings(FUZZ, max_examples=QUICK)
@given(data=schema_specs())
def test_documents_of_the_schema(tmp_path, capsys, data):
    _lint(tmp_path, capsys, data)


@pytest.mark.slow
@settings(FUZZ, max_examples=SLOW)
@given(data=mutated_specs())
def test_mutated_real_specs_long(tmp_path, capsys, data):
    _lint(tmp_path, capsys, data)


@pytest.mark.slow
@settings(FUZZ, max_examples=SLOW)
@given(data=schema_specs())
def test_documents_of_the_schema_long(tmp_path, capsys, data):
    _lint(tmp_path, capsys, data)
