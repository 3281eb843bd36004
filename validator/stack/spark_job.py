"""The Spark probe's job, run in a child process: ``python -m validator.stack.spark_job < JSON``.

Builds the session, runs a JVM-side count and a Python-side map on the executors, reads the
master UI while the application is alive, optionally runs a Delta round on a table in a folder the
driver and the executors share (``delta_round``), and prints one ``VALIDATOR-RESULT {json}`` line.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from typing import Any

from validator.stack.spark import build_session


def delta_round(spark: Any, path: str) -> dict[str, object]:
    """Write a Delta table with Change Data Feed on through the executors (version 0: ids 0-9 'a'),
    read it back, MERGE ids 5-14 'b' into it (version 1: 5 updated, 5 inserted), time-travel to
    version 0, read the change feed from version 0; what each step saw, for the probe to judge."""
    from delta.tables import DeltaTable  # here: Delta only when the job runs a Delta round

    began = time.monotonic()
    out: dict[str, object] = {}
    first = spark.range(10).selectExpr("id", "'a' AS value")
    first.write.format("delta").option("delta.enableChangeDataFeed", "true").save(path)
    out["rows"] = spark.read.format("delta").load(path).count()
    table = DeltaTable.forPath(spark, path)
    out["cdf_property"] = table.detail().collect()[0]["properties"].get("delta.enableChangeDataFeed")
    source = spark.range(5, 15).selectExpr("id", "'b' AS value")
    (
        table.alias("t")
        .merge(source.alias("s"), "t.id = s.id")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )
    merged = spark.read.format("delta").load(path)
    out["merged"] = {row["value"]: row["count"] for row in merged.groupBy("value").count().collect()}
    out["version_0"] = {
        row["value"]: row["count"]
        for row in spark.read.format("delta").option("versionAsOf", 0).load(path).groupBy("value").count().collect()
    }
    feed = spark.read.format("delta").option("readChangeFeed", "true").option("startingVersion", 0).load(path)
    out["change_feed"] = sorted(
        [row["_change_type"], row["_commit_version"], row["count"]]
        for row in feed.groupBy("_change_type", "_commit_version").count().collect()
    )
    out["history"] = [row["operation"] for row in table.history().orderBy("version").collect()]
    # who wrote the data files: executors in the containers run as another user than this driver
    owners = {os.stat(os.path.join(path, name)).st_uid for name in os.listdir(path) if name.endswith(".parquet")}
    out["data_file_owners"] = sorted(owners)
    out["driver_uid"] = os.getuid()
    out["delta_seconds"] = round(time.monotonic() - began, 2)
    return out


def main() -> int:
    args = json.loads(sys.stdin.read())
    result: dict[str, object] = {}
    began = time.monotonic()
    spark = build_session(args["conf"])
    result["session_seconds"] = round(time.monotonic() - began, 2)
    try:
        result["count"] = spark.range(1000).count()
        result["python_sum"] = spark.sparkContext.parallelize(range(100), 4).map(lambda x: x * 2).sum()
        result["job_seconds"] = round(time.monotonic() - began - float(result["session_seconds"]), 2)  # type: ignore[arg-type]
        if args.get("ui"):
            import requests  # here: only when the master UI is read

            state = requests.get(args["ui"].rstrip("/") + "/json/", timeout=10).json()
            result["alive_workers"] = state.get("aliveworkers", 0)
            result["apps"] = [app.get("name") for app in state.get("activeapps", [])]
        if args.get("delta_path"):
            path = f"{args['delta_path'].rstrip('/')}/validator_probe_{uuid.uuid4().hex[:8]}"
            try:
                result["delta"] = delta_round(spark, path)
            finally:
                if not args.get("keep"):
                    shutil.rmtree(path, ignore_errors=True)
    finally:
        spark.stop()
    print("VALIDATOR-RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
