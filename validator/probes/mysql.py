"""``mysql``: connect with mysql-connector-python; server version; ``log_bin`` ON, ``binlog_format``
ROW, a ``server_id``; the CDC user's replication privileges (its grants parsed, each privilege by
name); a row change read back from the binary log as a replication client with the CDC user's
credentials (the capability, not its name in a grant)."""

import re
from typing import Any, Literal

from pydantic import Field, model_validator

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
    row_change: bool = Field(
        True, description="Write a row and read it back from the binary log as the CDC user (a replication client)."
    )
    timeout: float = 30.0

    @model_validator(mode="after")
    def _cdc_credentials(self) -> "Spec":
        # the binary log is read as the CDC user: without its password that read cannot be exercised, and
        # reading it as ``user`` instead proves nothing about the CDC user
        if self.row_change and self.cdc_user is not None and self.cdc_password is None:
            raise ValueError("cdc_user needs cdc_password when row_change is on (the binary log is read as cdc_user)")
        return self


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
        missing = missing_replication_privileges([str(row[0]) for row in cur.fetchall()])
        if missing:
            problems.append(f"{cdc} lacks {' and '.join(missing)} on *.*")
        else:
            steps.append(f"{cdc} has replication privileges")
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
                problems.extend(_read_back(spec, cdc, (str(position[0]), int(position[1])), database, table, steps))
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


# a GRANT line's global privileges: ``GRANT a, b ON *.* TO ...`` (a column list in parentheses only
# appears on table grants, which are not global)
_GRANT = re.compile(r"^GRANT\s+(?P<privileges>.+?)\s+ON\s+(?P<target>\S+)\s+TO\s", re.IGNORECASE | re.DOTALL)


def global_privileges(grants: list[str]) -> set[str]:
    """The privileges ``SHOW GRANTS`` lines give on ``*.*``, each by its whole name, upper-cased."""
    privileges: set[str] = set()
    for line in grants:
        match = _GRANT.match(line.strip())
        if match and match["target"].replace("`", "") == "*.*":
            privileges |= {" ".join(p.split()).upper() for p in match["privileges"].split(",")}
    return privileges


def missing_replication_privileges(grants: list[str]) -> list[str]:
    """What a replication client lacks: REPLICATION SLAVE (to read the binary log) and REPLICATION
    CLIENT (MariaDB >= 10.5 calls it BINLOG MONITOR). Names are compared whole: REPLICATION SLAVE ADMIN
    (start and stop replicas) is not REPLICATION SLAVE."""
    held = global_privileges(grants)
    if "ALL PRIVILEGES" in held or "ALL" in held:
        return []
    missing = [] if "REPLICATION SLAVE" in held else ["REPLICATION SLAVE"]
    if not held & {"REPLICATION CLIENT", "BINLOG MONITOR"}:
        missing.append("REPLICATION CLIENT")
    return missing


def _read_back(spec: Spec, cdc: str, start: tuple[str, int], database: str, table: str, steps: list[str]) -> list[str]:
    """The insert into ``table``, read from the binary log as a replication client with the CDC user's
    credentials (what a CDC pipeline does); the problems found."""
    import pymysql

    from validator.redact import clip
    from validator.stack.cdc_job import binlog_changes

    password = spec.cdc_password if spec.cdc_user else spec.password
    settings = {"host": spec.host, "port": spec.port, "user": cdc, "passwd": password or ""}
    try:
        changes = binlog_changes(settings, start, database, table)
    except pymysql.err.MySQLError as error:  # the server's refusal (a missing privilege) is the finding
        return [f"{cdc} cannot read the binary log as a replication client: {clip(str(error), 200)}"]
    if not any(change.op == "insert" for change in changes):
        return [f"the insert into {table} is not in the binary log read as {cdc}"]
    steps.append(f"a row insert read back from the binary log as {cdc}")
    return []
