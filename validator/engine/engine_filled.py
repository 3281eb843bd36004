"""What the engine fills in a container's ``HostConfig`` where the create body leaves a key unset.

Rule (adversary graph7 case 02): a container ``docker compose up`` made carries no record of the file
it was made from, so its engine-filled settings (``compose_observe.ENGINE_FILLED``: log driver, IPC
mode, /dev/shm size, ulimits, security options...) are compared with what Compose would create from
the current file: where the file sets one, the file's value; where it sets none, what the engine
fills for a body without it. That is the engine's own configuration (``default-shm-size``,
``default-ipc-mode``, ``log-driver``...), most of which ``/info`` does not report: it is read from a
probe, a container created (never started) with no setting but those the filling depends on,
inspected and removed at once. One probe per distinct set of those inputs per look; made only when a
Compose container is judged (validator's own containers carry a hash of the body that covers them).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from validator.engine import labels as L

if TYPE_CHECKING:
    from validator.engine.docker_api import Engine

# marks the probe as validator's (it carries no project: no look of any project counts it)
PROBE = L.PREFIX + "probe"


def probe_inputs(want_host: Mapping[str, Any]) -> dict[str, Any]:
    """The body's settings the engine's filling depends on: a privileged container gets no masked or
    read-only /proc paths, and (on an SELinux host) ``label=disable`` as does one sharing the host's
    PID or IPC namespace. A namespace shared with a container is left out (the probe would need it)."""
    out: dict[str, Any] = {}
    if want_host.get("Privileged"):
        out["Privileged"] = True
    for key in ("PidMode", "IpcMode"):
        if want_host.get(key) == "host":
            out[key] = "host"
    return out


@dataclass(kw_only=True)
class EngineFilled:
    """The engine's filled ``HostConfig`` for a body with given inputs, probed once per look."""

    engine: Engine
    known: dict[str, dict[str, Any]] = field(default_factory=dict)

    def host(self, image: str, want_host: Mapping[str, Any]) -> dict[str, Any]:
        """The probe's ``HostConfig`` for a body like ``want_host``, made from ``image`` (an image ID
        the engine has: the judged container's own)."""
        inputs = probe_inputs(want_host)
        key = json.dumps(inputs, sort_keys=True)
        if key not in self.known:
            self.known[key] = self._probe(image, inputs)
        return self.known[key]

    def _probe(self, image: str, inputs: dict[str, Any]) -> dict[str, Any]:
        body = {
            "Image": image,
            "Cmd": ["probe"],  # the create needs a command where the image has none; never run
            "Labels": {PROBE: "engine-defaults"},
            # never started: no network, no process; "none" so the create names no network at all
            "HostConfig": {"NetworkMode": "none", **inputs},
        }
        container = self.engine.create_container(f"validator-probe-{uuid.uuid4().hex[:12]}", body)
        try:
            return dict(self.engine.inspect(container).get("HostConfig") or {})
        finally:
            self.engine.remove_container(container)
