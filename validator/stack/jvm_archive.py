"""A class-data archive (CDS, JDK 13+) for the Spark drivers this host starts: the Spark, Scala,
Hadoop and Delta-planning classes a driver loads, parsed and verified once and mapped by every later
driver JVM instead of read from 250 JARs again.

``python -m validator.stack.jvm_archive [spark-defaults.conf]`` (``scripts/bootstrap`` runs it) builds
the archive once: a local-mode driver with Delta runs a small Delta round (write, read, update,
delete, MERGE, history, change feed) and dumps the classes it loaded when its JVM exits. Later
drivers (the suite's session, the probes') get ``-XX:SharedArchiveFile`` when the archive exists.
The archive is keyed by the Java runtime, pyspark's JARs and the JVM flags, so a change to any of
them means a new file, and the JVM itself checks the archive against its class path: one that does
not match is ignored (``-Xshare:auto``, the default) and the driver loads its classes as before.
Nothing the drivers compute changes, only where their classes come from.

Measured with bench/driver_archive.py (the suite's driver start and first Delta write, alternating;
figures and load in bench/RESULTS.md, issue 23): 51.2 and 42.5 s with the archive against 64.8 and
69.5 s without, at a load average of 12-15; with the archive bootstrap builds, 30.4 against 34.8 s
(medians of 2, load 7): the gain is the CPU of class loading, so it grows with the load.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from validator.stack import spark as spark_settings
from validator.stack.maven import default_local_repository, resolve_packages
from validator.stack.spark import (
    QUIET,
    SHORT_LIVED_JVM,
    archive_path,
    build_session,
    read_defaults,
    remote_repositories,
    session_conf,
    with_resolution,
)


def build(defaults_file: Path | None) -> str:
    """Build the archive unless it exists; a one-line account of what happened."""
    home = spark_settings.java_home()  # through the module: tests replace it
    target = archive_path(home, SHORT_LIVED_JVM)
    if target is None:
        return "no Java runtime or no pyspark: no class archive"
    if target.is_file():
        return f"class archive {target} already built"
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="validator-jvm-archive-")
    partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.partial")
    try:
        defaults = read_defaults(defaults_file)
        conf = session_conf(
            master="local[1]", driver_host="127.0.0.1", app_name="validator-class-archive", defaults=defaults,
            delta=True, delta_jars=[], extra={}, scratch=scratch,
        )
        if "spark.jars.packages" in conf:
            resolution = resolve_packages(conf["spark.jars.packages"], default_local_repository(),
                                          remote_repositories(defaults))
            if resolution.problem:
                return f"no class archive: {resolution.problem}"
            conf = with_resolution(conf, resolution, scratch)
        conf["spark.driver.extraJavaOptions"] += f" -XX:ArchiveClassesAtExit={partial} {QUIET}"
        began = time.monotonic()
        spark = build_session(conf)
        _exercise(spark, os.path.join(scratch, "table"))
        if not _stop_and_wait(spark) or not partial.is_file() or partial.stat().st_size == 0:
            return "the driver JVM wrote no class archive"
        os.replace(partial, target)  # atomic: a driver never maps a half-written archive
        return f"class archive {target} built in {time.monotonic() - began:.0f}s"
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)


def _exercise(spark: Any, path: str) -> None:
    """What the suite's and the probes' drivers do, so that their classes are in the archive."""
    from delta.tables import DeltaTable

    spark.range(5).selectExpr("id", "id * 10 AS amount").write.format("delta").option(
        "delta.enableChangeDataFeed", "true"
    ).save(path)
    spark.range(5, 8).selectExpr("id", "id * 10 AS amount").write.format("delta").mode("append").save(path)
    table = DeltaTable.forPath(spark, path)
    table.update(condition="id = 1", set={"amount": "999"})
    table.delete("id = 2")
    changes = spark.range(3, 10).selectExpr("id", "id AS amount")
    table.alias("t").merge(changes.alias("s"), "t.id = s.id").whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
    table.history().collect()
    spark.read.format("delta").option("versionAsOf", 0).load(path).groupBy("amount").count().collect()
    spark.read.format("delta").option("readChangeFeed", "true").option("startingVersion", 0).load(path).collect()
    spark.sql(f"DESCRIBE DETAIL delta.`{path}`").collect()


def _stop_and_wait(spark: Any) -> bool:
    """Stop the session and wait for its JVM to exit: it writes the archive on the way out (the
    gateway exits when its standard input closes). False when the JVM did not end by itself."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    proc = getattr(gateway, "proc", None)
    spark.stop()
    if proc is None:
        return False
    if gateway is not None:
        gateway.shutdown()
    if proc.stdin is not None:
        proc.stdin.close()
    try:
        proc.wait(timeout=300)  # dumping some 15k classes takes seconds; a JVM stuck past 5 min is killed
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)
        return False
    finally:
        SparkContext._gateway = None
        SparkContext._jvm = None
    return bool(proc.returncode == 0)


def main(argv: list[str]) -> int:
    defaults = Path(argv[0]) if argv else None
    print(f"jvm_archive: {build(defaults)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
