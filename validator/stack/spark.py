"""Spark sessions for a pyspark driver on the host against a standalone cluster in containers.

Executors connect back to the driver, so the driver listens on the address containers reach the
host by (the Docker bridge gateway, ``host-gateway``); everything else stays on 127.0.0.1. The
settings come from the spec's spark-defaults.conf, so tests and probes use what the cluster uses.
"""

from __future__ import annotations

import glob
import os
import sys
from pathlib import Path
from typing import Any

from validator.redact import clip

DELTA_KEYS = ("spark.sql.extensions", "spark.sql.catalog.spark_catalog", "spark.jars.packages")


def java_home() -> str | None:
    """JAVA_HOME if set, else a Java 17 (Spark 3.5 runs on 8/11/17; a newer default java breaks it)."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    for pattern in ("/usr/lib/jvm/java-17-openjdk*", "/usr/lib/jvm/temurin-17*", "/usr/lib/jvm/java-1.17*"):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


def read_defaults(path: Path | None) -> dict[str, str]:
    if path is None or not path.is_file():
        return {}
    from validator.formats import parse_properties

    return parse_properties(path.read_text(encoding="utf-8"))


def session_conf(
    master: str,
    driver_host: str,
    app_name: str,
    defaults: dict[str, str],
    delta: bool,
    delta_jars: list[str],
    extra: dict[str, str],
    scratch: str,
) -> dict[str, str]:
    """Every setting of the session, as a plain dict (unit-testable, and printed on failure)."""
    conf = {k: v for k, v in defaults.items() if k not in DELTA_KEYS and not k.startswith("spark.sql.warehouse")}
    conf.update(
        {
            "spark.master": master,
            "spark.app.name": app_name,
            "spark.driver.host": driver_host,
            "spark.driver.bindAddress": driver_host,
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "4",
            "spark.pyspark.python": "python3",
            "spark.pyspark.driver.python": sys.executable,
            "spark.jars.ivy": os.path.join(scratch, "ivy"),
            "spark.local.dir": os.path.join(scratch, "local"),
            "spark.network.timeout": "60s",
        }
    )
    if delta:
        for key in ("spark.sql.extensions", "spark.sql.catalog.spark_catalog"):
            if key in defaults:
                conf[key] = defaults[key]
        conf.setdefault("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        conf.setdefault("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        if delta_jars:
            conf["spark.jars"] = ",".join(delta_jars)
        else:
            conf["spark.jars.packages"] = defaults.get("spark.jars.packages") or delta_package()
    conf.update(extra)
    return conf


def delta_package() -> str:
    """The Maven coordinate delta-spark's own helper would add (matches the installed delta-spark)."""
    from importlib.metadata import version

    return f"io.delta:delta-spark_2.12:{version('delta-spark')}"


def build_session(conf: dict[str, str]) -> Any:
    from pyspark.sql import SparkSession

    home = java_home()
    if home:
        os.environ["JAVA_HOME"] = home
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    if "spark.jars.packages" in conf and conf["spark.jars.packages"].startswith("io.delta:"):
        from delta import configure_spark_with_delta_pip

        builder = configure_spark_with_delta_pip(builder)
        builder = builder.config("spark.jars.packages", conf["spark.jars.packages"])
    return builder.getOrCreate()


def explain_failure(output: str, conf: dict[str, str]) -> str:
    """One clean sentence from a JVM's output: never a raw Java trace."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    text = "\n".join(lines)
    packages = conf.get("spark.jars.packages", "")
    if packages and (
        "unresolved dependency" in text
        or "UnknownHostException" in text
        or ("Connection refused" in text and "maven" in text.lower())
    ):
        return (
            f"the Delta Lake JAR {packages} could not be resolved: no Maven repository is reachable. Fix: point "
            f"the probe's delta_jars (spark.jars) at local delta-spark and delta-storage JARs, or make a repository "
            f"reachable (spark.jars.repositories)"
        )
    if "Initial job has not accepted any resources" in text:
        return (
            "the cluster gave this driver no executors: check that a worker is ALIVE with enough memory and "
            f"can reach the driver at {conf.get('spark.driver.host')}"
        )
    if "Java gateway process exited" in text or "JAVA_HOME" in text:
        return "the Spark driver JVM did not start: " + _first_error(lines)
    return _first_error(lines) or "the Spark job failed without output"


def _first_error(lines: list[str]) -> str:
    for line in lines:
        if any(word in line for word in ("Exception", "Error", "error:")) and not line.startswith("at "):
            return clip(line, 300)
    return clip(lines[-1], 300) if lines else ""
