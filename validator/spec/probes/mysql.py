"""The ``mysql`` probe's fields: server version, binary log settings, the CDC user's grants, a row change."""

from typing import Literal

from pydantic import Field, model_validator

from validator.spec.probes.base import ProbeSpec
from validator.spec.types import PortNumber, Specifier


class MysqlSpec(ProbeSpec):
    default_timeout = 30.0

    kind: Literal["mysql"]
    host: str = "127.0.0.1"
    port: PortNumber = 3306
    user: str = "root"
    password: str = ""
    database: str | None = None
    version: Specifier | None = Field(None, description="Server version (MariaDB reports e.g. 10.11.6).")
    binlog_format: str = "ROW"
    cdc_user: str | None = Field(
        None, description="User whose REPLICATION SLAVE/CLIENT grants are checked (default: user)."
    )
    cdc_password: str | None = None
    row_change: bool = Field(
        True, description="Write a row and read it back from the binary log as the CDC user (a replication client)."
    )

    @model_validator(mode="after")
    def _cdc_credentials(self) -> "MysqlSpec":
        # the binary log is read as the CDC user: without its password that read cannot be exercised, and
        # reading it as ``user`` instead proves nothing about the CDC user
        if self.row_change and self.cdc_user is not None and self.cdc_password is None:
            raise ValueError("cdc_user needs cdc_password when row_change is on (the binary log is read as cdc_user)")
        return self
