"""Sections of the spec that were renamed because Compose gives their old name another meaning.

The old spelling is a located error naming the new one, never a silent reinterpretation: a team's
``configs:`` of key assertions must not turn into Compose's ``configs:`` (files given to services).
"""

from __future__ import annotations

from typing import Any

from validator.spec.loader import Document
from validator.spec.location import Finding

# Keys that only the spec's config-key assertions use; Compose's configs entries have file, content,
# environment, external, name, template_driver and x- keys, so these tell the two apart.
_ASSERTION_KEYS = ("keys", "path", "format")


def old_spellings(doc: Document) -> tuple[Any, list[Finding]]:
    """The data without renamed sections written the old way, and one finding per such entry."""
    data = doc.data
    configs = data.get("configs") if isinstance(data, dict) else None
    if not isinstance(configs, dict):
        return data, []
    old = [
        name
        for name, entry in configs.items()
        if isinstance(entry, dict) and any(key in entry for key in _ASSERTION_KEYS)
    ]
    if not old:
        return data, []
    findings = [
        doc.finding(
            ("configs", name),
            "config-key assertions moved from 'configs' to 'config_keys' (top-level 'configs' is Compose's: "
            "files given to services)",
            key=True,
        )
        for name in old
    ]
    kept = {name: entry for name, entry in configs.items() if name not in old}
    cleaned = {key: value for key, value in data.items() if key != "configs"}
    if kept:
        cleaned["configs"] = kept
    return cleaned, findings
