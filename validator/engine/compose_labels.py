"""The ``com.docker.compose.*`` labels Compose writes, written by validator too on what it creates.

With them ``docker compose -p PROJECT ps|logs|exec|down`` see a stack validator started: Compose
lists a project's containers by its project label and the presence of its config-hash label, finds a
service's containers by the service label and their number, and ``down -p`` without a file removes
the networks and volumes its project, network and volume labels name. The values are the ones
Compose 2.40 writes on engine API 1.41 (read with ``docker inspect`` of what it creates), except:

- ``config-hash`` holds validator's own keyed hash of the desired state. Compose's hash is a SHA-256
  of its Go model of the service, which validator cannot reproduce; so ``docker compose up`` on a
  stack validator started finds every hash different and recreates the containers (as its own,
  without validator's labels: validator then judges them and never changes them).
- ``version`` says ``validator-<version>``: no Compose version wrote the container.

Ownership stays with validator's own labels (engine/labels.py): validator never lists, changes or
removes an object by these.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from validator.engine.labels import SERVICE as OWN_SERVICE

if TYPE_CHECKING:  # down reads these labels without loading the spec's model
    from validator.spec.service import Dependency

PREFIX = "com.docker.compose."
PROJECT = PREFIX + "project"
SERVICE = PREFIX + "service"
NUMBER = PREFIX + "container-number"  # which replica of its service (1..N)
ONEOFF = PREFIX + "oneoff"
CONFIG_HASH = PREFIX + "config-hash"
IMAGE = PREFIX + "image"
DEPENDS_ON = PREFIX + "depends_on"
VERSION = PREFIX + "version"
WORKING_DIR = PREFIX + "project.working_dir"
CONFIG_FILES = PREFIX + "project.config_files"
NETWORK = PREFIX + "network"
VOLUME = PREFIX + "volume"


def service_container(labels: Mapping[str, str]) -> bool:
    """Whether a container with Compose's labels stands for its service. Compose's own ``up``, ``ps``
    and ``down`` select a service's containers with the label filter ``oneoff=False``: a ``docker compose
    run`` container (``oneoff=True``, its command and ports its own) or one without the label never
    stands for the service, and ``up`` creates the service's container beside it (Compose 2.40, checked
    with its binary). Validator's own containers write ``False``."""
    return labels.get(ONEOFF) == "False"


def service_of(labels: Mapping[str, str]) -> str:
    """The service a container stands for by its labels: validator's own service label first, else
    Compose's for a service container; "" for anything else (a one-off, a container of no service)."""
    own = labels.get(OWN_SERVICE)
    if own:
        return own
    return (labels.get(SERVICE) or "") if service_container(labels) else ""


def version_value(version: str) -> str:
    return f"validator-{version}"


def depends_on_of(value: str) -> frozenset[str]:
    """The services a ``depends_on`` label names (``down -p`` orders its stops by them). The label is
    Compose's own text format (``NAME:CONDITION:RESTART`` comma-joined), read here because a container
    carries nothing else saying what it depends on; a service name holds neither ``:`` nor ``,``."""
    return frozenset(item.split(":")[0] for item in value.split(",") if item.split(":")[0])


def depends_on_value(depends_on: Mapping[str, Dependency]) -> str:
    """``NAME:CONDITION:RESTART`` per dependency, comma-joined, as Compose writes it (``required`` is not
    in it; implicit dependencies from links, volumes_from and ``service:`` modes are ``service_started``
    with restart, as Compose adds them). Sorted by name: Compose's order is its map's, not the file's."""
    return ",".join(
        f"{name}:{dep.condition}:{'true' if dep.restart else 'false'}" for name, dep in sorted(depends_on.items())
    )


def container_labels(
    *,
    project: str,
    service: str,
    number: int,
    config_hash: str,
    image_id: str,
    depends_on: Mapping[str, Dependency],
    working_dir: str,
    spec_files: tuple[str, ...],
    version: str,
) -> dict[str, str]:
    return {
        PROJECT: project,
        SERVICE: service,
        NUMBER: str(number),
        ONEOFF: "False",
        CONFIG_HASH: config_hash,
        IMAGE: image_id,
        DEPENDS_ON: depends_on_value(depends_on),
        VERSION: version_value(version),
        WORKING_DIR: working_dir,
        CONFIG_FILES: ",".join(str(Path(f).absolute()) for f in spec_files),
    }


def network_labels(project: str, key: str, version: str) -> dict[str, str]:
    return {PROJECT: project, NETWORK: key, VERSION: version_value(version)}


def volume_labels(project: str, key: str, version: str) -> dict[str, str]:
    return {PROJECT: project, VOLUME: key, VERSION: version_value(version)}
