"""``mysql``: connect with mysql-connector-python; server version; ``log_bin`` ON, ``binlog_format``
ROW, a ``server_id``; the CDC user's replication privileges; a row change shows in the binary log."""

from typing import Any, Literal

from pydantic import Field

from validator.probes.base import Outcome, ProbeContext, ProbeSpec
from validator.spec.types import PortNumber, Specifier


class Spec(ProbeSpec):
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
    row_change: bool = Field(True, description="Write a row and find it in the binary log.")
    timeout: float = 30.0


def run(spec: Spec, ctx: ProbeContext) -> Outcome:
    import uuid

    import mysql.connector

    timeout = max(1, int(min(10.0, ctx.remaining())))
    steps: list[str] = []
    problems: list[str] = []
    conn: Any = mysql.connector.connect(
        host=spec.host,
        port=spec.port,
        user=spec.user,
        password=spec.password,
        database=spec.database,
        connection_timeout=timeout,
        autocommit=True,
    )
    try:
        cur: Any = conn.cursor()
        cur.execute("SELECT VERSION()")
        version = str(cur.fetchone()[0])
        steps.append(f"connected as {spec.user} (server {version})")
        if spec.version:
            from validator.versions import satisfies

            if not satisfies(version, spec.version):
                problems.append(f"server version {version} does not satisfy {spec.version}")
        variables = {}
        for name in ("log_bin", "binlog_format", "server_id"):
            cur.execute("SHOW VARIABLES LIKE %s", (name,))
            row = cur.fetchone()
            variables[name] = str(row[1]) if row else None
        if variables["log_bin"] != "ON":
            problems.append(f"log_bin is {variables['log_bin']}, expected ON")
        if (variables["binlog_format"] or "").upper() != spec.binlog_format.upper():
            problems.append(f"binlog_format is {variables['binlog_format']}, expected {spec.binlog_format}")
        if not variables["server_id"] or variables["server_id"] == "0":
            problems.append("server_id is not set (replication clients need one)")
        steps.append(
            f"log_bin {variables['log_bin']}, binlog_format {variables['binlog_format']}, "
            f"server_id {variables['server_id']}"
        )
        cdc = spec.cdc_user or spec.user
        cur.execute("SHOW GRANTS FOR %s@'%'", (cdc,))
        grants = " ".join(str(row[0]) for row in cur.fetchall()).upper()
        # MariaDB >= 10.5 shows REPLICATION CLIENT as BINLOG MONITOR (the same privilege, renamed)
        replication = "ALL PRIVILEGES ON *.*" in grants or (
            "REPLICATION SLAVE" in grants and ("REPLICATION CLIENT" in grants or "BINLOG MONITOR" in grants)
        )
        if replication:
            steps.append(f"{cdc} has replication privileges")
        else:
            problems.append(f"{cdc} lacks REPLICATION SLAVE / REPLICATION CLIENT")
        if spec.cdc_user and spec.cdc_password is not None:
            mysql.connector.connect(
                host=spec.host,
                port=spec.port,
                user=spec.cdc_user,
                password=spec.cdc_password,
                connection_timeout=timeout,
            ).close()
            steps.append(f"{spec.cdc_user} can log in")
        if spec.row_change and variables["log_bin"] == "ON":
            table = f"validator_probe_{uuid.uuid4().hex[:8]}"
            database = spec.database or "mysql"
            cur.execute("SHOW MASTER STATUS")
            position = cur.fetchone()
            try:
                cur.execute(f"CREATE TABLE `{database}`.`{table}` (id INT PRIMARY KEY, v VARCHAR(16))")
                cur.execute(f"INSERT INTO `{database}`.`{table}` VALUES (1, 'cdc')")
                cur.execute(f"SHOW BINLOG EVENTS IN '{position[0]}' FROM {int(position[1])}")
                rows = cur.fetchall()
                kinds = {str(row[2]) for row in rows}
                mentions = any(table in str(row[5]) for row in rows)
                if mentions and any(k.startswith(("Write_rows", "Table_map")) for k in kinds):
                    steps.append("a row insert shows in the binary log")
                else:
                    problems.append(f"the insert into {table} is not in the binary log (events: {sorted(kinds)})")
            finally:
                cur.execute(f"DROP TABLE IF EXISTS `{database}`.`{table}`")
    finally:
        conn.close()
    return Outcome(
        not problems,
        f"binlog ON/{spec.binlog_format}, server_id, replication grants, row change logged",
        "; ".join(steps),
        "; ".join(problems),
    )
