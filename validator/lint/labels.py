"""User labels that would carry a secret: warned, since a label is readable by anyone who may list
containers, networks or volumes (``docker inspect``, monitoring exporters), and Compose, like validator,
puts a user's label on the object exactly as written.

A label is flagged when its value came in through ``${VAR}`` (every such value counts as a secret), its
key is named like one (``db_password``), or its value holds a value registered as a secret elsewhere in
the spec. Only validator's own labels are promised to hold hashes (``engine/labels.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from validator.lint.context import LintContext
from validator.redact import is_secret_name
from validator.spec.location import Finding
from validator.spec.location import Path as DocPath
from validator.spec.secrets import collect

_OWNERS = ("services", "networks", "volumes", "secrets", "configs")
_WHY = "labels are readable by anyone who can list the object (docker inspect, monitoring) and are set as written"


def check(ctx: LintContext) -> Iterator[Finding]:
    data = ctx.doc.data
    # this spec's own secrets (not the process-wide registry, which may hold another spec's)
    secrets = sorted(collect(data, ctx.doc.interpolated, ctx.environment, ctx.base_dir, ctx.fence))
    for section in _OWNERS:
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        for name, entry in entries.items():
            if not isinstance(entry, dict):
                continue
            for where in (("labels",), ("deploy", "labels"), ("build", "labels")):
                labels = _at(entry, where)
                yield from _flagged(ctx, (section, name, *where), labels, secrets)


def _at(entry: Mapping[str, Any], where: tuple[str, ...]) -> Any:
    node: Any = entry
    for part in where:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _items(labels: Any) -> Iterator[tuple[Any, str, Any]]:
    """(path part, key, value) of each label, in the map form or the ``KEY=value`` list form."""
    if isinstance(labels, dict):
        yield from ((key, str(key), value) for key, value in labels.items())
    elif isinstance(labels, list):
        for index, item in enumerate(labels):
            if isinstance(item, str):
                key, _, value = item.partition("=")
                yield index, key, value


def _flagged(ctx: LintContext, path: DocPath, labels: Any, secrets: list[str]) -> Iterator[Finding]:
    for part, key, value in _items(labels):
        where = (*path, part)
        if where in ctx.doc.interpolated:
            reason = "its value comes from ${...} (a possible secret)"
        elif is_secret_name(key):
            reason = "its name says it holds a secret"
        elif isinstance(value, str) and any(secret in value for secret in secrets):
            reason = "its value holds a secret of this spec"
        else:
            continue
        yield ctx.warning(where, f"label {key}: {reason}; {_WHY}: pass it as environment or a secret instead")
