"""Relative host paths made absolute against the folder of the file that wrote them, as Compose does
for an included file's and an ``extends`` base's services, secrets and configs."""

from __future__ import annotations

import os
from pathlib import Path as FsPath
from typing import Any


def rebase_paths(data: dict[str, Any], project_dir: FsPath) -> dict[str, Any]:
    """``data`` with the relative host paths Compose resolves made absolute against ``project_dir``."""

    def absolute(value: Any) -> Any:
        if isinstance(value, str) and value and not os.path.isabs(value) and not value.startswith("~"):
            return os.path.normpath(project_dir / value)
        return value

    out = dict(data)
    services = out.get("services")
    if isinstance(services, dict):
        out["services"] = {name: _rebase_service(svc, absolute) for name, svc in services.items()}
    for section in ("secrets", "configs"):
        entries = out.get(section)
        if isinstance(entries, dict):
            out[section] = {
                name: {**entry, "file": absolute(entry["file"])}
                if isinstance(entry, dict) and "file" in entry
                else entry
                for name, entry in entries.items()
            }
    return out


def _rebase_service(service: Any, absolute: Any) -> Any:
    if not isinstance(service, dict):
        return service
    svc = dict(service)
    build = svc.get("build")
    if isinstance(build, str) and "://" not in build:
        svc["build"] = absolute(build)
    elif isinstance(build, dict) and isinstance(build.get("context"), str) and "://" not in build["context"]:
        svc["build"] = {**build, "context": absolute(build["context"])}
    env_file = svc.get("env_file")
    if isinstance(env_file, str):
        svc["env_file"] = absolute(env_file)
    elif isinstance(env_file, list):
        svc["env_file"] = [
            absolute(e)
            if isinstance(e, str)
            else {**e, "path": absolute(e["path"])}
            if isinstance(e, dict) and "path" in e
            else e
            for e in env_file
        ]
    volumes = svc.get("volumes")
    if isinstance(volumes, list):
        svc["volumes"] = [_rebase_volume(v, absolute) for v in volumes]
    return svc


def _rebase_volume(volume: Any, absolute: Any) -> Any:
    if isinstance(volume, str) and volume.startswith("."):
        source, sep, rest = volume.partition(":")
        return f"{absolute(source)}{sep}{rest}"
    if isinstance(volume, dict) and volume.get("type", "volume") == "bind" and isinstance(volume.get("source"), str):
        return {**volume, "source": absolute(volume["source"])}
    return volume
