"""``spark``: a pyspark session against the spec's master runs a job; the master UI lists the
application and alive workers. With ``delta: true``, first a resolution stage: the Delta package
(``spark.jars.packages``) must resolve from the Maven local repository or a reachable remote one,
else the probe fails at once with the reason and the fix, without starting Spark. Then the session
is built with the Delta extension and catalog and runs a Delta round on the cluster: a table with
Change Data Feed written through the executors, read back, MERGEd into, time-travelled to version 0
and its change feed read."""

from typing import Any

from validator.core.metrics import Declared
from validator.probes.base import Outcome, ProbeContext
from validator.probes.spark_driver import prepare
from validator.redact import quoted
from validator.spec.probes.spark import SparkSpec

METRICS = (
    Declared(
        field="session_seconds",
        dimension="time",
        meaning="seconds to get a SparkSession from the master (none when the probe's job ran in a session another "
        "probe's job had built)",
    ),
)

# What the Delta round must see (spark_job.delta_round writes ids 0-9 'a', then MERGEs ids 5-14 'b').
DELTA_EXPECTED = {
    "rows": 10,
    "cdf_property": "true",
    "merged": {"a": 5, "b": 10},
    "version_0": {"a": 10},
    "change_feed": [["insert", 0, 10], ["insert", 1, 5], ["update_postimage", 1, 5], ["update_preimage", 1, 5]],
    "history": ["WRITE", "MERGE"],
}


def run(spec: SparkSpec, ctx: ProbeContext) -> Outcome:
    with ctx.spark_jobs.scratch("validator-spark-") as scratch:
        driver = prepare(spec=spec, ctx=ctx, app_name=spec.app_name, delta=spec.delta, scratch=scratch)
        if driver.problem:
            return Outcome(
                passed=False,
                expected=driver.expected,
                actual="unresolvable" if driver.conf else "none",
                message=driver.problem,
            )
        job = {
            "conf": driver.conf,
            # always: the master must list the application the job ran in, whatever min_workers says
            # (with min_workers 0 a driver on no cluster at all passed the Delta round)
            "ui": spec.ui,
            "delta_path": str(driver.folder) if driver.folder else None,
        }
        result, failure = ctx.spark_jobs.run("validator.stack.spark_job", job, scratch, max(5.0, ctx.remaining()))
    what = "session, JVM and Python jobs" + (
        ", a Delta table written, read, MERGEd, time-travelled and its change feed read" if spec.delta else ""
    )
    if result is None:
        # no result at all (the job raised, its driver died, time ran out): nothing of the cluster was
        # observed, so ``expect: fail`` cannot take it for the known failure
        return Outcome(passed=False, expected=what, actual="failed", message=failure, reached=False)
    # a session another probe's job built (a shared driver: seams.SharedSparkJobs) was not timed by this one
    session = "session reused" if result.get("session_reused") else f"session {result.get('session_seconds')}s"
    actual = f"{session}, jobs {result.get('job_seconds')}s, {result.get('alive_workers', '?')} worker(s)"
    if spec.delta and isinstance(result.get("delta"), dict):
        actual += f", Delta round {result['delta'].get('delta_seconds')}s"
    # a session that was never built, or built for another probe's job, has no time here (0 would read as
    # an instant session)
    seconds = result.get("session_seconds")
    metrics = {"session_seconds": float(seconds)} if isinstance(seconds, int | float) else {}
    problems = _problems(spec, result)
    return Outcome(passed=not problems, expected=what, actual=actual, message="; ".join(problems), metrics=metrics)


def _problems(spec: SparkSpec, result: dict[str, Any]) -> list[str]:
    problems = []
    if result.get("count") != 1000 or result.get("python_sum") != 9900:
        problems.append(f"wrong job results {result.get('count')}, {result.get('python_sum')}")
    if spec.min_workers and result.get("alive_workers", 0) < spec.min_workers:
        problems.append(f"{result.get('alive_workers', 0)} alive worker(s) in the master UI, wanted {spec.min_workers}")
    # by the id of the application the job ran in: a same-named one of another driver is no evidence, and
    # a driver shared with another probe carries the name of the probe that started it
    if not result.get("app_id") or result.get("app_id") not in result.get("app_ids", []):
        problems.append(f"the master UI does not list this driver's application {quoted(result.get('app_id'))}")
    if spec.delta:
        delta = result.get("delta") or {}
        for key, wanted in DELTA_EXPECTED.items():
            if delta.get(key) != wanted:
                problems.append(f"Delta {key.replace('_', ' ')}: {quoted(delta.get(key))}, expected {quoted(wanted)}")
    return problems
