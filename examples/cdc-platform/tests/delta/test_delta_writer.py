"""Delta Lake writer (T053) on Spark's Delta: the DataFrame writer ``format("delta")`` on the cluster,
``DeltaTable`` update/delete/merge/history, time travel, schema enforcement and evolution. delta-rs
reads what Spark wrote, as an independent check that the files are valid Delta."""

from __future__ import annotations

import json
import os

import pytest
from deltalake import DeltaTable as RustTable

pytestmark = pytest.mark.delta


def orders(spark, count: int, offset: int = 0):
    return spark.range(offset, offset + count).selectExpr(
        "id", "id * 10 AS amount", "concat('c', CAST(id % 3 AS STRING)) AS customer"
    )


def ids(spark, path: str, **options: object) -> list[int]:
    reader = spark.read.format("delta")
    for key, value in options.items():
        reader = reader.option(key, value)
    return sorted(row["id"] for row in reader.load(path).select("id").collect())


def test_write_creates_the_transaction_log(spark_session, delta_table_path):
    orders(spark_session, 5).write.format("delta").save(delta_table_path)
    log = os.path.join(delta_table_path, "_delta_log", "00000000000000000000.json")
    with open(log) as handle:
        actions = [json.loads(line) for line in handle]
    assert any("metaData" in action for action in actions)
    assert sum(1 for action in actions if "add" in action) >= 1
    assert spark_session.read.format("delta").load(delta_table_path).count() == 5
    assert RustTable(delta_table_path).to_pyarrow_table().num_rows == 5  # valid Delta to another reader


def test_append_and_overwrite_add_versions_and_time_travel_reads_them(spark_session, delta_table_path):
    orders(spark_session, 5).write.format("delta").save(delta_table_path)
    orders(spark_session, 3, offset=5).write.format("delta").mode("append").save(delta_table_path)
    orders(spark_session, 2, offset=100).write.format("delta").mode("overwrite").save(delta_table_path)
    assert ids(spark_session, delta_table_path) == [100, 101]
    assert ids(spark_session, delta_table_path, versionAsOf=1) == list(range(8))
    assert ids(spark_session, delta_table_path, versionAsOf=0) == list(range(5))


def test_update_delete_merge_and_history(spark_session, delta_table_path):
    from delta.tables import DeltaTable

    orders(spark_session, 5).write.format("delta").save(delta_table_path)
    table = DeltaTable.forPath(spark_session, delta_table_path)
    table.update(condition="id = 1", set={"amount": "999"})
    table.delete("id = 2")
    changes = orders(spark_session, 3, offset=3).selectExpr("id", "amount + 1 AS amount", "customer")
    (
        table.alias("t")
        .merge(changes.alias("s"), "t.id = s.id")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )
    rows = {row["id"]: row["amount"] for row in table.toDF().collect()}
    assert rows == {0: 0, 1: 999, 3: 31, 4: 41, 5: 51}
    history = [(row["version"], row["operation"]) for row in table.history().orderBy("version").collect()]
    assert history == [(0, "WRITE"), (1, "UPDATE"), (2, "DELETE"), (3, "MERGE")]


def test_schema_is_enforced_and_evolves_on_request(spark_session, delta_table_path):
    orders(spark_session, 3).write.format("delta").save(delta_table_path)
    wrong = spark_session.createDataFrame([("not-a-number", 1)], "id STRING, other INT")
    with pytest.raises(Exception, match=r"(?i)schema|merge fields|DELTA_FAILED_TO_MERGE_FIELDS"):
        wrong.write.format("delta").mode("append").save(delta_table_path)
    extra = orders(spark_session, 1, offset=3).selectExpr("*", "'EUR' AS currency")
    with pytest.raises(Exception, match=r"(?i)schema mismatch|DELTA_METADATA_MISMATCH"):
        extra.write.format("delta").mode("append").save(delta_table_path)
    extra.write.format("delta").mode("append").option("mergeSchema", "true").save(delta_table_path)
    table = spark_session.read.format("delta").load(delta_table_path)
    assert table.columns == ["id", "amount", "customer", "currency"]
    assert sorted((row["id"], row["currency"]) for row in table.collect()) == [
        (0, None),
        (1, None),
        (2, None),
        (3, "EUR"),
    ]
    assert RustTable(delta_table_path).version() == 1  # the two refused appends left no version
