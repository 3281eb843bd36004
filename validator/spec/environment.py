"""A service's container environment, computed as Compose computes it.

Checked against compose-go's ``WithServicesEnvironmentResolved`` and against ``docker compose config``
and ``up`` (tests/unit/test_service_environment.py, tests/integration/test_compose_environment.py):

- ``environment``: a pass-through ``NAME`` takes the project's variable (the process environment over
  ``.env``). One set nowhere stays a bare ``NAME`` (value None), which the engine reads as "remove
  NAME": the image's own value goes too, as with ``docker compose up``.
- ``env_file`` entries are read in order, a later file over an earlier one; a missing file is an
  error unless ``required: false``. Inside them ``${VAR}`` and a key written alone look up the
  project's variables first, then the service's ``environment``, then the values read so far (so a
  file's own ``A=1`` loses to the project's ``A`` when a later line says ``${A}``: Compose's order).
- ``format: raw`` reads a file as ``docker run --env-file`` does: ``KEY=VALUE`` taken as written (no
  quotes, escapes or interpolation), leading blanks, blank lines and ``#`` lines skipped; a key with a
  blank in it or no key is an error.
- ``environment`` wins over every env file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from validator.spec.confine import ConfinementError, expand, read_host_text, read_text
from validator.spec.dotenv import DotenvError, parse_dotenv
from validator.spec.service import EnvFile, Service

MAX_ENV_FILE = 1024 * 1024
_KEY_BLANKS = " \t"  # what Docker's env-file reader refuses inside a key


class EnvFileError(ValueError):
    """An env file Compose would refuse; the message names the file as written, never its content."""

    def __init__(self, spelled: str, reason: str, line: int | None = None, col: int | None = None) -> None:
        self.spelled, self.reason, self.line, self.col = spelled, reason, line, col
        where = ":".join(str(part) for part in (spelled, line, col) if part)
        super().__init__(f"env_file {where}: {reason}")


def service_environment(
    svc: Service, base: Path, project_env: Mapping[str, str], fence: Path | None = None
) -> dict[str, str | None]:
    """The container's variables, sorted; None marks a bare name (unset: removed in the container)."""
    return environment_with_sources(svc, base, project_env, fence)[0]


def environment_with_sources(
    svc: Service, base: Path, project_env: Mapping[str, str], fence: Path | None = None
) -> tuple[dict[str, str | None], set[str]]:
    """``service_environment``, and the names an ``env_file`` set (their values may be secrets)."""
    own = {key: project_env.get(key) if value is None else value for key, value in svc.environment.items()}
    merged: dict[str, str | None] = {}
    read: dict[str, str] = {}
    first = {**{k: v for k, v in own.items() if v is not None}, **project_env}
    for item in svc.env_file:
        read.update(read_env_file(item, base, first, read, fence))
    merged.update(read)
    merged.update(own)
    return dict(sorted(merged.items())), set(read)


def read_env_file(
    item: EnvFile, base: Path, first: Mapping[str, str], so_far: Mapping[str, str], fence: Path | None = None
) -> dict[str, str]:
    """One ``env_file`` entry's variables; ``{}`` for a missing optional one; ``EnvFileError`` else.
    With ``fence`` (the project), a file outside it is refused and not read."""

    path = base / expand(item.path)
    if not path.exists():
        if item.required:
            raise EnvFileError(spelled=item.path, reason=f"does not exist ({path})")
        return {}
    try:
        # bounded, regular files only (a FIFO would hang): never exit 4
        text = read_text(path, fence, MAX_ENV_FILE) if fence else read_host_text(path, MAX_ENV_FILE)
        if item.format == "raw":
            return parse_raw(text, first, item.path)
        return parse_dotenv(text, first, environ_wins=False, fallback=so_far)
    except ConfinementError as exc:
        raise EnvFileError(spelled=item.path, reason=exc.reason, line=exc.line, col=exc.col) from None
    except DotenvError as exc:  # its message never quotes the file (validator.spec.problems)
        raise EnvFileError(spelled=item.path, reason=str(exc), line=exc.line, col=exc.col) from None
    except OSError as exc:
        raise EnvFileError(spelled=item.path, reason=f"cannot be read: {exc.strerror or exc}") from None


def parse_raw(text: str, environ: Mapping[str, str], spelled: str = "") -> dict[str, str]:
    """``docker run --env-file``'s reading of ``text``; a key alone takes ``environ``'s value (or is left out)."""
    out: dict[str, str] = {}
    # lines end at "\n" only (a trailing "\r" dropped), as Go's line scanner reads them
    for number, raw_line in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw_line.removesuffix("\r").lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if any(blank in key for blank in _KEY_BLANKS):
            raise EnvFileError(spelled=spelled, reason="a variable name cannot hold a space or a tab", line=number)
        if not key:
            raise EnvFileError(spelled=spelled, reason="a line without a variable name before '='", line=number)
        if sep:
            out[key] = value
        elif key in environ:
            out[key] = environ[key]
    return out


@dataclass(frozen=True, kw_only=True)
class MissingFile:
    """An env or label file a service names that does not exist: Compose refuses the project."""

    where: tuple[str | int, ...]  # under the service: ("env_file", 0)
    message: str


def missing_files(svc: Service, base: Path) -> list[MissingFile]:
    """The service's required env files and its label files that do not exist (only stat, no read)."""

    out = []
    for index, item in enumerate(svc.env_file):
        if item.required and not os.path.exists(base / expand(item.path)):
            message = f"env_file {item.path} does not exist: Compose refuses a missing env file unless the entry says "
            out.append(MissingFile(where=("env_file", index), message=message + "required: false"))
    for index, spelled in enumerate(svc.label_file):
        if not os.path.exists(base / expand(spelled)):
            message = f"label_file {spelled} does not exist: Compose refuses a missing label file"
            out.append(MissingFile(where=("label_file", index), message=message))
    return out
