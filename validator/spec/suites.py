"""``suites``: test suites to run, and the groups whose counts criteria judge."""

import re
from typing import Literal

from pydantic import Field, field_validator

from validator.redact import quoted
from validator.spec.service import Environment
from validator.spec.types import Command, Duration, Model, Name


class Group(Model):
    """A test belongs to the group when any selector matches it."""

    paths: list[str] = Field(
        default_factory=list, description="Node-id path prefixes or globs (tests/delta/, tests/**/test_x.py)."
    )
    pattern: str | None = Field(None, description="Regex searched in the node id.")
    markers: list[str] = Field(default_factory=list, description="pytest markers (needs the pytest runner).")

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regex {quoted(value)}: {exc}") from None
        return value


class Suite(Model):
    command: Command
    runner: Literal["pytest", "junit"] | None = Field(
        None,
        description="pytest (default when the command runs pytest) or junit (the command writes junit).",
    )
    junit: str | None = Field(None, description="JUnit XML file the command writes (runner: junit).")
    coverage: str | None = Field(
        None,
        description="coverage.py JSON report the command writes (coverage json, pytest --cov-report=json:PATH), "
        "relative to working_dir: suite.NAME.coverage and group.NAME.coverage (groups with paths) are read from it.",
    )
    working_dir: str = "."
    environment: Environment = Field(default_factory=dict)
    timeout: Duration = 1800.0
    groups: dict[Name, Group] = Field(default_factory=dict)

    @property
    def kind(self) -> str:
        if self.runner:
            return self.runner
        names = [part.rsplit("/", 1)[-1] for part in self.command[:3]]
        return "pytest" if any(name in ("pytest", "py.test") for name in names) else "junit"
