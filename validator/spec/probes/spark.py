"""The ``spark`` probe's fields: a session on the master, its UI, workers, and optionally a Delta round."""

from typing import Literal

from pydantic import Field

from validator.spec.probes.spark_driver import SparkDriverSpec


class SparkSpec(SparkDriverSpec):
    default_timeout = 180.0

    kind: Literal["spark"]
    ui: str = Field("http://127.0.0.1:8080", description="Master web UI (its /json/ endpoint is read).")
    min_workers: int = Field(1, ge=0)
    delta: bool = False
    app_name: str = "validator-spark-probe"
