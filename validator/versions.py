"""Version specifiers: PEP 440 (``>=3.5,<3.6``) plus Poetry's ``^3.5.0``, ``~3.5`` and ``3.5.*``.

``parse_specifier`` turns any of them into a ``packaging`` ``SpecifierSet``; the version found in a
tool's output is extracted with a regex and compared leniently (``2.40.3-desktop.1`` -> ``2.40.3``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from validator.redact import quoted

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

# ``packaging`` is imported where a specifier or version is read, not at load: every command loads this
# module (lint's rules, the probes), few specs name a version, and its import is a tenth of ``up``'s.

_VERSION_IN_TEXT = re.compile(r"(\d+(?:\.\d+)+)")


def _caret(version: str) -> str:
    parts = [int(p) for p in version.split(".")]
    while len(parts) < 3:
        parts.append(0)
    major, minor, patch = parts[:3]
    if major:
        upper = f"{major + 1}.0.0"
    elif minor:
        upper = f"0.{minor + 1}.0"
    else:
        upper = f"0.0.{patch + 1}"
    return f">={version},<{upper}"


def _tilde(version: str) -> str:
    parts = [int(p) for p in version.split(".")]
    if len(parts) == 1:
        return f">={version},<{parts[0] + 1}.0.0"
    return f">={version},<{parts[0]}.{parts[1] + 1}.0"


def parse_specifier(text: str) -> SpecifierSet:
    """A ``SpecifierSet`` from PEP 440 or Poetry syntax; ``ValueError`` with a clear message otherwise."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    clauses: list[str] = []
    for raw in str(text).split(","):
        clause = raw.strip()
        if not clause:
            continue
        try:
            if clause.startswith("^"):
                clauses.append(_caret(clause[1:].strip()))
            elif clause.startswith("~") and not clause.startswith("~="):
                clauses.append(_tilde(clause[1:].strip()))
            elif clause == "*":
                continue
            elif re.fullmatch(r"\d+(\.\d+)*(\.\*)?", clause):
                clauses.append(f"=={clause}")
            else:
                clauses.append(clause)
        except ValueError:
            raise ValueError(f"invalid version specifier {quoted(text)}") from None
    try:
        return SpecifierSet(",".join(clauses))
    except InvalidSpecifier:
        raise ValueError(
            f"invalid version specifier {quoted(text)}: use PEP 440 ('>=3.5,<3.6') or Poetry ('^3.5.0', '~3.5')"
        ) from None


def parse_version(text: str) -> Version | None:
    """The first dotted version in ``text`` (``Docker Compose version v2.40.3`` -> ``2.40.3``)."""
    from packaging.version import InvalidVersion, Version

    match = _VERSION_IN_TEXT.search(str(text))
    if not match:
        return None
    try:
        return Version(match.group(1))
    except InvalidVersion:
        return None


def satisfies(version: str | Version, specifier: str | SpecifierSet) -> bool:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    spec = specifier if isinstance(specifier, SpecifierSet) else parse_specifier(specifier)
    parsed = version if isinstance(version, Version) else parse_version(version)
    return parsed is not None and spec.contains(parsed, prereleases=True)
