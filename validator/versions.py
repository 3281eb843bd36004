"""Version specifiers: PEP 440 (``>=3.5,<3.6``) plus Poetry's ``^3.5.0``, ``~3.5`` and ``3.5.*``.

``parse_specifier`` turns any of them into a ``packaging`` ``SpecifierSet``. A version is read whole
when it is a PEP 440 version (package metadata: ``2.0.0rc1`` stays a release candidate, below
``2.0.0``); from a tool's or a server's output, the dotted number is read with what PEP 440 orders
(a pre-release, development or post-release suffix: ``2.0.0-rc1``, ``1.2.3-SNAPSHOT``) and without
what it cannot (a vendor or build tag: ``2.40.3-desktop.1`` -> ``2.40.3``, ``10.11.6-MariaDB`` ->
``10.11.6``). A suffix is never dropped where it changes the order: a pre-release read as its release
would pass a minimum it is below.
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
# What follows the digits and orders the version: a word of this table (pre-, development and
# post-release spellings of PEP 440, Maven, JDK, Rust and npm channels) after an optional separator,
# then an optional number. After Debian's ``~`` any word orders the version before its release.
# Anything else after the digits (``-desktop.1``, ``-MariaDB``, ``+dfsg1``) is a tag and is dropped.
_SUFFIX = re.compile(r"(?P<sep>[-_.~]?)(?P<word>[a-z]+)[-_.]?(?P<num>\d*)(?![a-z])", re.IGNORECASE)
_ORDER = {
    **dict.fromkeys(("a", "alpha", "ea", "m", "milestone"), "a"),  # early access, a Maven milestone: alphas
    **dict.fromkeys(("b", "beta"), "b"),
    **dict.fromkeys(("c", "rc", "cr", "pre", "preview"), "rc"),
    **dict.fromkeys(("dev", "snapshot", "nightly", "canary", "unstable", "insider"), ".dev"),
    **dict.fromkeys(("post", "rev", "r"), ".post"),
}


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
    """The first dotted version in ``text`` (``Docker Compose version v2.40.3`` -> ``2.40.3``), with
    the suffix that orders it (``2.0.0-rc1`` -> ``2.0.0rc1``); see the module."""
    match = _VERSION_IN_TEXT.search(str(text))
    return None if match is None else _read_at(str(text), match)


def versions_in_line(text: str) -> list[Version]:
    """The distinct versions on the first line of ``text`` that holds one, in order: more than one
    there (``mysql  Ver 15.1 Distrib 10.11.6-MariaDB``) means the output does not say which is the tool's."""
    for line in str(text).splitlines():
        found: list[Version] = []
        for match in _VERSION_IN_TEXT.finditer(line):
            version = _read_at(line, match)
            if version is not None and version not in found:
                found.append(version)
        if found:
            return found
    return []


def _read_at(text: str, match: re.Match[str]) -> Version | None:
    from packaging.version import InvalidVersion, Version

    candidates = [match.group(1)]
    suffix = _SUFFIX.match(text, match.end())
    if suffix is not None:
        word = suffix.group("word").lower()
        order = _ORDER.get(word) or (".dev" if suffix.group("sep") == "~" else None)
        if order is not None:
            candidates.insert(0, f"{match.group(1)}{order}{suffix.group('num') or '0'}")
    for candidate in candidates:
        try:
            return Version(candidate)
        except InvalidVersion:
            continue
    return None


def exact_version(text: str) -> Version | None:
    """``text`` read whole as a PEP 440 version (package metadata), or None."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(str(text).strip())
    except InvalidVersion:
        return None


def satisfies(version: str | Version, specifier: str | SpecifierSet) -> bool:
    """Whether ``version`` is within ``specifier``: a PEP 440 string is read whole, any other text as
    ``parse_version`` reads it; pre-releases are admitted only by their PEP 440 order."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    spec = specifier if isinstance(specifier, SpecifierSet) else parse_specifier(specifier)
    if isinstance(version, Version):
        parsed: Version | None = version
    else:
        parsed = exact_version(version) or parse_version(version)
    return parsed is not None and spec.contains(parsed, prereleases=True)
