"""``spark``: a pyspark session against the spec's master runs a job; the master UI lists the
application and alive workers; with ``delta: true`` the session is built with the Delta extension
and catalog and writes and reads back a Delta table."""

from typing import Literal

from pydantic import Field

from validator.probes.base import ProbeSpec


class Spec(ProbeSpec):
    kind: Literal["spark"]
    master: str = "spark://127.0.0.1:7077"
    ui: str = Field("http://127.0.0.1:8080", description="Master web UI (its /json/ endpoint is read).")
    min_workers: int = Field(1, ge=0)
    delta: bool = False
    delta_jars: list[str] = Field(
        default_factory=list, description="Local Delta JARs (spark.jars) when no Maven repository is reachable."
    )
    config_file: str | None = Field(None, description="spark-defaults.conf whose settings the session uses.")
    conf: dict[str, str] = Field(default_factory=dict, description="Further Spark settings for the session.")
    driver_host: str = Field(
        "auto", description="Address executors use to reach this driver ('auto': the Docker bridge gateway)."
    )
    warehouse: str | None = Field(
        None, description="Host folder for the Delta table (mounted into the workers at the same path)."
    )
    app_name: str = "validator-spark-probe"
    timeout: float = 180.0
