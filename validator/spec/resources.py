"""Compose's top-level resources: ``networks``, ``volumes``, ``secrets`` and ``configs``.

Field names, shapes and meaning follow the Compose Specification, including ``x-`` keys inside an
entry, the deprecated ``external: {name: ...}`` form, and numeric ``driver_opts`` values (Compose
turns them into text, as the engine takes them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema, model_validator

from validator.spec.confine import ConfinementError, expand, read_ends
from validator.spec.types import ExtensibleModel, Labels, TextMap


class _External(ExtensibleModel):
    """Shared by all four: ``external: true`` or the deprecated ``external: {name: X}``."""

    external: bool = False
    name: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _external_name(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("external"), dict):
            named = value["external"]
            extra = set(named) - {"name"}
            if extra:
                raise ValueError(f"external takes true/false or {{name: ...}}, not {sorted(extra)}")
            out = {**value, "external": True}
            if named.get("name") is not None:
                if value.get("name") not in (None, named["name"]):
                    raise ValueError("external.name and name differ: keep one")
                out["name"] = named["name"]
            return out
        return value


_EXTERNAL_SCHEMA = {"anyOf": [{"type": "boolean"}, {"type": "object", "properties": {"name": {"type": "string"}}}]}


class IpamPool(ExtensibleModel):
    subnet: str | None = None
    ip_range: str | None = None
    gateway: str | None = None
    aux_addresses: dict[str, str] = Field(default_factory=dict)


class Ipam(ExtensibleModel):
    driver: str | None = None
    config: list[IpamPool] = Field(default_factory=list)
    options: TextMap = Field(default_factory=dict)


class NetworkSpec(_External):
    driver: str | None = None
    driver_opts: TextMap = Field(default_factory=dict)
    labels: Labels = Field(default_factory=dict)
    external: Annotated[bool, WithJsonSchema(_EXTERNAL_SCHEMA)] = False
    internal: bool = False
    attachable: bool = False
    enable_ipv4: bool | None = None
    enable_ipv6: bool = False
    ipam: Ipam | None = None


class VolumeSpec(_External):
    driver: str | None = None
    driver_opts: TextMap = Field(default_factory=dict)
    labels: Labels = Field(default_factory=dict)
    external: Annotated[bool, WithJsonSchema(_EXTERNAL_SCHEMA)] = False


class SecretSpec(_External):
    """A secret given to services: from a ``file``, an ``environment`` variable, or ``external``."""

    file: str | None = None
    environment: str | None = None
    labels: Labels = Field(default_factory=dict)
    driver: str | None = None
    driver_opts: TextMap = Field(default_factory=dict)
    template_driver: str | None = None
    external: Annotated[bool, WithJsonSchema(_EXTERNAL_SCHEMA)] = False

    @model_validator(mode="after")
    def _one_source(self) -> SecretSpec:
        _one_of(self, ("file", "environment"))
        return self


class ConfigSpec(_External):
    """A config given to services: from a ``file``, inline ``content``, an ``environment`` variable."""

    file: str | None = None
    content: str | None = None
    environment: str | None = None
    labels: Labels = Field(default_factory=dict)
    template_driver: str | None = None
    external: Annotated[bool, WithJsonSchema(_EXTERNAL_SCHEMA)] = False

    @model_validator(mode="after")
    def _one_source(self) -> ConfigSpec:
        _one_of(self, ("file", "content", "environment"))
        return self


def _one_of(entry: SecretSpec | ConfigSpec, sources: tuple[str, ...]) -> None:
    given = [name for name in sources if getattr(entry, name) is not None]
    if entry.external:
        given.append("external")
    if len(given) > 1:
        raise ValueError(f"give one of {', '.join((*sources, 'external'))}, not {' and '.join(given)}")
    if not given:
        raise ValueError(f"needs one of {', '.join((*sources, 'external'))}")


MAX_SECRET_FILE = 64 * 1024


def file_secrets(path: Path, root: Path) -> list[str]:
    """What a secret file registers: its content whole and line by line, when it holds at most
    ``MAX_SECRET_FILE`` bytes; a bigger one (a certificate bundle, a padded credentials file) is mounted
    all the same, so the lines of its first and last ``MAX_SECRET_FILE / 2`` bytes are registered (the
    lines a program prints of a file are its first or last ones; adversary s9 case 03: a file over
    the bound registered nothing). ConfinementError or OSError when it cannot be read."""
    head, tail = read_ends(path, root, MAX_SECRET_FILE)
    found = [head.decode("utf-8", errors="replace").strip()] if not tail else []
    for part in (head, tail):
        for line in part.decode("utf-8", errors="replace").splitlines():
            if line.strip():
                found.extend([line.strip(), *_assigned(line)])
    return found


_ASSIGNMENT = re.compile(r"\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=(.*)")


def _assigned(line: str) -> list[str]:
    """The value of a ``NAME=value`` line, bare and unquoted: an env-format secret file is sourced by the
    entrypoint, which then prints the value alone ("login as app with <value> failed"), and a short one
    is no PIECE of its whole line (adversary s9b case 08). Every value of a secret file is secret, not
    only those under a secret-looking name."""
    match = _ASSIGNMENT.fullmatch(line)
    if match is None:
        return []
    value = match.group(1).strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return [value] if value else []


def secret_file_values(secrets: dict[str, SecretSpec], base_dir: Path, root: Path | None = None) -> set[str]:
    """The contents of file-based secrets (``file_secrets``), for the redactor: a container that
    prints its secret must not carry it into output, reports or history. Unreadable files add
    nothing (plan/up report those when they mount them); a file outside the project ``root`` is not read
    (lint reports it)."""

    found: set[str] = set()
    for entry in secrets.values():
        if entry.file is None:
            continue
        try:
            found.update(file_secrets(base_dir / expand(entry.file), root or base_dir))
        except (ConfinementError, OSError, ValueError):  # ValueError: a NUL in the name
            continue
    return found


def secret_env_values(secrets: Mapping[str, SecretSpec | ConfigSpec], environment: Mapping[str, str]) -> set[str]:
    """The values of secrets -- and of configs -- given by an ``environment`` variable, for the redactor
    (as file contents). A config taken from the host environment is a host variable copied into the
    container exactly as a pass-through variable is (``APP_API_TOKEN``): it is registered the same way."""
    return {environment[e.environment] for e in secrets.values() if e.environment and environment.get(e.environment)}
