"""Values Compose reads as unset: removed before the model sees them, as ``docker compose config`` does.

Each rule was checked against the Compose binary (v2.40, tests/unit/test_unset.py pins them):
- An empty string where Compose's model holds a plain string with a default is that default:
  ``restart``, ``deploy.mode``, ``deploy.endpoint_mode``, an ``env_file`` entry's ``format``. This is
  what ``restart: ${RESTART_POLICY}`` gives when the variable is not set.
- ``build.args`` entries that are empty strings are dropped (the other key/value lists keep them, as
  Compose does, and the model refuses them there).
- A size written as a YAML float (``shm_size: 1e9``, ``mem_limit: 1.5``, also ``mem_reservation``,
  ``memswap_limit``, ``build.shm_size`` and a tmpfs mount's ``size``): Compose's byte-size decoder takes
  integers and strings only and drops the field, so the container gets no such setting. The field is
  dropped here too, with a warning: the author surely meant a limit. (``deploy.resources`` memory as a
  float is refused by Compose's schema, and stays an error here.)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from validator.spec.loader import Document
from validator.spec.location import Finding
from validator.spec.location import Path as DocPath

_EMPTY_IS_DEFAULT: tuple[tuple[str, ...], ...] = (("restart",), ("deploy", "mode"), ("deploy", "endpoint_mode"))
_SIZES: tuple[tuple[str, ...], ...] = (
    ("shm_size",),
    ("mem_limit",),
    ("mem_reservation",),
    ("memswap_limit",),
    ("build", "shm_size"),
)  # deploy.resources.*.memory as a float is refused by Compose's schema ("must be a string"): still an error
FLOAT_SIZE = (
    "a size written as a floating-point number: Compose ignores it, so it is not applied; write it with a "
    "unit ('1g') or as whole bytes"
)


def drop_unset(doc: Document) -> Document:
    """``doc`` without the values Compose reads as unset, with a warning for each ignored size."""
    services = doc.data.get("services")
    if not isinstance(services, dict):
        return doc
    warnings: list[Finding] = []
    cleaned = {name: _service(doc, name, svc, warnings) for name, svc in services.items()}
    if all(cleaned[name] is services[name] for name in services):
        return doc
    data = {**doc.data, "services": cleaned}
    return dataclasses.replace(doc, data=data, findings=[*doc.findings, *warnings])


def _service(doc: Document, name: str, svc: Any, warnings: list[Finding]) -> Any:
    if not isinstance(svc, dict):
        return svc
    out = svc
    for path in _EMPTY_IS_DEFAULT:
        if _get(out, path) == "":
            out = _without(out, path)
    for path in _SIZES:
        if isinstance(_get(out, path), float):
            warnings.append(doc.finding(("services", name, *path), FLOAT_SIZE, rule="compose", severity="warning"))
            out = _without(out, path)
    out = _volumes(doc, name, out, warnings)
    out = _env_files(out)
    build = out.get("build")
    if isinstance(build, dict) and isinstance(build.get("args"), list) and "" in build["args"]:
        out = {**out, "build": {**build, "args": [arg for arg in build["args"] if arg != ""]}}
    return out


def _volumes(doc: Document, name: str, svc: dict[str, Any], warnings: list[Finding]) -> dict[str, Any]:
    """A long-syntax tmpfs mount's ``size`` written as a float, dropped as Compose drops it."""
    volumes = svc.get("volumes")
    if not isinstance(volumes, list):
        return svc
    kept = list(volumes)
    for index, volume in enumerate(volumes):
        if isinstance(_get(volume, ("tmpfs", "size")), float):
            path: DocPath = ("services", name, "volumes", index, "tmpfs", "size")
            warnings.append(doc.finding(path, FLOAT_SIZE, rule="compose", severity="warning"))
            kept[index] = _without(volume, ("tmpfs", "size"))
    return svc if kept == volumes else {**svc, "volumes": kept}


def _env_files(svc: dict[str, Any]) -> dict[str, Any]:
    entries = svc.get("env_file")
    if not isinstance(entries, list) or not any(_get(e, ("format",)) == "" for e in entries):
        return svc
    return {**svc, "env_file": [_without(e, ("format",)) if _get(e, ("format",)) == "" else e for e in entries]}


def _get(node: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _without(node: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``node`` without ``path`` (which exists); the mappings on the way are copied, not changed."""
    head, *rest = path
    if not rest:
        return {k: v for k, v in node.items() if k != head}
    return {**node, head: _without(node[head], tuple(rest))}
