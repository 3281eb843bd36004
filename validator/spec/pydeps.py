"""``python``: packages that must be installed, importable and (optionally) declared (T030-T033, T200-T203)."""

from typing import Any, ClassVar

from pydantic import Field, model_validator

from validator.spec.types import Model, ShortForm, Specifier


class Package(ShortForm, Model):
    short_forms: ClassVar[list[dict[str, Any]]] = [{"type": ["string", "number", "null"]}]

    version: Specifier | None = None
    import_name: str | None = Field(
        None, alias="import", description="Module to import (default: the name with - as _)."
    )
    declared: bool | None = Field(None, description="Must be declared in pyproject.toml (default: the section's).")

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        if value is None:
            return {}
        return {"version": value} if isinstance(value, str | int | float) and not isinstance(value, bool) else value


class Python(Model):
    pyproject: str | None = Field(None, description="pyproject.toml where declarations are checked.")
    interpreter: str | None = Field(
        None, description="Python whose packages are checked (default: the one running validator)."
    )
    declared: bool = Field(False, description="Default for each package's 'declared'.")
    check_conflicts: bool = Field(
        False, description="Every installed distribution's requirements are met (like pip check)."
    )
    packages: dict[str, Package] = Field(default_factory=dict)
