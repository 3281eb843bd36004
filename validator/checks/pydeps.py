"""``python``: installed versions, imports, declarations in pyproject.toml, conflicts (T030-T033, T200-T203).

Versions and imports are read by the target interpreter in a subprocess (so a broken package
cannot take the validator down); conflicts come from ``pip check``; declarations from PEP 621
(``dependencies``, optional groups) or Poetry tables, with ``^`` and ``~`` understood.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.version import InvalidVersion, Version

from validator import children
from validator.checks.configs import read_config
from validator.core.location import Location
from validator.core.result import Result, locate
from validator.redact import quoted, tail
from validator.spec.confine import ConfinementError
from validator.spec.delta import coordinates
from validator.spec.load import LoadedSpec
from validator.versions import parse_specifier, satisfies

if TYPE_CHECKING:
    from pathlib import Path

    from validator.checks.context import CheckContext

_PROBE = r"""
import importlib, importlib.metadata as md, json, os, platform, sys

out = {}
for name, module in json.loads(sys.argv[1]):
    entry = {}
    try:
        entry["version"] = md.version(name)
    except md.PackageNotFoundError:
        entry["version"] = None
    try:
        importlib.import_module(module)
        entry["import"] = None
    except BaseException as exc:
        entry["import"] = f"{type(exc).__name__}: {exc}"
    out[name] = entry

def full(info):
    text = f"{info.major}.{info.minor}.{info.micro}"
    return text if info.releaselevel == "final" else text + info.releaselevel[0] + str(info.serial)

environment = {
    "implementation_name": sys.implementation.name,
    "implementation_version": full(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
print(json.dumps({"packages": out, "environment": environment}))
"""

# The probe asks the checked interpreter for the values of PEP 508 environment markers (what
# ``packaging.markers.default_environment()`` computes, which that interpreter may not have
# installed): a requirement applies, or not, to the interpreter that runs the project, not to validator's.


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def run(ctx: CheckContext) -> Iterator[Result]:
    loaded = ctx.loaded
    section = loaded.spec.python
    if section is None or (not section.packages and not section.check_conflicts):
        return
    interpreter = _interpreter(section.interpreter, loaded.base_dir)
    modules = [(name, pkg.import_name or name.replace("-", "_")) for name, pkg in section.packages.items()]
    began = time.monotonic()
    environment: dict[str, str] = {}
    try:
        proc = _isolated(interpreter, ["-c", _PROBE, json.dumps(modules)], timeout=180)
        answer: dict[str, Any] = json.loads(proc.stdout) if proc.returncode == 0 else {}
        found: dict[str, Any] = answer.get("packages", {})
        environment = answer.get("environment", {})
        failure = "" if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["no output"])[-1]
    except (OSError, subprocess.TimeoutExpired, ValueError, AttributeError) as exc:
        found, failure = {}, f"{type(exc).__name__}: {exc}"
    elapsed = time.monotonic() - began
    declared, where_declared = _declarations(loaded, environment)

    for name, pkg in section.packages.items():
        path = ("python", "packages", name)
        where = locate(loaded, path)
        if failure:
            yield Result(
                kind="python",
                name=f"{name}",
                verdict="error",
                expected=pkg.version or "installed",
                message=f"{interpreter}: {failure}",
                duration=elapsed,
                location=where,
            )
            continue
        entry = found.get(name, {})
        version = entry.get("version")
        if version is None:
            yield Result(
                kind="python",
                name=name,
                verdict="fail",
                expected=pkg.version or "installed",
                actual="not installed",
                message=f"install it: pip install '{name}{_pep440(pkg.version)}'",
                duration=elapsed,
                location=where,
            )
        else:
            ok = pkg.version is None or satisfies(version, pkg.version)
            yield Result(
                kind="python",
                name=name,
                verdict="pass" if ok else "fail",
                expected=pkg.version or "installed",
                actual=version,
                message=""
                if ok
                else f"{version} does not satisfy {pkg.version} ({parse_specifier(pkg.version or '')})",
                duration=elapsed,
                location=where,
            )
        module = pkg.import_name or name.replace("-", "_")
        error = entry.get("import")
        yield Result(
            kind="python",
            name=f"{name}: import {module}",
            verdict="fail" if error else "pass",
            expected=f"import {module}",
            actual=error or "imported",
            location=where,
        )
        if pkg.declared if pkg.declared is not None else section.declared:
            yield _declared(name, declared, where_declared, version, where)
    if section.check_conflicts:
        yield _conflicts(interpreter, locate(loaded, ("python", "check_conflicts")))
    if "delta-spark" in section.packages and not failure:
        installed = found.get("delta-spark", {}).get("version")
        yield from _delta_jars(loaded, installed, locate(loaded, ("python", "packages", "delta-spark")))


def _delta_jars(loaded: LoadedSpec, installed: str | None, where: Location | None) -> Iterator[Result]:
    """Every Delta JAR the spec's config files and probes name is the installed delta-spark's version:
    the Python API calls the JAR's classes, and a declared range (``^3.0.0``) admits both 3.3.2 and
    3.3.3, so lint cannot tell; only the installed package can."""
    if installed is None:
        return  # not installed: the package's own result fails already
    for source, text in _delta_texts(loaded):
        for coord in coordinates(text):
            jar = coord.version
            try:
                same = Version(jar) == Version(installed)
            except InvalidVersion:
                same = False
            yield Result(
                kind="python",
                name=f"delta-spark: the Delta JAR of {source}",
                verdict="pass" if same else "fail",
                expected=installed,
                actual=jar,
                message=""
                if same
                else f"{source} names {coord.text}, the installed delta-spark is {installed}: "
                "the Python package and the Delta JAR must be the same version",
                location=where,
            )


def _delta_texts(loaded: LoadedSpec) -> Iterator[tuple[str, str]]:
    """(where, text) of what names Delta JARs: each config file (read as the config stage reads it:
    a project file confined to the project; one it cannot read is that stage's failure) and each
    probe's ``conf``."""
    for config in loaded.spec.config_keys.values():
        try:
            raw = read_config(loaded, config.path)
        except (ConfinementError, OSError):
            continue
        yield config.path, raw.decode("utf-8", errors="replace")
    for name, probe in loaded.spec.probes.items():
        conf = getattr(probe, "conf", None) or {}
        for key, value in conf.items():
            yield f"probes.{name}.conf.{key}", str(value)


def _pep440(spec: str | None) -> str:
    if not spec:
        return ""

    return str(parse_specifier(spec))


def _declared(
    name: str, declared: dict[str, list[str]] | None, source: str, version: str | None, where: Location | None
) -> Result:

    if declared is None:
        return Result(
            kind="python",
            name=f"{name}: declared",
            verdict="fail",
            expected=f"declared in {source}",
            message=f"{source} cannot be read",
            location=where,
        )
    specs = declared.get(canonical(name))
    if not specs:
        return Result(
            kind="python",
            name=f"{name}: declared",
            verdict="fail",
            expected=f"declared in {source}",
            actual="not declared",
            message=f"add it to {source} (a requirement whose marker excludes this interpreter does not count)",
            location=where,
        )
    bounded = [s for s in specs if s not in ("", "*")]
    spec = ", ".join(bounded)
    if version is not None and bounded and not _within(version, bounded):
        return Result(
            kind="python",
            name=f"{name}: declared",
            verdict="fail",
            expected=f"installed version within {quoted(spec)}",
            actual=version,
            message=f"{source} declares {quoted(spec)}; the installed {version} is outside it "
            "(run poetry lock / pip install)",
            location=where,
        )
    return Result(
        kind="python",
        name=f"{name}: declared",
        verdict="pass",
        expected=f"declared in {source}",
        actual=spec or "(any version)",
        location=where,
    )


def _within(version: str, specs: list[str]) -> bool:
    """Whether ``version`` satisfies every one of ``specs``; an unreadable one is not satisfied."""
    try:
        return all(satisfies(version, spec) for spec in specs)
    except ValueError:
        return False


def _declarations(loaded: LoadedSpec, environment: dict[str, str]) -> tuple[dict[str, list[str]] | None, str]:
    """Every requirement of the project's pyproject that applies to the checked interpreter, by
    package: a requirement whose environment marker (PEP 508 ``; python_version >= '3.9'``, Poetry's
    ``python``/``markers``) is false for ``environment`` is written for another interpreter and left
    out; every one that applies is kept (a package declared twice must satisfy both)."""
    section = loaded.spec.python
    source = section.pyproject if section and section.pyproject else "pyproject.toml"
    path = loaded.base_dir / source
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None, source
    out: dict[str, list[str]] = {}
    project = data.get("project", {})
    requirements = [(r, "") for r in project.get("dependencies", [])]
    for extra, group in project.get("optional-dependencies", {}).items():
        requirements.extend((r, extra) for r in group)
    for group in data.get("dependency-groups", {}).values():
        requirements.extend((r, "") for r in group if isinstance(r, str))
    for requirement, extra in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*)(?:;(.*))?", str(requirement))
        if match and _applies(match.group(4), environment, extra):
            out.setdefault(canonical(match.group(1)), []).append(match.group(3).strip())
    poetry = data.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [g.get("dependencies", {}) for g in poetry.get("group", {}).values()]
    for table in tables:
        for dep, spec in table.items():
            if dep.lower() == "python":
                continue
            # Poetry's multiple-constraint form: a list of tables, each for its own environment
            for one in spec if isinstance(spec, list) else [spec]:
                if not isinstance(one, dict):
                    out.setdefault(canonical(dep), []).append(str(one))
                elif _poetry_applies(one, environment):
                    out.setdefault(canonical(dep), []).append(str(one.get("version", "*")))
    return out, source


def _applies(marker: str | None, environment: dict[str, str], extra: str) -> bool:
    """Whether a PEP 508 marker holds for ``environment`` (an optional group's own name is its
    ``extra``). A marker that cannot be read or evaluated is kept: dropping it could hide the
    requirement that applies."""
    if marker is None or not marker.strip():
        return True
    try:
        return bool(Marker(marker).evaluate({**environment, "extra": extra}))
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName, ValueError):
        return True


def _poetry_applies(table: dict[str, Any], environment: dict[str, str]) -> bool:
    """Whether a Poetry dependency table's ``python`` constraint and ``markers`` hold for ``environment``."""
    python, markers = table.get("python"), table.get("markers")
    if isinstance(python, str) and "python_full_version" in environment:
        try:
            if not satisfies(environment["python_full_version"], python):
                return False
        except ValueError:
            pass  # unreadable: kept, as an unreadable marker is
    return _applies(markers if isinstance(markers, str) else None, environment, "")


def _interpreter(given: str | None, base: Path) -> str:
    """The checked interpreter: a path the spec gives is read from the spec's folder, as its other
    paths are (the probe runs from an empty folder, where a relative path would name nothing); a bare
    name (``python3``) is looked up on PATH; none: the Python running validator."""
    if not given:
        return sys.executable
    if os.sep in given and not os.path.isabs(given):
        return str(base / given)
    return given


def _isolated(interpreter: str, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """``interpreter args`` run from an empty private folder: ``-c`` and ``-m`` put the working
    folder first on ``sys.path``, and in the project folder a ``docker/`` of Dockerfiles (``kafka/``,
    ``spark/``...) would import as a namespace package in place of a package that is not installed.
    The check is about the installed environment; the folder is removed after (``check`` leaves nothing)."""
    with tempfile.TemporaryDirectory(prefix="validator-pydeps-") as empty:
        return children.run([interpreter, *args], timeout=timeout, text=True, cwd=empty)


def _conflicts(interpreter: str, where: Location | None) -> Result:
    began = time.monotonic()
    try:
        proc = _isolated(interpreter, ["-m", "pip", "check"], timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Result(
            kind="python",
            name="dependency conflicts",
            verdict="error",
            expected="pip check clean",
            message=str(exc),
            location=where,
        )
    lines = [line for line in proc.stdout.strip().splitlines() if line.strip()]
    if proc.returncode == 0:
        return Result(
            kind="python",
            name="dependency conflicts",
            verdict="pass",
            expected="no broken requirements",
            actual="none",
            duration=time.monotonic() - began,
            location=where,
        )
    shown = "; ".join(lines[:5]) + (f" (+{len(lines) - 5} more)" if len(lines) > 5 else "")
    return Result(
        kind="python",
        name="dependency conflicts",
        verdict="fail",
        expected="no broken requirements",
        actual=f"{len(lines)} conflict(s)",
        message=shown or tail(proc.stderr.strip(), 300),
        duration=time.monotonic() - began,
        location=where,
    )
