"""The Spark probe's job (``python -m validator.stack.spark_job < JSON`` runs it alone).

In a session of its driver (``validator.stack.spark_host``, which may run the ``cdc`` probe's job
in the same session next): runs a JVM-side count and a Python-side map on the executors, reads the
master UI while the application is alive, optionally runs a Delta round on a table in a folder the
driver and the executors share (``delta_round``); the host prints one ``VALIDATOR-RESULT {json}`` line.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from typing import Any


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


def run(spark: Any, args: dict[str, Any]) -> dict[str, object]:
    """The job in a session of its driver (``validator.stack.spark_host``, which adds the session's time)."""
    result: dict[str, object] = {}
    began = time.monotonic()
    result["count"] = spark.range(1000).count()
    result["python_sum"] = spark.sparkContext.parallelize(range(100), 4).map(lambda x: x * 2).sum()
    result["job_seconds"] = round(time.monotonic() - began, 2)
    if args.get("ui"):
        from validator import direct_http  # here: requests loads only when the master UI is read

        # the master's own UI, never an environment proxy's answer for it (validator.direct_http)
        state = direct_http.session().get(args["ui"].rstrip("/") + "/json/", timeout=10).json()
        result["alive_workers"] = state.get("aliveworkers", 0)
        result["apps"] = [app.get("name") for app in state.get("activeapps", [])]
        result["app_ids"] = [app.get("id") for app in state.get("activeapps", [])]
    if args.get("delta_path"):
        path = f"{args['delta_path'].rstrip('/')}/validator_probe_{uuid.uuid4().hex[:8]}"
        try:
            result["delta"] = delta_round(spark, path)
        finally:
            if not args.get("keep"):
                shutil.rmtree(path, ignore_errors=True)
    return result


def main() -> int:
    """``python -m validator.stack.spark_job < JSON``: this job alone in a driver of its own."""
    from validator.stack.spark_host import serve

    return serve([json.dumps({"module": "validator.stack.spark_job", "job": json.loads(sys.stdin.read())})], sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
