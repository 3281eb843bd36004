"""``config_keys``: read each file in its format and check every key (checklist T020-T025, T110-T121).

A file that is missing, binary, huge or unparsable fails once (with the parser's line); its keys
are then skipped with that reason, not failed again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from validator.compare import MISSING, assert_value, describe
from validator.core.result import Result, locate
from validator.formats import MAX_CONFIG_BYTES, FormatError, infer_format, parse_config_bytes
from validator.paths import PathError, resolve_path
from validator.redact import register
from validator.spec.confine import ConfinementError, host_path, read_bytes, read_regular
from validator.spec.load import LoadedSpec
from validator.spec.secrets import held, marked_names

if TYPE_CHECKING:
    from validator.checks.context import CheckContext

FLAT = ("properties", "env")


def run(ctx: CheckContext) -> Iterator[Result]:
    loaded = ctx.loaded
    for name in loaded.spec.config_keys:
        yield from _one(loaded, name)


def read_config(loaded: LoadedSpec, spelled: str) -> bytes:
    """A ``config_keys`` file's bytes, bounded: a project file confined to the project; only a path
    spelled ``host:/...`` leaves it. Raises ConfinementError or OSError."""
    host = host_path(spelled)
    if host is not None:
        return read_regular(Path(host), MAX_CONFIG_BYTES)
    return read_bytes(loaded.base_dir / spelled, loaded.fence, MAX_CONFIG_BYTES)


def _one(loaded: LoadedSpec, name: str) -> Iterator[Result]:
    config = loaded.spec.config_keys[name]
    fmt = config.format or infer_format(config.path) or "yaml"
    began = time.monotonic()
    where = locate(loaded, ("config_keys", name, "path"))
    try:
        raw = read_config(loaded, config.path)
        document = parse_config_bytes(raw, fmt)
        # registered as the file is read, before any assertion can show a value found in it: a password
        # a config file holds is a secret like one in the spec, and so is a list or mapping under one
        register(held(document, frozenset(marked_names(loaded.doc.data))))
        problem = None
    except ConfinementError as exc:
        problem = f"{config.path} {exc.reason}"
    except FileNotFoundError:
        problem = f"{config.path} does not exist"
    except IsADirectoryError:
        problem = f"{config.path} is a directory"
    except PermissionError:
        problem = f"{config.path} cannot be read (permission denied)"
    except FormatError as exc:
        problem = f"{config.path} is not valid {fmt}: {exc}"
    except OSError as exc:
        problem = f"{config.path} cannot be read: {exc.strerror or exc}"
    yield Result(
        kind="config",
        name=f"{name}: {config.path}",
        verdict="fail" if problem else "pass",
        expected=f"readable {fmt} file",
        actual="unreadable" if problem else f"{len(document) if isinstance(document, dict) else 1} top-level key(s)",
        message=problem or "",
        duration=time.monotonic() - began,
        location=where,
    )
    for key, assertion in config.keys.items():
        key_where = locate(loaded, ("config_keys", name, "keys", key))
        if problem:
            yield Result(
                kind="config",
                name=f"{name}: {key}",
                verdict="skip",
                expected=describe(assertion),
                message=f"not checked: {problem}",
                location=key_where,
            )
            continue
        try:
            value = resolve_path(document, key, flat=fmt in FLAT)
            missing_why = ""
        except PathError as exc:
            value, missing_why = MISSING, str(exc)
        except ValueError as exc:
            yield Result(
                kind="config",
                name=f"{name}: {key}",
                verdict="error",
                expected=describe(assertion),
                message=str(exc),
                location=key_where,
            )
            continue
        ok, shown = assert_value(value, assertion)
        message = "" if ok else (missing_why or assertion.message or "")
        if not ok and assertion.message and missing_why:
            message = f"{missing_why}; {assertion.message}"
        yield Result(
            kind="config",
            name=f"{name}: {key}",
            verdict="pass" if ok else "fail",
            expected=describe(assertion),
            actual=shown,
            message=message,
            location=key_where,
        )
