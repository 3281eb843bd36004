"""Validate merged spec data against the model; turn every pydantic error into a located finding.

Error locations name model fields, union branches and normalised keys; they are walked against the
data actually written, so the finding points at the line the user wrote. Unknown keys get a
"did you mean" from the keys valid at that very place in the model.
"""

from __future__ import annotations

import os
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from validator.hints import did_you_mean
from validator.redact import described, quoted
from validator.spec.compose_keys import is_compose_key, keys_at
from validator.spec.loader import Document
from validator.spec.location import Finding, Path
from validator.spec.model import Spec
from validator.spec.renamed import old_spellings


def validate_document(doc: Document) -> tuple[Any, list[Finding]]:
    _build_once(Spec)
    data, renamed = old_spellings(doc)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        return None, renamed + errors_to_findings(exc, doc, Spec)
    return (None, renamed) if renamed else (spec, [])


def _build_once(model: type[BaseModel]) -> None:
    """Build the validator without scanning every installed distribution for pydantic plugins
    (validator uses none; the scan costs more than the rest of a lint)."""
    if model.__pydantic_complete__:
        return
    previous = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        model.model_rebuild()
    finally:
        if previous is None:
            os.environ.pop("PYDANTIC_DISABLE_PLUGINS", None)
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = previous


def errors_to_findings(exc: ValidationError, doc: Document, root: type[BaseModel]) -> list[Finding]:
    grouped: dict[tuple[Path, str], list[str]] = {}
    keyed: set[tuple[Path, str]] = set()
    missing: dict[Path, list[str]] = {}
    for error in exc.errors(include_url=False):
        path, leftover = _data_path(doc.data, error["loc"])
        if error["type"] == "missing":
            # Several required keys missing at one place are all needed: one message joined with "and".
            name = leftover[-1] if leftover else (path[-1] if path else "?")
            missing.setdefault(path, []).append(quoted(str(name)))
            continue
        message = _message(error, path, leftover, doc, root)
        if error["type"] == "extra_forbidden":
            keyed.add((path, "extra"))
            grouped.setdefault((path, "extra"), []).append(message)
        else:
            grouped.setdefault((path, "value"), []).append(message)
    for path, names in missing.items():
        names = list(dict.fromkeys(names))
        text = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        grouped.setdefault((path, "value"), []).insert(0, f"missing required key{'s' if len(names) > 1 else ''} {text}")
    findings = []
    for (path, kind), messages in grouped.items():
        unique = list(dict.fromkeys(messages))
        text = unique[0] if len(unique) == 1 else "; or ".join(unique[:3])
        findings.append(doc.finding(path, text, key=(path, kind) in keyed or kind == "extra"))
    return findings


def _data_path(data: Any, loc: tuple[int | str, ...]) -> tuple[Path, list[int | str]]:
    """The part of ``loc`` that exists in the written data; the rest are union tags or normalised keys."""
    path: list[int | str] = []
    node = data
    leftover: list[int | str] = []
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        else:
            leftover.append(part)
    return tuple(path), leftover


def _message(error: Any, path: Path, leftover: list[int | str], doc: Document, root: type[BaseModel]) -> str:
    kind = error["type"]
    msg = str(error["msg"])
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        if is_compose_key(path):
            return f"Compose key {quoted(key)} is not supported yet"
        # Compose's keys at this place count as valid spellings too (a misspelt 'ulimit' means 'ulimits').
        valid = [*_valid_keys(root, path[:-1], doc.data), *sorted(keys_at(path[:-1]))]
        return f"unknown key {quoted(key)}" + did_you_mean(key, valid)
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag")
        expected = str(error.get("ctx", {}).get("expected_tags", ""))
        tags = [t.strip(" '") for t in expected.split(",")]
        return f"unknown kind {quoted(tag)}: expected one of {expected}" + did_you_mean(tag, tags)
    if kind == "union_tag_not_found":
        return "missing required key 'kind'"
    value = error.get("input")
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return unquoted(msg[len(prefix) :], value)
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping, got {described(value)}"
    return f"{msg[0].lower()}{msg[1:]}, got {described(value)}"


def unquoted(message: str, value: Any) -> str:
    """``message`` with every string the input holds, where it is quoted, replaced by what it is.

    An error about bad input never quotes the value it failed on (``redact.described``). The field
    validators raise their own messages; this is the one rule every one of them goes through, so a
    validator written tomorrow that quotes its input cannot print a password pasted in the wrong place.
    """
    strings = _strings(value)
    for text in sorted(strings, key=len, reverse=True):
        message = message.replace(quoted(text), f"({described(text)})")
    # a quoted piece of the input (the mode of a volume entry, the unit of a size) is part of a value too
    return _QUOTED.sub(lambda m: f"({described(m[0][1:-1])})" if _inside(m[0][1:-1], strings) else m[0], message)


# a piece of a message quoted as ``repr`` quotes it (the form ``redact.quoted`` writes)
_QUOTED = re.compile(r"'[^'\n]+'|\"[^\"\n]+\"")


def _inside(piece: str, strings: set[str]) -> bool:
    return any(piece in text for text in strings)


def _strings(value: Any, depth: int = 0) -> set[str]:
    """The strings in ``value``, keys and items alike (bounded: a spec is a few levels deep)."""
    if depth > 20:
        return set()
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for k, v in value.items() for s in (*_strings(k, depth + 1), *_strings(v, depth + 1))}
    if isinstance(value, list | tuple):
        return {s for v in value for s in _strings(v, depth + 1)}
    return set()


def _valid_keys(root: Any, path: Path, data: Any) -> list[str]:
    """Field names (and aliases) of the model that sits at ``path`` in the data."""
    tp: Any = root
    node = data
    for part in path:
        tp = _unwrap(tp, node)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                field = next((f for f in tp.model_fields.values() if f.alias == part), None)
            if field is None:
                return []
            tp = field.annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) is list:
            tp = typing.get_args(tp)[0]
        else:
            return []
    tp = _unwrap(tp, node)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or name for name, f in tp.model_fields.items()]
    return []


def _unwrap(tp: Any, node: Any) -> Any:
    """Strip Annotated/Optional; pick the union member whose ``kind`` literal matches the data."""
    for _ in range(8):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [m for m in typing.get_args(tp) if m is not type(None)]
            chosen = members[0] if members else tp
            if isinstance(node, dict) and "kind" in node:
                for member in members:
                    field = getattr(member, "model_fields", {}).get("kind")
                    if field is not None and node["kind"] in typing.get_args(field.annotation):
                        chosen = member
            for member in members:
                if isinstance(member, type) and issubclass(member, BaseModel):
                    chosen = member if not (isinstance(chosen, type) and issubclass(chosen, BaseModel)) else chosen
            tp = chosen
        else:
            return tp
    return tp
