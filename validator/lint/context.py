"""What a lint rule sees: the validated spec, the document (for locations) and the spec's folder."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from validator.spec.loader import Document
from validator.spec.location import Finding
from validator.spec.location import Path as DocPath
from validator.spec.model import Spec


@dataclass
class LintContext:
    spec: Spec
    doc: Document
    base_dir: Path
    rule: str = ""
    # the project (``validator.spec.confine.project_root``): no file the spec names is read outside it
    root: Path | None = None
    # the variables the spec was interpolated with (process environment over ``.env``)
    environment: Mapping[str, str] = field(default_factory=dict, repr=False)
    # `validator lint` itself, not a command loading the spec to run it: rules about conditions of the
    # run (files that must exist) report only then; the commands check those for what they run
    linting: bool = False

    @property
    def fence(self) -> Path:
        return self.root or self.base_dir

    def error(self, path: DocPath, message: str, key: bool = False) -> Finding:
        return self.doc.finding(path, message, key=key, rule=self.rule)

    def member(self, path: DocPath, name: str) -> DocPath:
        """Path to ``name`` under ``path``, as written: the list index when the user wrote a list."""
        node: object = self.doc.data
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, list) and name in node:
            return (*path, node.index(name))
        return (*path, name)

    def warning(self, path: DocPath, message: str, key: bool = False) -> Finding:
        return self.doc.finding(path, message, key=key, rule=self.rule, severity="warning")


class Rule(Protocol):
    """A lint rule: a module with ``check(ctx)`` (registered in ``registry.RULES``)."""

    def check(self, ctx: LintContext, /) -> Iterable[Finding]: ...
