"""``mysql``: connect with mysql-connector-python; server version; ``log_bin`` ON, ``binlog_format``
ROW, a ``server_id``; the CDC user's replication privileges; a row change shows in the binary log."""

import re
import uuid

from validator.probes.base import Findings, Outcome, ProbeContext
from validator.probes.seams import Cursor
from validator.redact import clip
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
            _row_change(spec, ctx, cur, found)
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
    missing = missing_replication_privileges([str(row[0]) for row in cur.fetchall()])
    if missing:
        found.problems.append(f"{cdc} lacks {' and '.join(missing)} on *.*")
    else:
        found.steps.append(f"{cdc} has replication privileges")


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


def _row_change(spec: MysqlSpec, ctx: ProbeContext, cur: Cursor, found: Findings) -> None:
    """A row written to a table of the probe's own, read back from the binary log as a replication
    client with the CDC user's credentials (what a CDC pipeline does); the table is dropped."""
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
        found.problems.extend(_read_back(spec, ctx, (str(position[0]), int(position[1])), database, table, found.steps))
    finally:
        cur.execute(f"DROP TABLE IF EXISTS `{database}`.`{table}`")


def _read_back(
    spec: MysqlSpec, ctx: ProbeContext, start: tuple[str, int], database: str, table: str, steps: list[str]
) -> list[str]:
    """The insert into ``table`` read from the binary log as the CDC user; the problems found."""
    cdc = spec.cdc_user or spec.user
    password = spec.cdc_password if spec.cdc_user else spec.password
    try:
        inserts = ctx.mysql.binlog_inserts(
            host=spec.host,
            port=spec.port,
            user=cdc,
            password=password or "",
            start=start,
            database=database,
            table=table,
        )
    except OSError as error:
        return [f"{cdc} cannot read the binary log as a replication client: {clip(str(error), 200)}"]
    if not inserts:
        return [f"the insert into {table} is not in the binary log read as {cdc}"]
    steps.append(f"a row insert read back from the binary log as {cdc}")
    return []
