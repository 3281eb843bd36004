"""``spark``: a pyspark session against the spec's master runs a job; the master UI lists the
application and alive workers; with ``delta: true`` the session is built with the Delta extension
and catalog and writes and reads back a Delta table."""

from typing import Literal

from pydantic import Field

from validator.core import children
from validator.core.metrics import Declared
from validator.probes.base import Outcome, ProbeContext, ProbeSpec
from validator.redact import quoted

METRICS = (
    Declared(field="session_seconds", dimension="time", meaning="seconds to get a SparkSession from the master"),
)


class Spec(ProbeSpec):
    kind: Literal["spark"]
    master: str = "spark://127.0.0.1:7077"
    ui: str = Field("http://127.0.0.1:8080", description="Master web UI (its /json/ endpoint is read).")
    min_workers: int = Field(1, ge=0)
    delta: bool = False
    delta_jars: list[str] = Field(
        default_factory=list, description="Local Delta JARs (spark.jars) when no Maven repository is reachable."
    )
    config_file: str | None = Field(None, description="spark-defaults.conf whose settings the session uses.")
    conf: dict[str, str] = Field(default_factory=dict, description="Further Spark settings for the session.")
    driver_host: str = Field(
        "auto", description="Address executors use to reach this driver ('auto': the Docker bridge gateway)."
    )
    warehouse: str | None = Field(
        None, description="Host folder for the Delta table (mounted into the workers at the same path)."
    )
    app_name: str = "validator-spark-probe"
    timeout: float = 180.0


def run(spec: Spec, ctx: ProbeContext) -> Outcome:
    import json
    import os
    import subprocess
    import sys
    import tempfile

    from validator.stack.spark import explain_failure, read_defaults, session_conf

    driver_host = spec.driver_host
    if driver_host == "auto":
        driver_host = ctx.host_address()
    config_file = ctx.base_dir / spec.config_file if spec.config_file else None
    defaults = read_defaults(config_file)
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
        warehouse = spec.warehouse or defaults.get("spark.sql.warehouse.dir") if spec.delta else None
        job = {
            "conf": conf,
            "ui": spec.ui if spec.min_workers else None,
            "delta_path": str(ctx.base_dir / warehouse) if warehouse else None,
        }
        timeout = max(5.0, ctx.remaining())
        # an owned process group: the driver JVM it starts is stopped with it, whatever ends the run
        proc = children.spawn(
            [sys.executable, "-m", "validator.stack.spark_job", json.dumps(job)],
            cwd=scratch,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            children.finish(proc, grace=0.0)
            output, _ = proc.communicate()
            return Outcome(False, "a Spark job runs", f"no result within {timeout:.0f}s", explain_failure(output, conf))
        finally:
            children.finish(proc)
    line = next((row for row in output.splitlines() if row.startswith("VALIDATOR-RESULT ")), None)
    what = "session, JVM and Python jobs" + (", a Delta table written and read" if spec.delta else "")
    if line is None:
        return Outcome(False, what, "failed", explain_failure(output, conf))
    result = json.loads(line[len("VALIDATOR-RESULT ") :])
    problems = []
    if result.get("count") != 1000 or result.get("python_sum") != 9900:
        problems.append(f"wrong job results {result.get('count')}, {result.get('python_sum')}")
    if spec.min_workers and result.get("alive_workers", 0) < spec.min_workers:
        problems.append(f"{result.get('alive_workers', 0)} alive worker(s) in the master UI, wanted {spec.min_workers}")
    if spec.min_workers and spec.app_name not in result.get("apps", []):
        problems.append(f"the master UI does not list the application {quoted(spec.app_name)}")
    if spec.delta and result.get("delta_rows") != 10:
        problems.append("the Delta table did not read back")
    actual = (
        f"session {result.get('session_seconds')}s, jobs {result.get('job_seconds')}s, "
        f"{result.get('alive_workers', '?')} worker(s)"
    )
    # a session that was never built has no time (0 would read as an instant session)
    seconds = result.get("session_seconds")
    metrics = {"session_seconds": float(seconds)} if isinstance(seconds, int | float) else {}
    return Outcome(not problems, what, actual, "; ".join(problems), metrics)
