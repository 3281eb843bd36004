"""A secret passed as a process argument: warned, since every local user reads a process's arguments
(``ps``, ``/proc/PID/cmdline``), and a container's processes are the host's processes.

The argument vectors: a suite's ``command`` and a host tool's (validator's children on the host), a
``command`` probe's (an exec in the container), a service's ``command``, ``entrypoint``, health check
``test`` and ``post_start`` / ``pre_stop`` hook commands (run by the engine). An argument is flagged
when it holds the value of a ``${VAR}`` whose variable is named like a secret (or listed in
``settings.secrets``), or a secret of the spec (``spec/secrets.py``). A warning, not an error:
``mysqladmin -p${MYSQL_ROOT_PASSWORD} ping`` is the probe most MySQL setups copy, and refusing it
would break specs that work; ``--strict`` fails on it as on every warning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from validator.lint.context import LintContext
from validator.redact import MIN_LENGTH, is_secret_name
from validator.spec.location import Finding
from validator.spec.location import Path as DocPath
from validator.spec.secrets import collect, marked_names

_WHY = (
    "every local user reads a process's arguments (ps, /proc/PID/cmdline): pass it through the "
    "environment instead (a variable the tool reads, e.g. MYSQL_PWD, PGPASSWORD, or its own flag's file)"
)


def check(ctx: LintContext) -> Iterator[Finding]:
    data = ctx.doc.data
    marked = marked_names(data)
    # the variables whose value is a secret by its name: a ${VAR} of one of them in an argument
    variables = {
        name: value
        for name, value in ctx.environment.items()
        if (is_secret_name(name) or name in marked) and len(value) >= MIN_LENGTH
    }
    # this spec's own secrets (not the process-wide registry, which may hold another spec's)
    secrets = sorted(collect(data, ctx.doc.interpolated, ctx.environment, ctx.base_dir, ctx.fence))
    for path, argv in _vectors(data):
        for where, argument in _arguments(path, argv):
            reason = _reason(where, argument, ctx.doc.interpolated, variables, secrets)
            if reason:
                yield ctx.warning(where, f"{reason} is passed as a process argument; {_WHY}")


def _reason(
    where: DocPath, argument: str, interpolated: Mapping[Any, str], variables: dict[str, str], secrets: list[str]
) -> str:
    if where in interpolated:
        names = sorted(name for name, value in variables.items() if value in argument)
        if names:
            return f"the value of ${{{names[0]}}}"
    if any(secret and secret in argument for secret in secrets):
        return "a secret of this spec"
    return ""


def _vectors(data: Mapping[str, Any]) -> Iterator[tuple[DocPath, Any]]:
    """(path, argv as written) of every field that becomes a process's arguments."""
    for section, fields in (("suites", ("command",)), ("probes", ("command",))):
        for name, entry in _entries(data, section):
            yield from (((section, name, f), entry[f]) for f in fields if f in entry)
    host = data.get("host")
    for name, tool in _entries(host if isinstance(host, dict) else {}, "tools"):
        if "command" in tool:
            yield ("host", "tools", name, "command"), tool["command"]
    for name, svc in _entries(data, "services"):
        yield from ((("services", name, f), svc[f]) for f in ("command", "entrypoint") if f in svc)
        health = svc.get("healthcheck")
        if isinstance(health, dict) and "test" in health:
            yield ("services", name, "healthcheck", "test"), health["test"]
        for hook in ("post_start", "pre_stop"):
            items = svc.get(hook)
            for index, item in enumerate(items if isinstance(items, list) else []):
                if isinstance(item, dict) and "command" in item:
                    yield ("services", name, hook, index, "command"), item["command"]


def _entries(data: Mapping[str, Any], section: str) -> Iterator[tuple[str, dict[str, Any]]]:
    entries = data.get(section)
    for name, entry in (entries if isinstance(entries, dict) else {}).items():
        if isinstance(entry, dict):
            yield str(name), entry


def _arguments(path: DocPath, argv: Any) -> Iterator[tuple[DocPath, str]]:
    if isinstance(argv, str):
        yield path, argv
    elif isinstance(argv, list):
        yield from (((*path, index), item) for index, item in enumerate(argv) if isinstance(item, str))
