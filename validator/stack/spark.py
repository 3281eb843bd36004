"""Spark sessions for a pyspark driver on the host against a standalone cluster in containers.

Executors connect back to the driver, so the driver listens on the address containers reach the
host by (the Docker bridge gateway, ``host-gateway``); everything else stays on 127.0.0.1. The
settings come from the spec's spark-defaults.conf, so tests and probes use what the cluster uses.

Delta tables: the driver (this host) writes a table's log, the executors (containers) its data
files, both under the one path the driver names, so a table lives in a folder the Spark containers
mount at the same absolute path as on the host (``shared_folders``). The driver resolves Delta's
package from the Maven local repository through Ivy settings of our own (``validator.stack.maven``).
"""

from __future__ import annotations

import glob
import hashlib
import importlib.metadata
import importlib.util
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validator.formats import parse_properties
from validator.redact import clip
from validator.stack.maven import FIX, MAVEN_CENTRAL, Resolution, delta_package, installed_delta_version

if TYPE_CHECKING:
    from validator.spec.model import Spec

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
    return parse_properties(path.read_text(encoding="utf-8"))


def session_conf(
    *,
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
            "spark.ui.showConsoleProgress": "false",
        }
    )
    for key in ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions"):
        conf[key] = " ".join(filter(None, (SHORT_LIVED_JVM, defaults.get(key, ""))))
    archive = driver_archive_options(java_home(), SHORT_LIVED_JVM)  # the driver's classes, when bootstrap built it
    if archive:
        conf["spark.driver.extraJavaOptions"] += " " + archive
    if delta:
        for key in ("spark.sql.extensions", "spark.sql.catalog.spark_catalog"):
            if key in defaults:
                conf[key] = defaults[key]
        conf.setdefault("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        conf.setdefault("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        if delta_jars:
            conf["spark.jars"] = ",".join(delta_jars)
        else:
            conf["spark.jars.packages"] = defaults.get("spark.jars.packages") or delta_package(
                installed_delta_version()
            )
        conf.update(DELTA_TUNING)
    conf.update(extra)
    return conf


# The driver and executors of a probe or a test session live for seconds to minutes on tiny data:
# C1 alone compiles fast enough and C2's compile threads only take CPU from them on a 2-core
# machine; the serial collector suits a 1 GB heap. bench/delta_round.py (the spark-delta probe's
# job, alternating with and without them, medians of 3, load 45 -> 21): 132 s against 221 s (0.60).
SHORT_LIVED_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"

# Settings of a Delta session between this host and the containers, each for a measured reason:
DELTA_TUNING = {
    # The driver (root here) creates a table's folders, the executors (the image's user, uid 185)
    # write data files into them: Hadoop's default umask 022 leaves them unwritable to the executors.
    "spark.hadoop.fs.permissions.umask-mode": "000",
    # Delta replays a table's log in 50 tasks by default; on the tests' one-core worker that costs
    # seconds per read of a tiny table.
    "spark.databricks.delta.snapshotPartitions": "2",
}


# The drivers' class-data archive (built by validator.stack.jvm_archive, which says why).
# Quiet: a missing or mismatched archive is not an error (the JVM runs without it), and the JVM
# would otherwise print CDS warnings into the driver's output.
QUIET = "-Xlog:cds=off -Xlog:cds+dynamic=off"


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "validator" / "jvm"


def archive_path(home: str | None, flags: str) -> Path | None:
    """Where the archive for this Java runtime, pyspark's JARs and ``flags`` lives; None without a
    Java home or pyspark (no driver starts then anyway)."""
    if not home:
        return None
    # found, not imported: the probes' process only names the settings, the driver's process imports pyspark
    found = importlib.util.find_spec("pyspark")
    if found is None or found.origin is None:
        return None
    jars = Path(found.origin).parent / "jars"
    digest = hashlib.blake2b(digest_size=8)  # 16 hex digits name the file
    digest.update(os.path.realpath(home).encode())
    release = Path(home) / "release"
    digest.update(release.read_bytes() if release.is_file() else b"")
    digest.update(importlib.metadata.version("pyspark").encode())
    digest.update("\n".join(sorted(p.name for p in jars.glob("*.jar"))).encode())
    digest.update(flags.encode())
    return cache_folder() / f"driver-{digest.hexdigest()}.jsa"


def driver_archive_options(home: str | None, flags: str) -> str:
    """JVM options that map the archive, when it exists; else none."""
    path = archive_path(home, flags)
    if path is None or not path.is_file():
        return ""
    return f"-XX:SharedArchiveFile={path} {QUIET}"


def remote_repositories(defaults: dict[str, str]) -> list[str]:
    """Where the driver may fetch packages the local repository lacks: spark.jars.repositories of
    the config file, else Maven Central (Spark's own default)."""
    given = [url.strip() for url in defaults.get("spark.jars.repositories", "").split(",") if url.strip()]
    return given or [MAVEN_CENTRAL]


def with_resolution(conf: dict[str, str], resolution: Resolution, scratch: str) -> dict[str, str]:
    """The session's settings with Ivy settings that resolve from where ``resolution`` found the
    package: the local repository alone (no network at all) or it and the remote that served it."""
    path = os.path.join(scratch, "ivysettings.xml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(resolution.ivy_settings())
    out = {k: v for k, v in conf.items() if k != "spark.jars.repositories"}  # in the settings, when needed
    out["spark.jars.ivySettings"] = path
    return out


def shared_folders(spec: Spec, base_dir: Path, services: list[str]) -> list[Path]:
    """Host folders that ``services`` mount at the same absolute path: a path there means the same
    files to a driver on this host and to executors in those containers."""
    found: list[Path] = []
    for name in services:
        service = spec.services.get(name)
        for mount in service.volumes if service else []:
            if mount.type != "bind" or not mount.source:
                continue
            source = (base_dir / os.path.expanduser(mount.source)).resolve()
            if str(source) == os.path.normpath(mount.target) and source not in found:
                found.append(source)
    return found


def build_session(conf: dict[str, str]) -> Any:
    """A session with ``conf``, given to ``spark-submit`` in a properties file of a private folder (0600),
    never as its arguments: pyspark turns every setting of the builder into ``--conf key=value`` on the
    command line of spark-submit and of the JVM it starts, where every local user reads it
    (``/proc/PID/cmdline``), and the settings may hold passwords (an S3 secret key). The file is
    removed once the session runs (spark-submit has read it)."""
    from pyspark.sql import SparkSession  # here: pyspark (and a JVM) only where a session is built

    home = java_home()
    if home:
        os.environ["JAVA_HOME"] = home
    folder = tempfile.mkdtemp(prefix="validator-spark-")  # 0700
    path = Path(folder) / "spark.properties"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(properties(conf))
    given = os.environ.get("PYSPARK_SUBMIT_ARGS")
    os.environ["PYSPARK_SUBMIT_ARGS"] = f"--properties-file {shlex.quote(str(path))} {given or 'pyspark-shell'}"
    try:
        return SparkSession.builder.getOrCreate()
    finally:
        if given is None:
            os.environ.pop("PYSPARK_SUBMIT_ARGS", None)
        else:
            os.environ["PYSPARK_SUBMIT_ARGS"] = given
        shutil.rmtree(folder, ignore_errors=True)


def properties(conf: dict[str, str]) -> str:
    """``conf`` as a Java properties file (``Properties.load``'s escapes: every character that could end
    a key or a value, or start a comment, behind a backslash)."""
    special = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}
    special.update({c: "\\" + c for c in " =:#!"})
    table = str.maketrans(special)
    return "".join(f"{key.translate(table)}={value.translate(table)}\n" for key, value in conf.items())


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
        return f"the Delta Lake package {packages} could not be resolved: no Maven repository is reachable. {FIX}"
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
