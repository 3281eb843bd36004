"""Merge several spec files in order, as Compose merges override files.

Mappings merge key by key; in a service, ``environment``, ``labels`` and ``extra_hosts`` merge by
key (list or map form), ``volumes`` by target, ``secrets`` and ``configs`` by target (or source),
``depends_on`` and ``networks`` by name; ``command`` and ``entrypoint`` are replaced; every other
list of a service (``ports``, ``expose``, ``dns``, ``cap_add``...) is appended without repeating an
entry, as the Compose Specification's merge rules say. Lists elsewhere are replaced. ``!reset``
removes a value, ``!override`` replaces a mapping instead of merging. An overlay may not change
``version`` or ``project``, nor turn a mapping into a scalar: those contradict the base.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from validator.redact import quoted
from validator.spec.loader import Document, Override, Reset, _kind
from validator.spec.location import Finding, Path
from validator.spec.project import is_compose_version, obsolete_version

_BY_KEY = ("environment", "labels", "extra_hosts")
_BY_NAME = ("depends_on", "networks")
# Compose replaces these lists instead of appending (healthcheck.test, one level deeper, is replaced too).
_REPLACE = ("command", "entrypoint")
_BY_TARGET = ("secrets", "configs")


def merge_documents(docs: list[Document]) -> Document:
    if len(docs) == 1:
        return _strip(docs[0])
    merged = _strip(docs[0])
    findings: list[Finding] = []
    for overlay in docs[1:]:
        if is_compose_version(overlay.data.get("version")):
            # A compose override file's obsolete version is no contradiction of the spec's: noted, not merged.
            findings.append(obsolete_version(overlay))
            overlay = dataclasses.replace(overlay, data={k: v for k, v in overlay.data.items() if k != "version"})
        for key in ("version", "project"):
            if key in overlay.data and key in merged.data and overlay.data[key] != merged.data[key]:
                findings.append(
                    overlay.finding(
                        (key,),
                        f"overlay contradicts {merged.files[0]}: "
                        f"{key} {quoted(merged.data[key])} -> {quoted(overlay.data[key])}",
                    )
                )
        merged.data = _merge(merged.data, overlay.data, (), overlay, findings)
        merged.positions.update(overlay.positions)
        merged.key_positions.update(overlay.key_positions)
        merged.interpolated.update(overlay.interpolated)
        merged.scopes.update(overlay.scopes)
        merged.findings.extend(overlay.findings)
        merged.files.extend(overlay.files)
        merged.digests.update(overlay.digests)
    # Contradictions keep the base's value and travel with the document, so that lint still reports
    # the schema and rule findings of the merged files in the same pass.
    merged.findings.extend(findings)
    return merged


def _strip(doc: Document) -> Document:
    """Resolve ``!override`` and ``!reset`` markers in a base document (they mean nothing there)."""
    return Document(
        data=_plain(doc.data),
        files=list(doc.files),
        positions=dict(doc.positions),
        key_positions=dict(doc.key_positions),
        interpolated=dict(doc.interpolated),
        findings=list(doc.findings),
        scopes=dict(doc.scopes),
        digests=dict(doc.digests),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Override):
        return _plain(value.value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not isinstance(v, Reset)}
    if isinstance(value, list):
        return [_plain(v) for v in value if not isinstance(v, Reset)]
    return value


def _service_field(path: Path) -> str | None:
    return str(path[2]) if len(path) == 3 and path[0] == "services" else None


def _merge(base: Any, over: Any, path: Path, doc: Document, findings: list[Finding]) -> Any:
    if isinstance(over, Reset):
        return None
    if isinstance(over, Override):
        return _plain(over.value)
    field = _service_field(path)
    if field in _BY_KEY and isinstance(base, dict | list) and isinstance(over, dict | list):
        return {**_as_map(base), **_as_map(_plain(over))}
    if field in _BY_NAME and isinstance(base, dict | list) and isinstance(over, dict | list):
        return {**_names(base), **_names(_plain(over))}
    if field == "volumes" and isinstance(base, list) and isinstance(over, list):
        return _merge_volumes(base, _plain(over))
    if field in _BY_TARGET and isinstance(base, list) and isinstance(over, list):
        return _merge_by(base, _plain(over), _file_target)
    if field is not None and field not in _REPLACE and isinstance(base, list) and isinstance(over, list):
        extra = [item for item in _plain(over) if item not in base]
        return [*base, *extra]
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            if isinstance(value, Reset):
                out.pop(key, None)
            elif key in out:
                out[key] = _merge(out[key], value, (*path, key), doc, findings)
            else:
                out[key] = _plain(value)
        return out
    if isinstance(base, dict) and over is not None and not isinstance(over, dict):
        findings.append(
            doc.finding(
                path,
                f"overlay contradicts the base: a mapping there, a {_kind(over)} here (write !override to replace it)",
            )
        )
        return base
    return _plain(over)


def _as_map(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    out: dict[str, Any] = {}
    for item in value:
        key, sep, val = str(item).partition("=")
        out[key] = val if sep else None
    return out


def _names(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {str(name): None for name in value}


def _target(volume: Any) -> str | None:
    if isinstance(volume, dict):
        target = volume.get("target")
        return str(target) if target is not None else None
    parts = str(volume).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _merge_volumes(base: list[Any], over: list[Any]) -> list[Any]:
    return _merge_by(base, over, _target)


def _file_target(entry: Any) -> str | None:
    """A service's secret or config: its target, else its source (Compose's default target)."""
    if isinstance(entry, dict):
        found = entry.get("target") or entry.get("source")
        return str(found) if found is not None else None
    return str(entry)


def _merge_by(base: list[Any], over: list[Any], key: Any) -> list[Any]:
    out = list(base)
    index = {key(v): i for i, v in enumerate(out)}
    for entry in over:
        found = key(entry)
        if found in index:
            out[index[found]] = entry
        else:
            index[found] = len(out)
            out.append(entry)
    return out


def merge_service(base: dict[str, Any], own: dict[str, Any], name: str, doc: Document, findings: list[Finding]) -> Any:
    """``own`` merged over ``base`` with the rules of override files (what ``extends`` applies)."""
    return _merge(_plain(base), own, ("services", name), doc, findings)
