"""The ``cdc`` probe's job, in a session of its driver (``validator.stack.spark_host``, possibly the
one the ``spark`` probe's job ran in just before; ``python -m validator.stack.cdc_job < JSON`` runs it alone).

The CDC path end to end: a Spark session with Delta on the cluster; a fresh MySQL table and a
Delta table with Change Data Feed; then batches of row changes in MySQL (inserts; then updates, a
delete and an insert), each read back from the binary log with ``mysql-replication`` as a
replication client with the CDC user's credentials, and MERGEd into the Delta table. After each
batch the Delta table must equal the MySQL table, and the change feed of that batch's Delta version
must name the keys the binary log named. The binlog-to-Delta time of a batch runs from its last
MySQL commit to its MERGE's Delta commit (reading the binary log, shipping the rows to the
cluster, the MERGE), with the application's executors already granted, as a running pipeline's are
(an empty MERGE before the first batch): it never includes a JVM's start, whether this job's driver
was started for it or shared. Returns what it saw; removes both tables.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

COLUMNS = ("id", "name", "amount")
# Each batch is one MySQL transaction's worth of statements; %(t)s is the table.
BATCHES: tuple[tuple[str, ...], ...] = (
    ("INSERT INTO `%(t)s` VALUES (1, 'ada', 10), (2, 'bob', 20), (3, 'cy', 30), (4, 'di', 40), (5, 'ed', 50)",),
    (
        "UPDATE `%(t)s` SET amount = amount + 100 WHERE id IN (2, 4)",
        "DELETE FROM `%(t)s` WHERE id = 3",
        "INSERT INTO `%(t)s` VALUES (6, 'flo', 60)",
        "UPDATE `%(t)s` SET name = 'eddie' WHERE id = 5",
    ),
)

# The change kinds each batch's Delta version must show in its change feed (Change Data Feed's
# _change_type): the first only inserts; the second updates (pre- and post-images), deletes, inserts.
FEED_KINDS: tuple[tuple[str, ...], ...] = (
    ("insert",),
    ("delete", "insert", "update_postimage", "update_preimage"),
)


@dataclass(frozen=True, kw_only=True)
class Change:
    """One row event of the binary log, in log order."""

    seq: int
    op: str  # "insert", "update", "delete"
    row: tuple[Any, ...]  # the row after the change (before it, for a delete)


def binlog_changes(settings: dict[str, Any], start: tuple[str, int], schema: str, table: str) -> list[Change]:
    """The row events of ``schema.table`` in the binary log from ``start`` to its end, read as a
    replication client (REPLICATION SLAVE/CLIENT); non-blocking: stops at the end of the log."""
    # here: the replication client only in the job's own process
    from pymysqlreplication import BinLogStreamReader
    from pymysqlreplication.row_event import DeleteRowsEvent, UpdateRowsEvent, WriteRowsEvent

    stream = BinLogStreamReader(
        connection_settings=settings,
        # a replica's id must be unique among the server's replicas: a random one per read
        server_id=random.randint(100_000, 2**31 - 1),
        log_file=start[0],
        log_pos=start[1],
        resume_stream=True,
        blocking=False,
        only_events=[WriteRowsEvent, UpdateRowsEvent, DeleteRowsEvent],
        only_schemas=[schema],
        only_tables=[table],
        enable_logging=False,
    )
    changes: list[Change] = []
    try:
        for event in stream:
            for row in event.rows:
                if isinstance(event, WriteRowsEvent):
                    op, values = "insert", row["values"]
                elif isinstance(event, UpdateRowsEvent):
                    op, values = "update", row["after_values"]
                else:
                    op, values = "delete", row["values"]
                changes.append(Change(seq=len(changes), op=op, row=_in_order(values)))
    finally:
        stream.close()
    return changes


def _in_order(values: dict[str, Any]) -> tuple[Any, ...]:
    """A row event's values as (id, name, amount). The names come with the event only when the
    server logs them (binlog_row_metadata=FULL; MySQL's and MariaDB's default is MINIMAL/NO_LOG),
    else they read UNKNOWN_COL0.. in the table's column order, which is ours (the probe made it)."""
    if all(column in values for column in COLUMNS):
        return tuple(values[column] for column in COLUMNS)
    return tuple(values.values())[: len(COLUMNS)]


def merge_changes(spark: Any, path: str, changes: list[Change]) -> None:
    """MERGE the changes into the Delta table: the last change of each key wins; a delete deletes,
    anything else upserts."""
    from delta.tables import DeltaTable  # here: Spark and Delta only in the job's process
    from pyspark.sql import Window, functions

    rows = [(c.seq, c.op, *c.row) for c in changes]
    frame = spark.createDataFrame(rows, "seq INT, op STRING, id INT, name STRING, amount INT")
    latest = (
        frame.withColumn("n", functions.row_number().over(Window.partitionBy("id").orderBy(functions.desc("seq"))))
        .where("n = 1")
        .drop("n", "seq")
    )
    values: dict[str, Any] = {c: f"s.{c}" for c in COLUMNS}
    (
        DeltaTable.forPath(spark, path)
        .alias("t")
        .merge(latest.alias("s"), "t.id = s.id")
        .whenMatchedDelete(condition="s.op = 'delete'")
        .whenMatchedUpdate(condition="s.op <> 'delete'", set=values)
        .whenNotMatchedInsert(condition="s.op <> 'delete'", values=values)
        .execute()
    )


def master_position(cursor: Any) -> tuple[str, int]:
    cursor.execute("SHOW MASTER STATUS")
    row = cursor.fetchone()
    return str(row[0]), int(row[1])


def connect(db: dict[str, Any], attempts: int = 30) -> Any:
    """A MySQL connection, retried once a second for a while: the probe starts when its Spark worker
    is ready, and MySQL may still be initialising then."""
    import mysql.connector  # here: the driver only in the job's process

    for attempt in range(attempts):
        try:
            return mysql.connector.connect(
                host=db["host"],
                port=db["port"],
                user=db["user"],
                password=db["password"],
                database=db["database"],
                connection_timeout=10,
            )
        except mysql.connector.Error:
            if attempt == attempts - 1:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


def run_batches(spark: Any, conn: Any, db: dict[str, Any], table: str, path: str) -> dict[str, Any]:
    from delta.tables import DeltaTable  # here: Delta only in the job's process

    replication = {"host": db["host"], "port": db["port"], "user": db["cdc_user"], "passwd": db["cdc_password"]}
    batches: list[dict[str, Any]] = []
    try:
        cursor = conn.cursor()
        cursor.execute(f"CREATE TABLE `{table}` (id INT PRIMARY KEY, name VARCHAR(32), amount INT)")
        conn.commit()
        spark.sql(
            f"CREATE TABLE delta.`{path}` (id INT, name STRING, amount INT) USING delta "
            "TBLPROPERTIES (delta.enableChangeDataFeed = true)"
        )
        # a CDC pipeline's job runs before the changes it ships: its executors granted and Delta's MERGE
        # loaded on them. An empty MERGE does that here, so a batch's time is the path's (binlog, rows,
        # MERGE), not the time a shared one-core worker takes to grant this application an executor
        merge_changes(spark, path, [])
        for statements in BATCHES:
            start = master_position(cursor)
            for statement in statements:
                cursor.execute(statement % {"t": table})
            conn.commit()
            committed = time.monotonic()
            changes = binlog_changes(replication, start, db["database"], table)
            merge_changes(spark, path, changes)
            merged = time.monotonic()
            version = DeltaTable.forPath(spark, path).history(1).collect()[0]["version"]
            cursor.execute(f"SELECT id, name, amount FROM `{table}` ORDER BY id")
            mysql_rows = [list(row) for row in cursor.fetchall()]
            delta_rows = [list(row) for row in spark.read.format("delta").load(path).orderBy("id").collect()]
            feed = (
                spark.read.format("delta")
                .option("readChangeFeed", "true")
                .option("startingVersion", version)
                .option("endingVersion", version)
                .load(path)
                .collect()
            )
            batches.append(
                {
                    "events": len(changes),
                    "binlog_keys": sorted({c.row[0] for c in changes}),
                    "feed_keys": sorted({row["id"] for row in feed}),
                    "feed_kinds": sorted({row["_change_type"] for row in feed}),
                    "mysql_rows": mysql_rows,
                    "delta_rows": delta_rows,
                    "seconds": round(merged - committed, 3),
                }
            )
    finally:
        try:
            conn.cursor().execute(f"DROP TABLE IF EXISTS `{table}`")
        finally:
            conn.close()
    return {"batches": batches}


def run(spark: Any, args: dict[str, Any]) -> dict[str, Any]:
    """The job in a session of its driver (``validator.stack.spark_host``): its own tables, removed after."""
    conn = connect(args["mysql"])
    suffix = uuid.uuid4().hex[:8]
    path = f"{args['delta_path'].rstrip('/')}/validator_cdc_{suffix}"
    try:
        return run_batches(spark, conn, args["mysql"], f"validator_cdc_{suffix}", path)
    finally:
        if not args.get("keep"):
            shutil.rmtree(path, ignore_errors=True)


def main() -> int:
    """``python -m validator.stack.cdc_job < JSON``: this job alone in a driver of its own."""
    from validator.stack.spark_host import serve

    return serve([json.dumps({"module": "validator.stack.cdc_job", "job": json.loads(sys.stdin.read())})], sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
