"""Delta Change Data Feed (T054) on Spark's Delta: enabled by the table property
``delta.enableChangeDataFeed``, read with ``readChangeFeed``, recording inserts, updates and
deletes; the cluster aggregates the feed, and delta-rs reads the same feed from Spark's files."""

from __future__ import annotations

import pyarrow as pa
import pytest
from deltalake import DeltaTable as RustTable

pytestmark = pytest.mark.delta


def create(spark, path: str, columns: str) -> None:
    spark.sql(f"CREATE TABLE delta.`{path}` ({columns}) USING delta TBLPROPERTIES (delta.enableChangeDataFeed = true)")


def feed(spark, path: str, start: int = 0):
    return spark.read.format("delta").option("readChangeFeed", "true").option("startingVersion", start).load(path)


def test_change_data_feed_is_a_table_property(spark_session, delta_table_path):
    create(spark_session, delta_table_path, "id BIGINT")
    detail = spark_session.sql(f"DESCRIBE DETAIL delta.`{delta_table_path}`").collect()[0]
    assert detail["properties"]["delta.enableChangeDataFeed"] == "true"
    assert RustTable(delta_table_path).metadata().configuration["delta.enableChangeDataFeed"] == "true"


def test_feed_records_inserts_updates_and_deletes(spark_session, delta_table_path):
    from delta.tables import DeltaTable

    create(spark_session, delta_table_path, "id BIGINT, status STRING")
    spark_session.createDataFrame([(1, "new"), (2, "new"), (3, "new")], "id BIGINT, status STRING").write.format(
        "delta"
    ).mode("append").save(delta_table_path)
    table = DeltaTable.forPath(spark_session, delta_table_path)
    table.update(condition="id = 2", set={"status": "'paid'"})
    table.delete("id = 3")
    kinds = sorted(
        (row["_commit_version"], row["_change_type"], row["id"])
        for row in feed(spark_session, delta_table_path).collect()
    )
    assert kinds == [
        (1, "insert", 1),
        (1, "insert", 2),
        (1, "insert", 3),
        (2, "update_postimage", 2),
        (2, "update_preimage", 2),
        (3, "delete", 3),
    ]


def test_the_cluster_aggregates_the_feed(spark_session, delta_table_path):
    from delta.tables import DeltaTable

    create(spark_session, delta_table_path, "id BIGINT, amount BIGINT")
    spark_session.range(10).selectExpr("id", "5L AS amount").write.format("delta").mode("append").save(delta_table_path)
    DeltaTable.forPath(spark_session, delta_table_path).delete("id >= 7")
    totals = {
        row["_change_type"]: row["total"]
        for row in feed(spark_session, delta_table_path)
        .groupBy("_change_type")
        .sum("amount")
        .withColumnRenamed("sum(amount)", "total")
        .collect()
    }
    assert totals == {"insert": 50, "delete": 15}
    rust = pa.table(RustTable(delta_table_path).load_cdf(starting_version=0).read_all()).to_pydict()
    assert sorted(zip(rust["_change_type"], rust["id"], strict=True)) == sorted(
        (row["_change_type"], row["id"]) for row in feed(spark_session, delta_table_path).collect()
    )
