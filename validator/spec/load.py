"""The one way every command reads specs: load files -> merge overlays -> validate -> lint rules.

``lint_files`` returns every finding and never raises; ``load_spec`` raises ``SpecError`` when any
finding is an error and returns the spec with its warnings otherwise.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from validator.errors import SpecError
from validator.redact import is_secret_name
from validator.spec.loader import Document, load_file, read_environment
from validator.spec.location import Finding
from validator.spec.model import Spec

DEFAULT_FILE = "infra.yaml"


@dataclass
class LoadedSpec:
    spec: Spec
    doc: Document
    base_dir: Path
    files: list[str]
    warnings: list[Finding] = field(default_factory=list)
    text_hash: str = ""
    environment: dict[str, str] = field(default_factory=dict, repr=False)

    def secrets(self) -> set[str]:
        """Values never to print: interpolated into environments, or held by keys named like secrets."""
        found: set[str] = set()
        for path, value in self.doc.interpolated.items():
            if value and ("environment" in path or _secret_name(path)):
                found.add(value)
        _secret_values(self.doc.data, (), found)
        marked = set(self.spec.settings.secrets)
        found.update(value for name, value in self.environment.items() if name in marked)
        _marked_values(self.doc.data, marked, found)
        from validator.spec.resources import secret_env_values, secret_file_values

        found.update(secret_file_values(self.spec.secrets, self.base_dir))
        found.update(secret_env_values(self.spec.secrets, self.environment))
        return {s for s in found if len(s) >= 4}


def _secret_name(path: tuple[object, ...]) -> bool:
    return bool(path) and is_secret_name(path[-1])


def _secret_values(node: object, path: tuple[object, ...], found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _secret_values(value, (*path, key), found)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, str) and "=" in value and path and path[-1] == "environment":
                name, _, secret = value.partition("=")
                if _secret_name((name,)):
                    found.add(secret)
            else:
                _secret_values(value, (*path, index), found)
    elif isinstance(node, str | int) and not isinstance(node, bool) and _secret_name(path):
        found.add(str(node))


def _marked_values(node: object, names: set[str], found: set[str]) -> None:
    if not names:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            if key in names and isinstance(value, str | int) and not isinstance(value, bool):
                found.add(str(value))
            _marked_values(value, names, found)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, str) and "=" in item and item.partition("=")[0] in names:
                found.add(item.partition("=")[2])
            _marked_values(item, names, found)


def resolve_files(files: list[str] | None) -> list[str]:
    return list(files) if files else [DEFAULT_FILE]


def _read(files: list[str], environ: Mapping[str, str] | None) -> tuple[Document, dict[str, str]]:
    from validator.spec.merge import merge_documents

    docs: list[Document] = []
    findings: list[Finding] = []
    env = read_environment(Path(files[0]).parent, environ)
    for name in files:
        try:
            docs.append(load_file(name, env, display=name))
        except SpecError as exc:
            findings.extend(exc.findings)
    if findings:
        raise SpecError(findings)
    return merge_documents(docs), env


def lint_files(files: list[str], environ: Mapping[str, str] | None = None) -> list[Finding]:
    """Every finding (errors and warnings) for the merged files, sorted by place."""
    try:
        loaded = _validate(files, environ)
    except SpecError as exc:
        return sorted(exc.findings, key=lambda f: f.sort_key())
    return sorted(loaded.warnings, key=lambda f: f.sort_key())


def load_spec(files: list[str] | None = None, environ: Mapping[str, str] | None = None) -> LoadedSpec:
    """The validated spec; ``SpecError`` with every error finding otherwise."""
    return _validate(resolve_files(files), environ)


def _validate(files: list[str], environ: Mapping[str, str] | None) -> LoadedSpec:
    from validator.lint.context import LintContext
    from validator.lint.registry import run_rules
    from validator.spec.validate import validate_document

    doc, env = _read(files, environ)
    base_dir = Path(files[0]).parent.resolve()
    spec, findings = validate_document(doc)
    if spec is None:
        raise SpecError(sorted(findings + _rules_on_rest(doc, findings, base_dir), key=lambda f: f.sort_key()))
    found = run_rules(LintContext(spec, doc, base_dir))
    errors = [f for f in found if f.severity == "error"]
    if errors:
        raise SpecError(sorted(found, key=lambda f: f.sort_key()))
    digest = hashlib.sha256()
    for name in files:
        digest.update(Path(name).read_bytes() if os.path.isfile(name) else b"")
    return LoadedSpec(spec, doc, base_dir, files, found, digest.hexdigest(), env)


def _rules_on_rest(doc: Document, findings: list[Finding], base_dir: Path) -> list[Finding]:
    """Semantic findings on the parts that did validate, so one pass reports everything.

    The nodes schema errors point at are pruned (a few rounds, widening to the entity when a node
    cannot be removed alone); rule findings on or about pruned parts are dropped.
    """
    import copy

    from validator.lint.context import LintContext
    from validator.lint.registry import run_rules
    from validator.spec.validate import validate_document

    data = copy.deepcopy(doc.data)
    pruned: list[tuple[object, ...]] = []
    paths: list[tuple[object, ...]] = [f.path for f in findings]
    for _ in range(4):
        if any(len(path) < 2 for path in paths):
            return []
        for path in sorted(set(paths), key=_desc_key):
            _remove(data, path)
            pruned.append(path)
        partial = Document(data, doc.files, doc.positions, doc.key_positions, doc.interpolated)
        spec, current = validate_document(partial)
        if spec is not None:
            names = {str(p[1]) for p in pruned if len(p) == 2}
            extra = run_rules(LintContext(spec, partial, base_dir))
            return [
                f
                for f in extra
                if not any(f.path[: len(p)] == p or p[: len(f.path)] == f.path for p in pruned)
                and not any(f"'{name}'" in f.message for name in names)
            ]
        fresh: list[tuple[object, ...]] = [f.path for f in current if f.path and f.path not in pruned]
        paths = fresh or [f.path[:2] for f in current]  # no new place to prune: widen to the entity
    return []


def _remove(data: object, path: tuple[object, ...]) -> None:
    node = data
    for part in path[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return
    last = path[-1]
    if isinstance(node, dict):
        node.pop(last, None)
    elif isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        del node[last]


def _desc_key(path: tuple[object, ...]) -> tuple[object, ...]:
    """Sort so that, within a list, higher indices are removed first (earlier ones keep their place)."""
    return tuple((0, -p) if isinstance(p, int) else (1, str(p)) for p in path)
