"""The one way every command reads specs: load files -> merge overlays -> validate -> lint rules.

``lint_files`` returns every finding and never raises; ``load_spec`` raises ``SpecError`` when any
finding is an error and returns the spec with its warnings otherwise.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validator.errors import SpecError
from validator.spec.loader import Document, load_file, read_environment
from validator.spec.location import Finding

if TYPE_CHECKING:  # the model is heavy to import: down reads a spec's project without it (read_project)
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
    # the project (``confine.project_root``): the git work tree holding the first spec file, else its
    # folder; no file the spec names is read from outside it
    root: Path | None = None
    _secrets: set[str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def fence(self) -> Path:
        return self.root or self.base_dir

    def _included_values(self) -> set[str]:
        """Secret values an include's own variables give: its secrets' variables and its services'
        pass-through names (the project's own are in ``found`` already)."""
        out: set[str] = set()
        for (section, name), scope in self.doc.scopes.items():
            if section == "secrets" and name in self.spec.secrets:
                variable = self.spec.secrets[name].environment
                out.add(scope.get(variable or "", ""))
            elif section == "services" and name in self.spec.services:
                passed = [k for k, v in self.spec.services[name].environment.items() if v is None]
                out.update(scope.get(k, "") for k in passed)
        return {value for value in out if value}

    def secrets(self) -> set[str]:
        """Values never to print (``validator.spec.secrets`` says where they come from), and the
        contents of secrets (files and environment variables). Registered with the redactor by the load
        itself (``load_spec``), whatever the command; computed once (it reads files)."""
        if self._secrets is None:
            self._secrets = self._collect()
        return set(self._secrets)

    def _collect(self) -> set[str]:
        from validator.redact import MIN_LENGTH
        from validator.spec.resources import secret_env_values, secret_file_values
        from validator.spec.secrets import collect

        found = collect(self.doc.data, self.doc.interpolated, self.environment, self.base_dir, self.fence)
        held = secret_file_values(self.spec.secrets, self.base_dir, self.fence)
        held |= secret_env_values(self.spec.secrets, self.environment)
        held |= secret_env_values(self.spec.configs, self.environment)
        held |= self._included_values()
        found.update(s for s in held if len(s) >= MIN_LENGTH)
        return found


# Without -f: infra.yaml, else the first compose file Compose itself would read (with its override file,
# merged as Compose merges it), so that `validator check` works in a folder that has only a compose file.
COMPOSE_FILES = (
    ("compose.yaml", "compose.override.yaml"),
    ("compose.yml", "compose.override.yml"),
    ("docker-compose.yaml", "docker-compose.override.yaml"),
    ("docker-compose.yml", "docker-compose.override.yml"),
)


def resolve_files(files: list[str] | None) -> list[str]:
    if files:
        return list(files)
    if os.path.exists(DEFAULT_FILE):
        return [DEFAULT_FILE]
    for name, override in COMPOSE_FILES:
        if os.path.exists(name):
            return [name, override] if os.path.exists(override) else [name]
    return [DEFAULT_FILE]


def _read(files: list[str], environ: Mapping[str, str] | None, root: Path) -> tuple[Document, dict[str, str]]:
    from validator.redact import register
    from validator.spec.bound import bound
    from validator.spec.merge import merge_documents
    from validator.spec.secrets import collect

    docs: list[Document] = []
    findings: list[Finding] = []
    env = read_environment(Path(files[0]).parent, environ, root=root)
    for name in files:
        try:
            docs.append(_read_one(name, env, root))
        except SpecError as exc:
            findings.extend(exc.findings)
    if findings:
        raise SpecError(bound(findings))
    merged = merge_documents(docs)
    # registered before validation: a finding about a secret's field must not print the secret
    register(collect(merged.data, merged.interpolated, env, Path(files[0]).parent.resolve(), root))
    return merged, env


def _read_one(name: str, env: Mapping[str, str], root: Path) -> Document:
    """One spec file as Compose reads it: its services' ``extends`` applied, its ``include`` merged in."""
    from validator.spec.extends import resolve_extends
    from validator.spec.include import apply_includes

    doc = resolve_extends(load_file(name, env, display=name), Path(name), env, root=root)
    return apply_includes(doc, Path(name), env, root=root)


def lint_files(files: list[str], environ: Mapping[str, str] | None = None) -> list[Finding]:
    """Every finding (errors and warnings) for the merged files, sorted by place."""
    from validator.spec.bound import bound

    try:
        loaded = _validate(files, environ, linting=True)
    except SpecError as exc:
        return bound(sorted(exc.findings, key=lambda f: f.sort_key()))
    return bound(sorted(loaded.warnings, key=lambda f: f.sort_key()))


@dataclass(frozen=True, kw_only=True)
class ProjectRef:
    """What ``down`` needs of a spec before its first stop: the project's name, the orchestrator the
    spec names, and its services as written (after interpolation, ``extends`` and ``include``), without
    the schema, the model or the lint rules (engine/reconcile.py reads the few keys it needs)."""

    name: str
    orchestrator: str | None
    services: Mapping[str, Any]
    base_dir: Path


def read_project(files: list[str] | None = None, environ: Mapping[str, str] | None = None) -> ProjectRef:
    """The project a spec names, read as ``load_spec`` reads it but not validated: a file that cannot be
    read, or a project that cannot be named, is a ``SpecError`` (located) all the same."""
    from validator.spec.confine import project_root
    from validator.spec.project import compose_top_level

    names = resolve_files(files)
    doc, env = _read(names, environ, project_root(Path(names[0])))
    base_dir = Path(names[0]).parent.resolve()
    doc, top = compose_top_level(doc, env, base_dir)
    errors = [f for f in [*doc.findings, *top] if f.severity == "error"]
    project = doc.data.get("project")
    if errors or not isinstance(project, str) or not project:
        from validator.spec.bound import bound

        raise SpecError(bound(errors) or [doc.finding(("project",), "the project has no name", rule="compose")])
    settings = doc.data.get("settings")
    orchestrator = settings.get("orchestrator") if isinstance(settings, dict) else None
    services = doc.data.get("services")
    return ProjectRef(
        name=project,
        orchestrator=orchestrator if isinstance(orchestrator, str) else None,
        services=services if isinstance(services, dict) else {},
        base_dir=base_dir,
    )


def load_spec(files: list[str] | None = None, environ: Mapping[str, str] | None = None) -> LoadedSpec:
    """The validated spec; ``SpecError`` with every error finding otherwise."""
    return _validate(resolve_files(files), environ)


def _spec_hash(files: list[str], doc: Document, spec: Spec, env: Mapping[str, str]) -> str:
    """What a recorded run was judged against: the spec's files as read, and what they *mean* — the
    model after interpolation (``.env``, the environment, env files) and the services the enabled
    profiles run. A hash of the text alone would call a run judged with ``MAX_SKIPPED=5`` a verdict on
    the same files read with ``MAX_SKIPPED=0``. (One-way: no value of the spec can be read back.)"""
    import json

    from validator.spec.profiles import active

    digest = hashlib.sha256()
    # included files and extends bases count too; each as it was read (``Document.digests``): reading
    # it again by its name could open another file (an include's name is spelled from the including
    # file's name as given, which a symlink makes point elsewhere)
    for name in dict.fromkeys([*files, *doc.files]):
        digest.update(doc.digests.get(name, "").encode())
    meaning = {"spec": spec.model_dump(mode="json"), "active": list(active(spec.services, env))}
    digest.update(json.dumps(meaning, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _validate(files: list[str], environ: Mapping[str, str] | None, *, linting: bool = False) -> LoadedSpec:
    from validator.lint.context import LintContext
    from validator.lint.registry import run_rules
    from validator.redact import register
    from validator.spec.bound import bound
    from validator.spec.confine import project_root
    from validator.spec.project import compose_top_level
    from validator.spec.unset import drop_unset
    from validator.spec.validate import validate_document

    root = project_root(Path(files[0]))
    doc, env = _read(files, environ, root)
    base_dir = Path(files[0]).parent.resolve()
    doc, top = compose_top_level(doc, env, base_dir)
    doc.findings = [*doc.findings, *top]
    doc = drop_unset(doc)  # what Compose reads as unset (``restart: ''``, ``shm_size: 1e9``)
    # A value whose interpolation failed is kept as written: what the schema or a rule says about it
    # again would only echo the interpolation error.
    unresolved = doc.unresolved()
    spec, findings = validate_document(doc)
    findings = _outside(findings, unresolved)
    if spec is None:
        rest = _rules_on_rest(doc, findings, base_dir, root, env, linting)
        raise SpecError(bound(sorted(doc.findings + findings + _outside(rest, unresolved), key=lambda f: f.sort_key())))
    context = LintContext(spec, doc, base_dir, root=root, environment=env, linting=linting)
    found = doc.findings + _outside(run_rules(context), unresolved)
    errors = [f for f in found if f.severity == "error"]
    if errors:
        raise SpecError(bound(sorted(found, key=lambda f: f.sort_key())))
    loaded = LoadedSpec(spec, doc, base_dir, files, found, _spec_hash(files, doc, spec, env), env, root=root)
    # Registration belongs to loading: every entry point that loads a spec (lint, plan, up, check, down,
    # the pytest plugin) has every secret of it registered before it prints a word about it.
    register(loaded.secrets())
    return loaded


def _outside(findings: list[Finding], paths: Sequence[tuple[object, ...]]) -> list[Finding]:
    """The findings not at or under any of ``paths``."""
    return [f for f in findings if not any(f.path[: len(p)] == p for p in paths)]


def _rules_on_rest(
    doc: Document, findings: list[Finding], base_dir: Path, root: Path, env: Mapping[str, str], linting: bool
) -> list[Finding]:
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
        if any(not path for path in paths):  # the whole document is wrong: nothing left to check
            return []
        for path in sorted(set(paths), key=_desc_key):
            _remove(data, path)
            pruned.append(path)
        partial = Document(data, doc.files, doc.positions, doc.key_positions, doc.interpolated, doc.findings)
        spec, current = validate_document(partial)
        if spec is not None:
            names = {str(p[1]) for p in pruned if len(p) == 2}
            extra = run_rules(LintContext(spec, partial, base_dir, root=root, environment=env, linting=linting))
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
