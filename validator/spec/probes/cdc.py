"""The ``cdc`` probe's fields: the MySQL side (who writes, who replicates) of binlog-to-Delta on Spark."""

from typing import Literal

from pydantic import Field

from validator.spec.probes.spark_driver import SparkDriverSpec
from validator.spec.types import PortNumber


class CdcSpec(SparkDriverSpec):
    default_timeout = 300.0

    kind: Literal["cdc"]
    host: str = Field("127.0.0.1", description="MySQL host (from this machine).")
    port: PortNumber = 3306
    # no default: with ``root`` by default (and cdc_user defaulting to user) the binary log was read as
    # root and the probe said nothing of the CDC user's privileges (adversary spark3, case 07)
    user: str = Field(
        description="MySQL user that creates the probe's table and changes its rows (and reads the binary "
        "log unless cdc_user is given)."
    )
    password: str = ""
    database: str = Field(description="Database the probe's table is created in (and removed from).")
    cdc_user: str | None = Field(None, description="Replication user that reads the binary log (default: user).")
    cdc_password: str | None = None
    app_name: str = "validator-cdc-probe"
