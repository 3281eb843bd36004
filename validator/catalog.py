"""The one registry of metric families: every producer's ``Family``, typed, in one dict. A new producer
is its module's ``METRICS`` plus one line here.

It sits above the producers (checks, suites, core's tally) and below whoever reads the families (lint,
the run, the docs), so those read the declarations without importing each other. The declarations live
apart from the stages that measure (``checks/host_metrics.py``, ``checks/service_metrics.py``,
``suites/metrics.py``; probes' and groups' modules import nothing heavy): lint reads this registry and
loads no stage, no engine call and neither the Docker SDK nor Spark.
"""

from __future__ import annotations

from validator.checks.host_metrics import METRICS as HOST
from validator.checks.probes import METRICS as PROBE
from validator.checks.service_metrics import METRICS as SERVICE
from validator.core.metrics import Family, MetricKey
from validator.core.tally import METRICS as CHECKS
from validator.spec.load import LoadedSpec
from validator.spec.model import Spec
from validator.spec.profiles import active
from validator.suites.groups import METRICS as GROUP
from validator.suites.metrics import METRICS as SUITE

FAMILIES: dict[str, Family] = {f.name: f for f in (SUITE, GROUP, SERVICE, PROBE, HOST, CHECKS)}


def catalog(spec: Spec) -> dict[MetricKey, str]:
    """Every metric the spec's members measure -> its dimension (a service without a health check has
    no ``healthy``: it is not in the catalog, so no wildcard expects it)."""
    out: dict[MetricKey, str] = {}
    for family in FAMILIES.values():
        out.update(family.catalog(spec))
    return out


def run_catalog(loaded: LoadedSpec) -> dict[MetricKey, str]:
    """The catalog of a run: only what runs by design is a member. A service whose profiles are not
    enabled runs no container (as ``scale: 0``), so no wildcard expects it to measure anything; a
    valid Compose file with profiles can pass ``service.*.healthy < 30s``."""
    spec = loaded.spec
    return catalog(spec.model_copy(update={"services": active(spec.services, loaded.environment)}))
