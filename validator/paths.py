"""Dotted paths into nested documents: ``alerting.alertmanagers[0].static_configs[0].targets``,
quoted segments for keys holding dots (``a."b.c"``), and list selectors by field
(``receivers[name=test-receiver].webhook_configs[0].url``)."""

from __future__ import annotations

import re
from typing import Any

from validator.redact import quoted

_SEGMENT = re.compile(r'"((?:[^"\\]|\\.)*)"|([^.\[\]"]+)|\[(-?\d+)\]|\[([^\]=]+)=([^\]]*)\]|(\.)')


class PathError(LookupError):
    """The path does not exist in the document; the message says which part is missing."""


def parse_path(path: str) -> list[str | int | tuple[str, str]]:
    parts: list[str | int | tuple[str, str]] = []
    pos = 0
    while pos < len(path):
        match = _SEGMENT.match(path, pos)
        if not match or match.end() == pos:
            raise ValueError(f"invalid path {quoted(path)} at column {pos + 1}")
        in_quotes, plain, index, sel_key, sel_value, dot = match.groups()
        if in_quotes is not None:
            parts.append(in_quotes.replace('\\"', '"'))
        elif plain is not None:
            parts.append(plain)
        elif index is not None:
            parts.append(int(index))
        elif sel_key is not None:
            parts.append((sel_key.strip(), sel_value.strip().strip("'\"")))
        elif dot and (pos == 0 or pos == len(path) - 1):
            raise ValueError(f"invalid path {quoted(path)}: empty segment")
        pos = match.end()
    return parts


def resolve_path(document: Any, path: str, flat: bool) -> Any:
    """The value at ``path``; flat documents (properties, env) use the whole path as the key.
    Raises ``PathError`` naming the first missing part."""
    if flat:
        if not isinstance(document, dict) or path not in document:
            raise PathError(f"key {quoted(path)} not found")
        return document[path]
    node = document
    walked = ""
    for part in parse_path(path):
        if isinstance(part, tuple):
            key, value = part
            if not isinstance(node, list):
                raise PathError(f"{walked or '<root>'} is not a list")
            found = [item for item in node if isinstance(item, dict) and str(item.get(key)) == value]
            if not found:
                raise PathError(f"no item with {key}={value} in {walked or '<root>'}")
            node = found[0]
            walked += f"[{key}={value}]"
        elif isinstance(part, int):
            if not isinstance(node, list) or not -len(node) <= part < len(node):
                raise PathError(f"{walked or '<root>'} has no item [{part}]")
            node = node[part]
            walked += f"[{part}]"
        else:
            if not isinstance(node, dict) or part not in node:
                where = walked or "<root>"
                raise PathError(f"key {quoted(part)} not found in {where}")
            node = node[part]
            walked += f".{part}" if walked else part
    return node
