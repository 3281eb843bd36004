"""The top level as Compose reads it: the project's name, and Compose's obsolete ``version``.

The name, highest first: the spec's own ``project:``; ``COMPOSE_PROJECT_NAME`` (process environment,
then ``.env``); Compose's top-level ``name:``; the name of the folder that holds the first spec
file. This is Compose's order (``-p`` aside) with ``project:`` above it, so that a spec that says
its project keeps it, and a compose file finds the very containers ``docker compose up`` labelled.
Compose normalises ``name:`` and the folder name (lowercase, only ``[a-z0-9_-]``, no leading ``_``
or ``-``) but refuses an invalid ``COMPOSE_PROJECT_NAME``; so do we. Unlike Compose, a ``name:`` built
from ``${VAR}`` is refused (``_FROM_VARIABLE`` says why); ``COMPOSE_PROJECT_NAME`` names a stack per
tenant or branch instead.

``version: 1`` (or ``"1"``) is the spec's version. Any other string is Compose's ``version``, which
Compose ignores with a warning ("the attribute `version` is obsolete"); so do we, as a warning that
does not fail lint. A number other than 1 is neither (Compose requires a string): an error.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path as FsPath

import yaml

from validator.redact import quoted
from validator.spec.confine import project_root, read_text
from validator.spec.loader import MAX_BYTES, Document
from validator.spec.location import Finding

ENV_NAME = "COMPOSE_PROJECT_NAME"
_VALID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def normalise(name: str) -> str:
    """Compose's normalisation of a project name taken from ``name:`` or a folder."""
    kept = "".join(c for c in name.lower() if c in "abcdefghijklmnopqrstuvwxyz0123456789_-")
    return kept.lstrip("_-")


def is_compose_version(value: object) -> bool:
    """Compose's ``version`` (any string but "1"), as opposed to the spec's own ``1``."""
    return isinstance(value, str) and value.strip() != "1"


def obsolete_version(doc: Document) -> Finding:
    return doc.finding(
        ("version",),
        "the attribute `version` is obsolete in Compose and ignored (this spec's own version is 1)",
        key=True,
        rule="compose",
        severity="warning",
    )


def compose_top_level(doc: Document, env: Mapping[str, str], project_dir: FsPath) -> tuple[Document, list[Finding]]:
    """A document whose data holds the resolved ``project`` and no Compose ``version``; its findings."""
    data = dict(doc.data)
    findings: list[Finding] = []
    if is_compose_version(data.get("version")):
        findings.append(obsolete_version(doc))
        del data["version"]
    if "project" not in data:
        project, problem = _derived_name(data.get("name"), env, project_dir)
        if project and not env.get(ENV_NAME) and ("name",) in doc.interpolated:
            problem = _FROM_VARIABLE
        if problem:
            findings.append(doc.finding(("name",) if "name" in data else (), problem, rule="compose"))
            # The error already fails the load; a stand-in name lets every other section be checked in this pass.
            project = "unnamed"
        if project:
            data["project"] = project
    elif (
        isinstance(data.get("name"), str)
        and isinstance(data["project"], str)
        and normalise(data["name"]) != data["project"]
    ):
        findings.append(
            doc.finding(
                ("name",),
                f"name {quoted(data['name'])} contradicts project {quoted(data['project'])}: keep one of them",
                rule="compose",
            )
        )
    if data == doc.data:
        return doc, findings
    return (
        dataclasses.replace(doc, data=data),
        findings,
    )


# Every value a ``${VAR}`` brings in is a secret, masked wherever it is printed; a project's name cannot
# be: it is written, lowercased, into the name of every container, network and volume, into their labels
# and into the run history, where nothing can hide it. So a name is never taken from a variable.
_FROM_VARIABLE = (
    "comes from ${...}: a project name is written on every container, network and volume and into "
    "the history, where it cannot be hidden, and every value a variable brings in is treated as a secret: "
    f"set {ENV_NAME} (read before name:, as Compose does) or write the name"
)


def _derived_name(name: object, env: Mapping[str, str], project_dir: FsPath) -> tuple[str, str]:
    """(project, "") or ("", why none could be derived)."""
    from_env = env.get(ENV_NAME, "")
    if from_env:
        if not _VALID.match(from_env):
            return "", (
                f"{ENV_NAME} {quoted(from_env)} is not a valid project name: "
                "use lowercase letters, digits, '-' and '_', "
                "starting with a letter or digit"
            )
        return from_env, ""
    if isinstance(name, str) and name:
        found = normalise(name)
        return (found, "") if found else ("", f"name {quoted(name)} holds no letter or digit to name the project")
    if name is not None:
        return "", ""  # not a string: the schema says so
    found = normalise(project_dir.name)
    if not found:
        return "", f"cannot name the project after folder {quoted(project_dir.name)}: set name: or project:"
    return found, ""


def project_hint(first_file: str, environ: Mapping[str, str]) -> str | None:
    """The project's name as ``compose_top_level`` will most likely derive it, read before the spec is
    loaded (no interpolation, no ``.env``, no overlay, no validation), or None. Only a guess: what is
    taken ahead under it (engine/ahead.py) is used only when the loaded spec's project is the same."""
    try:
        # read as the loader reads it: inside the project only, a FIFO or a device refused unopened, bounded
        text = read_text(FsPath(first_file), project_root(FsPath(first_file)), MAX_BYTES)
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except Exception:  # noqa: BLE001 - no guess: the loader reads the file again and says what is wrong
        return None
    if not isinstance(data, dict):
        return None
    if "project" in data:
        return data["project"] if isinstance(data["project"], str) and _VALID.match(data["project"]) else None
    name = data.get("name")
    if name is not None and not (isinstance(name, str) and "$" not in name):
        return None
    # the folder as the loader takes it (load.py: the first file's parent, resolved), not the link's target's
    project, problem = _derived_name(name, environ, FsPath(first_file).parent.resolve())
    return project if project and not problem else None
