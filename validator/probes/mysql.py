"""``mysql``: connect with mysql-connector-python; server version; ``log_bin`` ON, ``binlog_format``
ROW, a ``server_id``; the CDC user's replication privileges; a row change shows in the binary log."""

import uuid

from validator.probes.base import Findings, Outcome, ProbeContext
from validator.probes.seams import Cursor
from validator.spec.probes.mysql import MysqlSpec
from validator.versions import satisfies


def run(spec: MysqlSpec, ctx: ProbeContext) -> Outcome:
    timeout = max(1, int(min(10.0, ctx.remaining())))
    found = Findings()
    conn = ctx.mysql.connect(
        host=spec.host,
        port=spec.port,
        user=spec.user,
        password=spec.password,
        database=spec.database,
        timeout=timeout,
    )
    try:
        cur = conn.cursor()
        _version(spec, cur, found)
        log_bin = _binary_log(spec, cur, found)
        _grants(spec, cur, found)
        if spec.cdc_user and spec.cdc_password is not None:
            ctx.mysql.connect(
                host=spec.host,
                port=spec.port,
                user=spec.cdc_user,
                password=spec.cdc_password,
                database=None,
                timeout=timeout,
            ).close()
            found.steps.append(f"{spec.cdc_user} can log in")
        if spec.row_change and log_bin == "ON":
            _row_change(spec, cur, found)
    finally:
        conn.close()
    return found.outcome(f"binlog ON/{spec.binlog_format}, server_id, replication grants, row change logged")


def _version(spec: MysqlSpec, cur: Cursor, found: Findings) -> None:
    cur.execute("SELECT VERSION()")
    row = cur.fetchone()
    version = str(row[0]) if row else "?"
    found.steps.append(f"connected as {spec.user} (server {version})")
    if spec.version and not satisfies(version, spec.version):
        found.problems.append(f"server version {version} does not satisfy {spec.version}")


def _binary_log(spec: MysqlSpec, cur: Cursor, found: Findings) -> str | None:
    """``log_bin`` ON, the binlog format, a server id; returns ``log_bin``."""
    variables: dict[str, str | None] = {}
    for name in ("log_bin", "binlog_format", "server_id"):
        cur.execute("SHOW VARIABLES LIKE %s", (name,))
        row = cur.fetchone()
        variables[name] = str(row[1]) if row else None
    if variables["log_bin"] != "ON":
        found.problems.append(f"log_bin is {variables['log_bin']}, expected ON")
    if (variables["binlog_format"] or "").upper() != spec.binlog_format.upper():
        found.problems.append(f"binlog_format is {variables['binlog_format']}, expected {spec.binlog_format}")
    if not variables["server_id"] or variables["server_id"] == "0":
        found.problems.append("server_id is not set (replication clients need one)")
    found.steps.append(
        f"log_bin {variables['log_bin']}, binlog_format {variables['binlog_format']}, "
        f"server_id {variables['server_id']}"
    )
    return variables["log_bin"]


def _grants(spec: MysqlSpec, cur: Cursor, found: Findings) -> None:
    cdc = spec.cdc_user or spec.user
    cur.execute("SHOW GRANTS FOR %s@'%'", (cdc,))
    grants = " ".join(str(row[0]) for row in cur.fetchall()).upper()
    # MariaDB >= 10.5 shows REPLICATION CLIENT as BINLOG MONITOR (the same privilege, renamed)
    replication = "ALL PRIVILEGES ON *.*" in grants or (
        "REPLICATION SLAVE" in grants and ("REPLICATION CLIENT" in grants or "BINLOG MONITOR" in grants)
    )
    if replication:
        found.steps.append(f"{cdc} has replication privileges")
    else:
        found.problems.append(f"{cdc} lacks REPLICATION SLAVE / REPLICATION CLIENT")


def _row_change(spec: MysqlSpec, cur: Cursor, found: Findings) -> None:
    """A row written to a table of the probe's own shows in the binary log; the table is dropped."""
    table = f"validator_probe_{uuid.uuid4().hex[:8]}"
    database = spec.database or "mysql"
    cur.execute("SHOW MASTER STATUS")
    position = cur.fetchone()
    if position is None:
        found.problems.append("SHOW MASTER STATUS names no binary log position")
        return
    try:
        cur.execute(f"CREATE TABLE `{database}`.`{table}` (id INT PRIMARY KEY, v VARCHAR(16))")
        cur.execute(f"INSERT INTO `{database}`.`{table}` VALUES (1, 'cdc')")
        cur.execute(f"SHOW BINLOG EVENTS IN '{position[0]}' FROM {int(position[1])}")
        rows = cur.fetchall()
        kinds = {str(row[2]) for row in rows}
        mentions = any(table in str(row[5]) for row in rows)
        if mentions and any(k.startswith(("Write_rows", "Table_map")) for k in kinds):
            found.steps.append("a row insert shows in the binary log")
        else:
            found.problems.append(f"the insert into {table} is not in the binary log (events: {sorted(kinds)})")
    finally:
        cur.execute(f"DROP TABLE IF EXISTS `{database}`.`{table}`")
