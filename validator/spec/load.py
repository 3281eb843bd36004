"""Reading specs: which files (``resolve_files``), read and merged (``read_merged``), the loaded spec
(``LoadedSpec``) and the project a spec names (``read_project``). Validating and linting them is
``validator.load``'s, the layer above both ``spec`` and ``lint``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validator.errors import SpecError
from validator.redact import MIN_LENGTH, register
from validator.spec.bound import bound
from validator.spec.confine import project_root
from validator.spec.extends import resolve_extends
from validator.spec.include import apply_includes
from validator.spec.loader import Document, load_file, read_environment
from validator.spec.location import Finding
from validator.spec.merge import merge_documents
from validator.spec.project import compose_top_level
from validator.spec.secrets import collect

if TYPE_CHECKING:  # the model is heavy to import: down reads a spec's project without it (read_project)
    from validator.spec.model import Spec

DEFAULT_FILE = "infra.yaml"


@dataclass(kw_only=True)
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
        itself (``validator.load.load_spec``), whatever the command; computed once (it reads files)."""
        if self._secrets is None:
            self._secrets = self._collect()
        return set(self._secrets)

    def _collect(self) -> set[str]:
        # lazy: the resource models load pydantic, which ``down``'s first read (``read_project``) avoids
        from validator.spec.resources import secret_env_values, secret_file_values

        found = collect(
            self.doc.data,
            self.doc.interpolated,
            self.environment,
            self.base_dir,
            self.fence,
            as_written=self.doc.unresolved(),
        )
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


def read_merged(files: list[str], environ: Mapping[str, str] | None, root: Path) -> tuple[Document, dict[str, str]]:
    """The files read (``extends`` and ``include`` applied) and merged in order, with the environment
    they were interpolated with; their secrets registered with the redactor."""

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
    base = Path(files[0]).parent.resolve()
    register(collect(merged.data, merged.interpolated, env, base, root, as_written=merged.unresolved()))
    return merged, env


def _read_one(name: str, env: Mapping[str, str], root: Path) -> Document:
    """One spec file as Compose reads it: its services' ``extends`` applied, its ``include`` merged in."""

    doc = resolve_extends(load_file(name, env, display=name, root=root), Path(name), env, root=root)
    return apply_includes(doc, Path(name), env, root=root)


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

    names = resolve_files(files)
    doc, env = read_merged(names, environ, project_root(Path(names[0])))
    base_dir = Path(names[0]).parent.resolve()
    doc, top = compose_top_level(doc, env, base_dir)
    errors = [f for f in [*doc.findings, *top] if f.severity == "error"]
    project = doc.data.get("project")
    if errors or not isinstance(project, str) or not project:
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
