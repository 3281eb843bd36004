"""Delta Lake writer (T053): Spark computes on the cluster, delta-rs writes the Delta table."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

pytestmark = pytest.mark.delta


def orders(spark, count: int, offset: int = 0) -> pa.Table:
    frame = spark.range(offset, offset + count).selectExpr("id", "id * 10 AS amount", "concat('c', id % 3) AS customer")
    return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)


def test_write_creates_the_transaction_log(spark_session, delta_table_path):
    write_deltalake(delta_table_path, orders(spark_session, 5))
    log = os.path.join(delta_table_path, "_delta_log", "00000000000000000000.json")
    with open(log) as handle:
        actions = [json.loads(line) for line in handle]
    assert any("metaData" in action for action in actions)
    assert DeltaTable(delta_table_path).to_pyarrow_table().num_rows == 5


def test_append_adds_a_version(spark_session, delta_table_path):
    write_deltalake(delta_table_path, orders(spark_session, 5))
    write_deltalake(delta_table_path, orders(spark_session, 3, offset=5), mode="append")
    table = DeltaTable(delta_table_path)
    assert table.version() == 1
    assert sorted(table.to_pyarrow_table().column("id").to_pylist()) == list(range(8))


def test_overwrite_replaces_the_rows(spark_session, delta_table_path):
    write_deltalake(delta_table_path, orders(spark_session, 5))
    write_deltalake(delta_table_path, orders(spark_session, 2, offset=100), mode="overwrite")
    assert sorted(DeltaTable(delta_table_path).to_pyarrow_table().column("id").to_pylist()) == [100, 101]


def test_schema_is_enforced_on_append(spark_session, delta_table_path):
    write_deltalake(delta_table_path, orders(spark_session, 3))
    wrong = pa.table({"id": pa.array(["not-a-number"]), "other": pa.array([1])})
    with pytest.raises(Exception, match=r"(?i)schema"):
        write_deltalake(delta_table_path, wrong, mode="append")
    assert DeltaTable(delta_table_path).version() == 0
