"""The Spark probe's job, run in a child process: ``python -m validator.stack.spark_job JSON``.

Builds the session, runs a JVM-side count and a Python-side map on the executors, reads the
master UI while the application is alive, optionally writes and reads back a Delta table, and
prints one ``VALIDATOR-RESULT {json}`` line.
"""

from __future__ import annotations

import json
import sys
import time
import uuid


def main(argv: list[str]) -> int:
    args = json.loads(argv[0])
    from validator.stack.spark import build_session

    result: dict[str, object] = {}
    began = time.monotonic()
    spark = build_session(args["conf"])
    result["session_seconds"] = round(time.monotonic() - began, 2)
    try:
        result["count"] = spark.range(1000).count()
        result["python_sum"] = spark.sparkContext.parallelize(range(100), 4).map(lambda x: x * 2).sum()
        result["job_seconds"] = round(time.monotonic() - began - float(result["session_seconds"]), 2)  # type: ignore[arg-type]
        if args.get("ui"):
            import requests

            state = requests.get(args["ui"].rstrip("/") + "/json/", timeout=10).json()
            result["alive_workers"] = state.get("aliveworkers", 0)
            result["apps"] = [app.get("name") for app in state.get("activeapps", [])]
        if args.get("delta_path"):
            path = f"{args['delta_path'].rstrip('/')}/validator_probe_{uuid.uuid4().hex[:8]}"
            spark.range(10).write.format("delta").save(path)
            result["delta_rows"] = spark.read.format("delta").load(path).count()
            import shutil

            shutil.rmtree(path, ignore_errors=True)
    finally:
        spark.stop()
    print("VALIDATOR-RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
