"""``host``: what the machine must offer before anything starts (checklist T003-T005)."""

import shlex
from typing import Any

from pydantic import Field, model_validator

from validator.spec.types import ByteSize, Command, Cpus, Model, PortNumber, ShortForm, Specifier


class Tool(ShortForm, Model):
    """A command-line tool whose version must satisfy a specifier.

    ``command`` prints the version; the first dotted number in its output is compared. When it
    fails to run, each of ``alternatives`` is tried in turn (``docker compose`` vs ``docker-compose``).
    """

    command: Command
    alternatives: list[Command] = Field(default_factory=list)
    version: Specifier
    pattern: str | None = Field(
        None, description="Regex whose first group is the version (default: first dotted number)."
    )

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return value if not isinstance(value, str) else {"version": value}


class Engine(Model):
    """The Docker engine: reachable, and its server version / API version."""

    version: Specifier | None = None
    api_version: Specifier | None = None


class Host(Model):
    memory: ByteSize | None = Field(None, description="Minimum available memory (psutil's 'available').")
    cpus: Cpus | None = Field(None, description="Minimum logical CPUs.")
    disk: ByteSize | None = Field(None, description="Minimum free disk space at disk_path.")
    disk_path: str = "."
    ports: list[PortNumber] = Field(
        default_factory=list, description="Host ports that must be free (or held by this project)."
    )
    engine: Engine | None = None
    tools: dict[str, Tool] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _tool_defaults(cls, data: Any) -> Any:
        """A tool given only as a specifier runs ``NAME --version``."""
        if isinstance(data, dict) and isinstance(data.get("tools"), dict):
            tools = {}
            for name, tool in data["tools"].items():
                if isinstance(tool, str | int | float) and not isinstance(tool, bool):
                    tool = {"command": [*shlex.split(str(name)), "--version"], "version": str(tool)}
                tools[name] = tool
            data = {**data, "tools": tools}
        return data
