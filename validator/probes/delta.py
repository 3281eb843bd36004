"""``delta``: write, append to and read back a Delta table with Change Data Feed enabled, read the
change feed, clean up — with ``deltalake`` (delta-rs), which needs no JAR."""

import shutil
import time
import uuid

from validator.probes.base import Outcome, ProbeContext
from validator.spec.probes.delta import DeltaSpec


def run(spec: DeltaSpec, ctx: ProbeContext) -> Outcome:
    # here: pyarrow and delta-rs load only when a delta probe runs
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    base = ctx.base_dir / spec.path
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"test_{uuid.uuid4().hex[:12]}"
    began = time.monotonic()
    try:
        write_deltalake(
            str(path),
            pa.table({"id": [1, 2], "value": ["a", "b"]}),
            configuration={"delta.enableChangeDataFeed": "true"},
        )
        write_deltalake(str(path), pa.table({"id": [3], "value": ["c"]}), mode="append")
        table = DeltaTable(str(path))
        table.update(updates={"value": "'B'"}, predicate="id = 2")
        rows = pa.table(table.to_pyarrow_table()).num_rows
        changes = pa.table(table.load_cdf(starting_version=0).read_all()).to_pydict()
        kinds = sorted(set(changes.get("_change_type", [])))
        version = table.version()
    finally:
        if not spec.keep:
            shutil.rmtree(path, ignore_errors=True)
    elapsed = time.monotonic() - began
    expected_kinds = ["insert", "update_postimage", "update_preimage"]
    ok = rows == 3 and kinds == expected_kinds and version == 2
    return Outcome(
        passed=ok,
        expected=f"3 rows, version 2, change feed {expected_kinds}",
        actual=f"{rows} rows, version {version}, change feed {kinds}",
        message="" if ok else f"table {path}",
        metrics={"duration": elapsed},
    )
