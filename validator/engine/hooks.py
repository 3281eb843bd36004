"""Compose's lifecycle hooks: ``post_start`` runs in a container right after it starts, ``pre_stop`` right
before it is stopped, each command by exec in turn (``user``, ``privileged``, ``working_dir``,
``environment``), as Compose runs them.

A ``post_start`` hook that exits non-zero fails the service with its exit status and its last output
lines (Compose fails ``up`` the same way: "hook exited with status 127"). A failing ``pre_stop`` hook
does not keep the container running: it is stopped and removed as asked, and the command then fails
naming the hook (Compose 2.40's ``down`` stops at the failing hook, exit 1, and leaves that container
running). Each hook is bounded in time: one that outlives its bound counts as failed (it may run on
inside).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine

PRE_STOP_TIMEOUT = 30.0  # seconds per pre_stop hook: a stop must not wait on a hook that hangs
OUTPUT_LINES = 10


def canonical(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Hooks as the desired state holds them (in the config, so a change recreates the container):
    ``command`` as a list (a string is split as a shell would, as Compose splits it), ``environment``
    as a map; unset keys left out."""
    out = []
    for entry in entries:
        command = entry.get("command")
        hook: dict[str, Any] = {"command": shlex.split(command) if isinstance(command, str) else list(command or [])}
        for key in ("user", "working_dir"):
            if entry.get(key) is not None:
                hook[key] = str(entry[key])
        if entry.get("privileged"):
            hook["privileged"] = True
        environment = _environment(entry.get("environment"))
        if environment:
            hook["environment"] = environment
        out.append(hook)
    return out


def _environment(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
    out = {}
    for item in value or []:
        key, sep, text = str(item).partition("=")
        if sep:
            out[key] = text
    return out


def run(engine: Engine, container: str, which: str, hooks: Sequence[Mapping[str, Any]], timeout: float) -> str | None:
    """Run the hooks in order; None when every one exits 0, else why the first that did not failed."""
    for index, hook in enumerate(hooks):
        code, output = engine.exec(
            container,
            list(hook["command"]),
            user=hook.get("user"),
            timeout=timeout,
            privileged=bool(hook.get("privileged")),
            working_dir=hook.get("working_dir"),
            environment=hook.get("environment"),
        )
        if code != 0:
            tail = "\n    ".join(output.strip().splitlines()[-OUTPUT_LINES:])
            name = which if len(hooks) == 1 else f"{which}[{index}]"
            return f"{name} hook exited with status {code}" + (f"; its last output:\n    {tail}" if tail else "")
    return None
