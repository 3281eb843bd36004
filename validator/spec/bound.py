"""Findings kept to a size a person can read, whatever the spec.

YAML aliases multiply one mistake: a 3 KB spec whose anchors nest two lists of 60 gave 420 KB of
findings, and larger ones gave 50 MB. So: each message is masked, then clipped (never cut first,
a cut secret leaks its prefix); the same message (list indexes aside) is shown ``PER_MESSAGE``
times, then once more as a count; and no more than ``TOTAL`` findings are listed in all.
"""

from __future__ import annotations

import dataclasses
import re

from validator.redact import clip
from validator.redact import text as mask
from validator.spec.location import Finding

MESSAGE_CHARS = 400
PER_MESSAGE = 10
TOTAL = 500
_INDEX = re.compile(r"\[\d+\]")


def bound(findings: list[Finding]) -> list[Finding]:
    """``findings`` (in their order) masked, clipped, with repeats and the total capped."""

    seen: dict[tuple[str, str], int] = {}
    kept: list[Finding] = []
    # summaries of an earlier pass stay last, after the findings they speak of
    findings = [f for f in findings if f.rule != "bound"] + [f for f in findings if f.rule == "bound"]
    for finding in findings:
        message = clip(mask(finding.message), MESSAGE_CHARS)
        if message != finding.message:
            finding = dataclasses.replace(finding, message=message)
        key = (finding.severity, _INDEX.sub("[]", message))
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= PER_MESSAGE:
            kept.append(finding)
    extra = sorted((count - PER_MESSAGE, key) for key, count in seen.items() if count > PER_MESSAGE)
    for count, (severity, message) in extra:
        summary = f"... and {count} more finding(s) like this one (not listed): {clip(message, 120)}"
        kept.append(
            Finding(location=None, path=(), message=summary, severity=severity, rule="bound", file=findings[0].file)  # type: ignore[arg-type]
        )
    if len(kept) > TOTAL:
        hidden = kept[TOTAL:]
        severity = "error" if any(f.severity == "error" for f in hidden) else "warning"
        kept = kept[:TOTAL]
        summary = f"... and {len(hidden)} more finding(s) (not listed)"
        kept.append(
            Finding(location=None, path=(), message=summary, severity=severity, rule="bound", file=kept[0].file)  # type: ignore[arg-type]
        )
    return kept
