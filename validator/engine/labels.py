"""Labels on every object the engine creates; the engine lists and changes only what carries them."""

from __future__ import annotations

PREFIX = "dev.validator."
PROJECT = PREFIX + "project"
SERVICE = PREFIX + "service"
CONFIG_HASH = PREFIX + "config-hash"
CONFIG = PREFIX + "config"
IMAGE_ID = PREFIX + "image-id"
SPEC = PREFIX + "spec"
VERSION = PREFIX + "version"
NETWORK = PREFIX + "network"
VOLUME = PREFIX + "volume"


def project_filter(project: str) -> dict[str, list[str]]:
    """Docker API filter selecting exactly this project's objects (exact label value match)."""
    return {"label": [f"{PROJECT}={project}"]}
