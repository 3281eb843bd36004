"""A Spark driver for the probes' jobs, in a child process: ``python -m validator.stack.spark_host``.

It reads one JSON request a line (``{"module": ..., "job": {...}}``), builds the session from the
first request's ``conf``, runs ``module.run(spark, job)`` for each request in that one session and
prints one ``VALIDATOR-RESULT {json}`` line per request; at the end of its input it stops the
session. One driver JVM and one executor for several probes' jobs (``validator.probes.seams
.SharedSparkJobs``) instead of one each: on the stack's worker an application pays a driver JVM, an
executor JVM and Delta's first use on that executor, 15-30 s, before its first result.

Only the request whose job built the session gets ``session_seconds``; later ones say
``session_reused``. A job that raises ends the host (its session may be unusable): the error goes
to the output for the parent to explain, and the next request starts a fresh driver.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from typing import Any

from validator.stack.spark import build_session


def serve(lines: Any, out: Any) -> int:
    spark = None
    try:
        for line in lines:
            if not line.strip():
                continue
            request = json.loads(line)
            result: dict[str, Any] = {}
            if spark is None:
                began = time.monotonic()
                spark = build_session(request["job"]["conf"])
                result["session_seconds"] = round(time.monotonic() - began, 2)
            else:
                result["session_reused"] = True
            result["app_id"] = spark.sparkContext.applicationId
            module = importlib.import_module(request["module"])
            result.update(module.run(spark, request["job"]))
            out.write("VALIDATOR-RESULT " + json.dumps(result) + "\n")
            out.flush()
    finally:
        if spark is not None:
            spark.stop()
    return 0


def main() -> int:
    return serve(sys.stdin, sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
