"""``spark``: a pyspark session against the spec's master runs a job; the master UI lists the
application and alive workers. With ``delta: true``, first a resolution stage: the Delta package
(``spark.jars.packages``) must resolve from the Maven local repository or a reachable remote one,
else the probe fails at once with the reason and the fix, without starting Spark. Then the session
is built with the Delta extension and catalog and runs a Delta round on the cluster: a table with
Change Data Feed written through the executors, read back, MERGEd into, time-travelled to version 0
and its change feed read."""

from typing import Any, Literal

from pydantic import Field

from validator.core.metrics import Declared
from validator.probes.base import Outcome, ProbeContext, ProbeSpec

METRICS = (Declared("session_seconds", "time", "seconds to get a SparkSession from the master"),)

# What the Delta round must see (spark_job.delta_round writes ids 0-9 'a', then MERGEs ids 5-14 'b').
DELTA_EXPECTED = {
    "rows": 10,
    "cdf_property": "true",
    "merged": {"a": 5, "b": 10},
    "version_0": {"a": 10},
    "change_feed": [["insert", 0, 10], ["insert", 1, 5], ["update_postimage", 1, 5], ["update_preimage", 1, 5]],
    "history": ["WRITE", "MERGE"],
}


class Spec(ProbeSpec):
    kind: Literal["spark"]
    master: str = "spark://127.0.0.1:7077"
    ui: str = Field("http://127.0.0.1:8080", description="Master web UI (its /json/ endpoint is read).")
    min_workers: int = Field(1, ge=0)
    delta: bool = False
    delta_jars: list[str] = Field(
        default_factory=list, description="Local Delta JARs (spark.jars) when no Maven repository is reachable."
    )
    maven_local: str | None = Field(
        None,
        description="Maven local repository the driver resolves the Delta package from (default ~/.m2/repository).",
    )
    repositories: list[str] | None = Field(
        None,
        description="Remote Maven repositories tried when the local one lacks the package "
        "(default: spark.jars.repositories of config_file, else Maven Central).",
    )
    config_file: str | None = Field(None, description="spark-defaults.conf whose settings the session uses.")
    conf: dict[str, str] = Field(default_factory=dict, description="Further Spark settings for the session.")
    driver_host: str = Field(
        "auto", description="Address executors use to reach this driver ('auto': the Docker bridge gateway)."
    )
    warehouse: str | None = Field(
        None,
        description="Host folder for the Delta table, mounted in the workers at the same absolute path "
        "(default: the folder the probe's service mounts that way).",
    )
    app_name: str = "validator-spark-probe"
    timeout: float = 180.0


def run(spec: Spec, ctx: ProbeContext) -> Outcome:
    import tempfile

    from validator.stack.maven import default_local_repository, resolve_packages
    from validator.stack.spark import read_defaults, remote_repositories, session_conf, with_resolution

    driver_host = spec.driver_host
    if driver_host == "auto":
        driver_host = ctx.host_address()
    config_file = ctx.base_dir / spec.config_file if spec.config_file else None
    defaults = read_defaults(config_file)
    folder = _delta_folder(spec, ctx) if spec.delta else None
    if spec.delta and folder is None:
        return Outcome(
            False,
            "a folder the driver and the executors share",
            "none",
            f"no folder for the Delta table: mount one in service {spec.service!r} at the same absolute path as on "
            "this host (e.g. /var/tmp/delta:/var/tmp/delta), or set the probe's warehouse to such a folder",
        )
    with tempfile.TemporaryDirectory(prefix="validator-spark-") as scratch:
        conf = session_conf(
            spec.master,
            driver_host,
            spec.app_name,
            defaults,
            spec.delta,
            [str(ctx.base_dir / jar) for jar in spec.delta_jars],
            spec.conf,
            scratch,
        )
        if "spark.jars.packages" in conf:
            local = ctx.base_dir / spec.maven_local if spec.maven_local else default_local_repository()
            remotes = spec.repositories if spec.repositories is not None else remote_repositories(defaults)
            resolution = resolve_packages(conf["spark.jars.packages"], local, remotes, min(10.0, ctx.remaining()))
            if resolution.problem:
                return Outcome(False, f"{conf['spark.jars.packages']} resolves", "unresolvable", resolution.problem)
            conf = with_resolution(conf, resolution, scratch)
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        job = {
            "conf": conf,
            "ui": spec.ui if spec.min_workers else None,
            "delta_path": str(folder) if folder else None,
        }
        result, failure = _run_job(job, scratch, max(5.0, ctx.remaining()))
    what = "session, JVM and Python jobs" + (
        ", a Delta table written, read, MERGEd, time-travelled and its change feed read" if spec.delta else ""
    )
    if result is None:
        return Outcome(False, what, "failed", failure)
    problems = _problems(spec, result)
    actual = (
        f"session {result.get('session_seconds')}s, jobs {result.get('job_seconds')}s, "
        f"{result.get('alive_workers', '?')} worker(s)"
    )
    if spec.delta and isinstance(result.get("delta"), dict):
        actual += f", Delta round {result['delta'].get('delta_seconds')}s"
    # a session that was never built has no time (0 would read as an instant session)
    seconds = result.get("session_seconds")
    metrics = {"session_seconds": float(seconds)} if isinstance(seconds, int | float) else {}
    return Outcome(not problems, what, actual, "; ".join(problems), metrics)


def _delta_folder(spec: Spec, ctx: ProbeContext) -> Any:
    from validator.stack.spark import shared_folders

    if spec.warehouse:
        return ctx.base_dir / spec.warehouse
    found = shared_folders(ctx.spec, ctx.base_dir, [spec.service] if spec.service else list(ctx.spec.services))
    return found[0] if found else None


def _run_job(job: dict[str, Any], scratch: str, timeout: float) -> tuple[dict[str, Any] | None, str]:
    """The job's result line, or None and a one-line reason (never a Java trace)."""
    import json
    import os
    import signal
    import subprocess
    import sys

    from validator.stack.spark import explain_failure

    proc = subprocess.Popen(
        [sys.executable, "-m", "validator.stack.spark_job", json.dumps(job)],
        cwd=scratch,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        return None, f"no result within {timeout:.0f}s: " + explain_failure(output, job["conf"])
    line = next((row for row in output.splitlines() if row.startswith("VALIDATOR-RESULT ")), None)
    if line is None:
        return None, explain_failure(output, job["conf"])
    result: dict[str, Any] = json.loads(line[len("VALIDATOR-RESULT ") :])
    return result, ""


def _problems(spec: Spec, result: dict[str, Any]) -> list[str]:
    problems = []
    if result.get("count") != 1000 or result.get("python_sum") != 9900:
        problems.append(f"wrong job results {result.get('count')}, {result.get('python_sum')}")
    if spec.min_workers and result.get("alive_workers", 0) < spec.min_workers:
        problems.append(f"{result.get('alive_workers', 0)} alive worker(s) in the master UI, wanted {spec.min_workers}")
    if spec.min_workers and spec.app_name not in result.get("apps", []):
        problems.append(f"the master UI does not list the application {spec.app_name!r}")
    if spec.delta:
        delta = result.get("delta") or {}
        for key, wanted in DELTA_EXPECTED.items():
            if delta.get(key) != wanted:
                problems.append(f"Delta {key.replace('_', ' ')}: {delta.get(key)!r}, expected {wanted!r}")
    return problems
