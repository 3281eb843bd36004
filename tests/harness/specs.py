"""Build specs, desired and observed states from dicts (for tests of the pure parts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from validator.engine.desired import DesiredState, desired_state
from validator.engine.observed import ObservedContainer, ObservedState
from validator.load import load_spec
from validator.spec.load import LoadedSpec


def write_spec(folder: Path, data: dict[str, Any], name: str = "infra.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def load_dict(folder: Path, data: dict[str, Any], environ: dict[str, str] | None = None) -> LoadedSpec:
    return load_spec([str(write_spec(folder, data))], environ=environ or {})


APPLIED_START = "2026-01-01T00:00:00.000000000Z"  # the one start of every container observed_as_applied makes


def observed_as_applied(
    desired: DesiredState, image_id: str = "sha256:" + "a" * 64, state: str = "running", api_version: str = "1.41"
) -> ObservedState:
    """The state Docker would be in right after a successful ``up`` of ``desired``."""
    containers = {
        name: tuple(
            ObservedContainer(
                id=f"id-{name}" if number == 1 else f"id-{name}-{number}",
                name=svc.replica_name(number),
                service=name,
                config_hash=svc.config_hash,
                config=json.loads(json.dumps(svc.sealed or {"config": svc.config, "mounted": svc.mounted})),
                image_id=image_id,
                state=state,
                health="healthy" if svc.healthcheck else None,
                inspected={key: svc.config.get(key) for key in ("environment", "command", "entrypoint")},
                replica=number,
                launched=True,  # right after a successful up: its launch record is there
                # ... and it names the start the container is on (its post_start hooks ran on it)
                launch_start=APPLIED_START,
                started_at=APPLIED_START,
            )
            for number in range(1, svc.replicas + 1)
        )
        for name, svc in desired.services.items()
    }
    return ObservedState(
        containers=containers,
        networks={n.name for n in desired.networks.values()},
        volumes={v.name for v in desired.volumes.values()},
        image_ids={svc.image: image_id for svc in desired.services.values()},
        api_version=api_version,
    )


def base_spec(**services: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "project": "demo", "services": services}


__all__ = ["base_spec", "desired_state", "load_dict", "observed_as_applied", "write_spec"]
