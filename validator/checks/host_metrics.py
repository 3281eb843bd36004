"""The host family's metrics (``METRICS``), declared apart from the preflight stage that measures them, so
that lint reads them (through ``validator.catalog``) without loading the engine the stage uses."""

from __future__ import annotations

from validator.core.metrics import Declared, Family, single

METRICS = Family(
    name="host",
    members=single,
    metrics=(
        Declared(field="memory_available", dimension="size", meaning="memory available now (psutil)"),
        Declared(field="memory_total", dimension="size", meaning="the machine's memory"),
        Declared(field="cpus", dimension="", meaning="logical CPUs"),
        Declared(field="disk_free", dimension="size", meaning="free disk at host.disk_path"),
    ),
    doc="the machine, as preflight measured it",
)
