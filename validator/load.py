"""The one way every command reads specs: load files -> merge overlays -> validate -> lint rules.

``lint_files`` returns every finding and never raises; ``load_spec`` raises ``SpecError`` when any
finding is an error and returns the spec with its warnings otherwise. It sits above ``spec`` (the model
and its reader) and ``lint`` (the rules), so that neither imports the other's layer.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from validator.errors import SpecError
from validator.lint.context import LintContext
from validator.lint.registry import run_rules
from validator.redact import register
from validator.spec.bound import bound
from validator.spec.confine import project_root
from validator.spec.load import LoadedSpec, read_merged, resolve_files
from validator.spec.loader import Document
from validator.spec.location import Finding
from validator.spec.model import Spec
from validator.spec.profiles import active
from validator.spec.project import compose_top_level
from validator.spec.unset import drop_unset
from validator.spec.validate import validate_document


def lint_files(files: list[str], environ: Mapping[str, str] | None = None) -> list[Finding]:
    """Every finding (errors and warnings) for the merged files, sorted by place."""
    try:
        loaded = _validate(files, environ, linting=True)
    except SpecError as exc:
        return bound(sorted(exc.findings, key=lambda f: f.sort_key()))
    return bound(sorted(loaded.warnings, key=lambda f: f.sort_key()))


def load_spec(files: list[str] | None = None, environ: Mapping[str, str] | None = None) -> LoadedSpec:
    """The validated spec; ``SpecError`` with every error finding otherwise."""
    return _validate(resolve_files(files), environ)


def _spec_hash(files: list[str], doc: Document, spec: Spec, env: Mapping[str, str]) -> str:
    """What a recorded run was judged against: the spec's files as read, and what they *mean* — the
    model after interpolation (``.env``, the environment, env files) and the services the enabled
    profiles run. A hash of the text alone would call a run judged with ``MAX_SKIPPED=5`` a verdict on
    the same files read with ``MAX_SKIPPED=0``. Never shown as it is: the model holds the secrets, and an
    unkeyed hash of it lets a weak one be found by hashing guesses; ``run/fingerprint.py`` keys it."""
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
    root = project_root(Path(files[0]))
    doc, env = read_merged(files, environ, root)
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
    loaded = LoadedSpec(
        spec=spec,
        doc=doc,
        base_dir=base_dir,
        files=files,
        warnings=found,
        text_hash=_spec_hash(files, doc, spec, env),
        environment=env,
        root=root,
    )
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

    data = copy.deepcopy(doc.data)
    pruned: list[tuple[object, ...]] = []
    paths: list[tuple[object, ...]] = [f.path for f in findings]
    for _ in range(4):
        if any(not path for path in paths):  # the whole document is wrong: nothing left to check
            return []
        for path in sorted(set(paths), key=_desc_key):
            _remove(data, path)
            pruned.append(path)
        partial = Document(
            data=data,
            files=doc.files,
            positions=doc.positions,
            key_positions=doc.key_positions,
            interpolated=doc.interpolated,
            findings=doc.findings,
        )
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
