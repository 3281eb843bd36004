"""``cdc``: the CDC path end to end — row changes in MySQL (inserts, updates, a delete), read from the
binary log with ``mysql-replication`` as a replication client with the CDC user's credentials,
MERGEd into a Delta table on the Spark cluster; after each batch the Delta table equals the MySQL
table and the change feed of its Delta version names the keys the binary log named. Measures the
binlog-to-Delta time (the slowest batch). The job (``validator.stack.cdc_job``) runs in a driver
process on this host, the one the ``spark`` probes on its master use when they match
(``seams.SharedSparkJobs``); both tables are removed."""

from typing import Any

from validator.core.metrics import Declared
from validator.probes.base import Outcome, ProbeContext
from validator.probes.spark_driver import prepare
from validator.spec.probes.cdc import CdcSpec
from validator.stack.cdc_job import BATCHES, FEED_KINDS

METRICS = (
    Declared(
        field="binlog_to_delta_seconds",
        dimension="time",
        meaning="seconds from a batch's last MySQL commit to its MERGE's Delta commit (binlog read, rows shipped, "
        "MERGE), the slowest batch",
    ),
)


def run(spec: CdcSpec, ctx: ProbeContext) -> Outcome:
    with ctx.spark_jobs.scratch("validator-cdc-") as scratch:
        driver = prepare(spec=spec, ctx=ctx, app_name=spec.app_name, delta=True, scratch=scratch)
        if driver.problem:
            return Outcome(
                passed=False,
                expected=driver.expected,
                actual="unresolvable" if driver.conf else "none",
                message=driver.problem,
            )
        job = {
            "conf": driver.conf,
            "delta_path": str(driver.folder),
            "mysql": {
                "host": spec.host,
                "port": spec.port,
                "user": spec.user,
                "password": spec.password,
                "database": spec.database,
                "cdc_user": spec.cdc_user or spec.user,
                "cdc_password": spec.cdc_password if spec.cdc_user else spec.password,
            },
        }
        result, failure = ctx.spark_jobs.run("validator.stack.cdc_job", job, scratch, max(5.0, ctx.remaining()))
    what = "each batch's binlog rows MERGEd into Delta: table = MySQL, change feed keys = binlog keys"
    if result is None:
        # no result at all (the job raised, its driver died, time ran out): nothing of MySQL, the binary
        # log or Delta was observed, so ``expect: fail`` cannot take it for the known failure
        return Outcome(passed=False, expected=what, actual="failed", message=failure, reached=False)
    batches: list[dict[str, Any]] = result.get("batches") or []
    problems = judge(batches)
    seconds = [float(b["seconds"]) for b in batches if isinstance(b.get("seconds"), int | float)]
    metrics = {"binlog_to_delta_seconds": max(seconds)} if seconds and len(seconds) == len(batches) else {}
    actual = ", ".join(
        f"batch {i + 1}: {b.get('events')} row events -> {len(b.get('delta_rows') or [])} rows in {b.get('seconds')}s"
        for i, b in enumerate(batches)
    )
    return Outcome(
        passed=not problems, expected=what, actual=actual or "no batch", message="; ".join(problems), metrics=metrics
    )


def judge(batches: list[dict[str, Any]]) -> list[str]:
    """What went wrong in the batches the job reported, against what the job plans: every batch of
    ``cdc_job.BATCHES`` reported (a half-run job — the inserts alone — is no CDC path: the updates and
    the delete are what MERGE's matched clauses and the feed's images exist for), each with the change
    kinds its statements make."""
    if not batches:
        return ["the job reported no batch"]
    problems = []
    if len(batches) != len(BATCHES):
        problems.append(f"the job reported {len(batches)} batch(es), it runs {len(BATCHES)}")
    for number, (batch, kinds) in enumerate(zip(batches, FEED_KINDS, strict=False), start=1):
        if tuple(batch.get("feed_kinds") or ()) != kinds:
            problems.append(
                f"batch {number}: the change feed has change kinds {batch.get('feed_kinds')}, expected {list(kinds)}"
            )
    for number, batch in enumerate(batches, start=1):
        if not batch.get("events"):
            problems.append(f"batch {number}: no row event read from the binary log")
        if batch.get("delta_rows") != batch.get("mysql_rows"):
            problems.append(
                f"batch {number}: the Delta table has {batch.get('delta_rows')}, MySQL has {batch.get('mysql_rows')}"
            )
        if batch.get("feed_keys") != batch.get("binlog_keys"):
            problems.append(
                f"batch {number}: the change feed names keys {batch.get('feed_keys')}, "
                f"the binary log {batch.get('binlog_keys')}"
            )
    return problems
