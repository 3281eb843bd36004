"""The one place probe kinds are registered: kind -> module. A new kind is one file plus one line here.

Modules are imported when the spec model is built, so they must keep heavy imports (requests,
docker, pyspark, ...) inside ``run``. A kind whose ``Outcome.metrics`` carry fields of their own
declares them as ``METRICS`` (a tuple of ``core.metrics.Declared``) beside its code: lint and the
criteria know ``probe.<name>.<field>`` from there.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import cast

from validator.probes.base import ProbeModule

PROBES: dict[str, str] = {
    "http": "validator.probes.http",
    "tcp": "validator.probes.tcp",
    "command": "validator.probes.command",
    "container": "validator.probes.container",
    "log": "validator.probes.log",
    "spark": "validator.probes.spark",
    "delta": "validator.probes.delta",
    "alertmanager": "validator.probes.alertmanager",
    "prometheus": "validator.probes.prometheus",
    "mysql": "validator.probes.mysql",
    "cdc": "validator.probes.cdc",
}


@cache
def probe_module(kind: str) -> ProbeModule:
    return cast(ProbeModule, importlib.import_module(PROBES[kind]))
