"""Delta Change Data Feed (T054): enabled by table property, recording inserts, updates, deletes;
the cluster aggregates what the feed says."""

from __future__ import annotations

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

pytestmark = pytest.mark.delta
CDF = {"delta.enableChangeDataFeed": "true"}


def changes(path: str, start: int = 0) -> dict:
    return pa.table(DeltaTable(path).load_cdf(starting_version=start).read_all()).to_pydict()


def test_change_data_feed_is_a_table_property(delta_table_path):
    write_deltalake(delta_table_path, pa.table({"id": [1]}), configuration=CDF)
    assert DeltaTable(delta_table_path).metadata().configuration["delta.enableChangeDataFeed"] == "true"


def test_feed_records_inserts_updates_and_deletes(delta_table_path):
    write_deltalake(delta_table_path, pa.table({"id": [1, 2, 3], "status": ["new", "new", "new"]}), configuration=CDF)
    table = DeltaTable(delta_table_path)
    table.update(updates={"status": "'paid'"}, predicate="id = 2")
    table.delete("id = 3")
    feed = changes(delta_table_path)
    kinds = sorted(zip(feed["_commit_version"], feed["_change_type"], feed["id"], strict=True))
    assert kinds == [
        (0, "insert", 1),
        (0, "insert", 2),
        (0, "insert", 3),
        (1, "update_postimage", 2),
        (1, "update_preimage", 2),
        (2, "delete", 3),
    ]


def test_the_cluster_aggregates_the_feed(spark_session, delta_table_path):
    write_deltalake(delta_table_path, pa.table({"id": list(range(10)), "amount": [5] * 10}), configuration=CDF)
    DeltaTable(delta_table_path).delete("id >= 7")
    feed = changes(delta_table_path)
    frame = spark_session.createDataFrame(
        list(zip(feed["_change_type"], feed["amount"], strict=True)), ["kind", "amount"]
    )
    totals = {
        row["kind"]: row["total"]
        for row in frame.groupBy("kind").sum("amount").withColumnRenamed("sum(amount)", "total").collect()
    }
    assert totals == {"insert": 50, "delete": 15}
