"""The secrets a container holds, registered before anything shows output from inside it.

The spec as read now is not the spec a container was created from: a rotated password, a ``${VAR}``
unset in the shell that runs ``down`` (a cleanup job, another terminal) leave the container's real,
current credential out of this run's registry. ``plan`` and ``up`` register the old values of a
drifted container (engine/observed.py); a command that runs something *in* a container and shows
its output (``down``'s and ``up``'s ``pre_stop`` hooks) registers, from the container's own inspect,
what it holds that may be a secret: the values of its environment variables named like a secret,
and those its label records as hidden (``${VAR}``, ``env_file``, pass-through, a value holding a
secret: engine/provenance.py), and the items of a hidden command or entrypoint. A container whose
label records nothing readable (an older validator's) has every value of its environment registered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from validator.engine import labels as L
from validator.engine.compose_observe import env_mapping
from validator.engine.provenance import Provenance, old_secrets
from validator.redact import register


def register_held(info: Mapping[str, Any] | None) -> None:
    """Register what the container of ``info`` (its inspect; None when it is gone) holds that may be a
    secret, whatever the spec says now."""
    config = (info or {}).get("Config") or {}
    if not config:
        return
    inspected = {
        "environment": env_mapping(config.get("Env") or []),
        "command": config.get("Cmd"),
        "entrypoint": config.get("Entrypoint"),
    }
    # the names in the record are sealed with the label key: read only when a name must be looked up
    was = Provenance.from_label(_record(config.get("Labels") or {}), lambda name: L.seal_text(name, L.state_key()))
    # against an empty desired config, every held value differs: each hidden part is registered
    register(old_secrets(inspected, {}, Provenance(), was))


def _record(labels: Mapping[str, Any]) -> object:
    """The provenance record in validator's config label (``sealed["secret"]``), None when unreadable."""
    try:
        sealed = json.loads(labels.get(L.CONFIG) or "null")
    except ValueError:
        return None
    return sealed.get("secret") if isinstance(sealed, dict) else None
