"""Compose's service-level ``extends:``: a service built on another one, here or in another file.

``extends: NAME`` or ``extends: {service: NAME, file: PATH}``. The base is resolved first (it may
extend another service in turn), then the extending service is merged over it with the rules
Compose uses for override files (validator/spec/merge.py: environment and labels by key, ports
accumulate, volumes by target, command replaced...). A base from another file is read with the
same variables and its relative paths are resolved against that file's folder, as Compose does.
A cycle, a missing service or file is a located error at the ``extends`` that names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path as FsPath
from typing import Any

from validator.errors import SpecError
from validator.hints import did_you_mean
from validator.redact import quoted
from validator.spec.confine import ConfinementError, inside, project_root
from validator.spec.loader import Document, load_file
from validator.spec.location import Finding, Path
from validator.spec.merge import merge_service
from validator.spec.rebase import rebase_paths

# Resolving recurses once per link of a chain: a bound well under Python's recursion limit, far above
# any chain a person writes (Compose sets none).
MAX_DEPTH = 64


class _Resolver:
    def __init__(self, doc: Document, path: FsPath, env: Mapping[str, str], root: FsPath) -> None:
        self.doc = doc
        self.env = env
        self.root = root
        self.files: dict[FsPath, dict[str, Any]] = {path.resolve(): doc.data.get("services") or {}}
        self.done: dict[tuple[FsPath, str], Any] = {}
        self.digests: dict[str, str] = {}  # of the base files read, as they were read
        self.findings: list[Finding] = []

    def error(self, where: Path, message: str) -> Finding:
        # rule "extends": the loader leaves out what the schema says about a service whose base is missing
        return self.doc.finding(where, message, key=True, rule="extends")

    def services_of(self, file: FsPath, where: Path) -> dict[str, Any] | None:
        if file not in self.files:
            try:
                inside(file, self.root)
            except ConfinementError as exc:
                self.findings.append(self.error(where, f"extends names file {file}, which {exc.reason}"))
                return None
            try:
                exists = file.is_file()
            except (OSError, ValueError):  # a name the system refuses (too long...): as good as missing
                exists = False
            if not exists:
                self.findings.append(self.error(where, f"extends names file {quoted(file.name)}, which does not exist"))
                return None
            try:
                base_doc = load_file(file, self.env, display=str(file), root=self.root)
                data = base_doc.data
                self.digests.update(base_doc.digests)
            except SpecError as exc:
                # A file that cannot be read at all has no line of its own: point at the extends naming it.
                self.findings.extend(
                    f if f.path else self.error(where, f"{file.name}: {f.message}") for f in exc.findings
                )
                return None
            except OSError as exc:  # an I/O error (a /proc file): one finding, never a traceback
                self.findings.append(self.error(where, f"{file.name} cannot be read: {exc.strerror or exc}"))
                return None
            services = data.get("services")
            if not isinstance(services, dict):
                self.findings.append(self.error(where, f"{file.name} has no services to extend"))
                return None
            self.files[file] = rebase_paths({"services": services}, file.parent)["services"]
        return self.files[file]

    def resolve(self, file: FsPath, name: str, chain: tuple[tuple[FsPath, str], ...], where: Path) -> Any:
        """The service ``name`` of ``file`` with its own extends applied; None after a finding."""
        key = (file, name)
        if key in self.done:
            return self.done[key]
        if len(chain) > MAX_DEPTH:
            top: Path = ("services", chain[1][1], "extends")
            self.findings.append(self.error(top, f"extends chain longer than {MAX_DEPTH} services"))
            return None
        if key in chain:
            cycle = " -> ".join(n for _, n in (*chain, key) if n)
            # Reported at the extends of the service being resolved, whose name starts the cycle.
            top = ("services", chain[1][1], "extends") if len(chain) > 1 else where
            self.findings.append(self.error(top, f"extends cycle: {cycle}"))
            return None
        services = self.services_of(file, where)
        if services is None:
            return None
        if name not in services:
            hint = did_you_mean(name, services)
            self.findings.append(
                self.error(where, f"extends names unknown service {quoted(name)} in {file.name}{hint}")
            )
            return None
        service = services[name]
        if not isinstance(service, dict) or "extends" not in service:
            self.done[key] = service
            return service
        own_where: Path = ("services", name, "extends") if file == chain[0][0] else where
        spec = service["extends"]
        base_name, base_file = _target(spec)
        if base_name is None:
            self.findings.append(
                self.error(own_where, "extends is a service name or a mapping with service and optional file")
            )
            return None
        target_file = (file.parent / base_file).resolve() if base_file else file
        base = self.resolve(target_file, base_name, (*chain, key), own_where)
        if base is None:
            return None

        own = {k: v for k, v in service.items() if k != "extends"}
        merged = merge_service(base, own, name, self.doc, self.findings) if isinstance(base, dict) else own
        self.done[key] = merged
        return merged


def _target(spec: Any) -> tuple[str | None, str | None]:
    if isinstance(spec, str) and spec:
        return spec, None
    if isinstance(spec, dict) and isinstance(spec.get("service"), str) and set(spec) <= {"service", "file"}:
        file = spec.get("file")
        if file is not None and (not isinstance(file, str) or not file or "\x00" in file):
            return None, None
        return spec["service"], file
    return None, None


def resolve_extends(doc: Document, path: FsPath, env: Mapping[str, str], *, root: FsPath | None = None) -> Document:
    """``doc`` (read from ``path``) with every ``extends`` applied; problems in ``doc.findings``. A base
    file must lie inside ``root`` (``project_root`` of ``path`` by default), else it is not read."""
    services = doc.data.get("services")
    if not isinstance(services, dict) or not any(isinstance(s, dict) and "extends" in s for s in services.values()):
        return doc
    resolver = _Resolver(doc, path, env, root or project_root(path))
    me = path.resolve()
    resolved = dict(services)
    for name, service in services.items():
        if isinstance(service, dict) and "extends" in service:
            where: Path = ("services", name, "extends")
            result = resolver.resolve(me, name, ((me, ""),), where)
            if result is None and not any(f.path[:2] == where[:2] for f in resolver.findings):
                # The fault is further down the chain (reported there): say so here too, once.
                base, _ = _target(service["extends"])
                resolver.findings.append(
                    resolver.error(where, f"extends {quoted(base)}, whose own extends cannot be resolved")
                )
            # After a finding the service stays as written, minus extends, so the rest is still checked
            # (Document.unresolved() keeps the schema from adding "needs image" to a service without its base).
            resolved[name] = result if result is not None else {k: v for k, v in service.items() if k != "extends"}
    # Files a base came from count among the spec's files (the spec's hash covers what it read).
    extra = [str(f) for f in resolver.files if f != me]
    out = Document(
        data={**doc.data, "services": resolved},
        files=[*doc.files, *extra],
        positions=doc.positions,
        key_positions=doc.key_positions,
        interpolated=doc.interpolated,
        # A broken base met on several services' chains is reported once.
        findings=[*doc.findings, *dict.fromkeys(resolver.findings)],
    )
    out.digests = {**doc.digests, **resolver.digests}
    return out
