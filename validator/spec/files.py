"""``config_keys``: keys that configuration files must hold (checklist T020-T025, T110-T115, T120-T121)."""

import re
from typing import Any, ClassVar

from pydantic import Field, model_validator

from validator.formats import Format
from validator.redact import quoted
from validator.spec.types import Model, ShortForm, Specifier

OPERATORS = ("equals", "regex", "contains", "version", "exists", "one_of")


class KeyAssertion(ShortForm, Model):
    """Exactly one operator; a bare value means ``equals``."""

    short_forms: ClassVar[list[dict[str, Any]]] = [{"type": ["string", "number", "boolean", "array", "null"]}]

    equals: Any = None
    regex: str | None = None
    contains: Any = None
    version: Specifier | None = None
    exists: bool | None = None
    one_of: list[Any] | None = None
    message: str | None = Field(None, description="Shown when the assertion fails (how to fix it).")

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        if isinstance(value, dict) and (set(value) & set(OPERATORS)):
            return value
        if isinstance(value, dict) and value:
            raise ValueError(
                f"unknown assertion key(s) {', '.join(map(repr, value))}: use one of {', '.join(OPERATORS)}"
            )
        return {"equals": value}

    @model_validator(mode="after")
    def _one(self) -> "KeyAssertion":
        given = [op for op in OPERATORS if op in self.model_fields_set]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(OPERATORS)} (got {', '.join(given) or 'none'})")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"invalid regex {quoted(self.regex)}: {exc}") from None
        return self

    @property
    def operator(self) -> str:
        return next(op for op in OPERATORS if op in self.model_fields_set)

    @property
    def expected(self) -> Any:
        return getattr(self, self.operator)


class ConfigFile(Model):
    path: str = Field(
        description="Relative to the spec file's directory, inside the project; host:/absolute/path for a file of "
        "the machine (read by check, never by lint)."
    )
    format: Format | None = Field(None, description="Inferred from the extension when omitted.")
    description: str | None = None
    keys: dict[str, KeyAssertion] = Field(
        description='Dotted paths (a.b[0].c; quote segments holding dots: a."b.c"); flat formats use the whole key.'
    )
