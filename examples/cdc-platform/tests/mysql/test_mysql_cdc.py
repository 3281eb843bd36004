"""MySQL CDC (T221): row changes appear in the binary log the connector reads."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.mysql


@pytest.fixture
def table(mysql_connection):
    name = f"cdc_test_{uuid.uuid4().hex[:8]}"
    cur = mysql_connection.cursor()
    cur.execute(f"CREATE TABLE `{name}` (id INT PRIMARY KEY, status VARCHAR(16))")
    yield name
    cur.execute(f"DROP TABLE IF EXISTS `{name}`")


def position(conn) -> tuple[str, int]:
    cur = conn.cursor()
    cur.execute("SHOW MASTER STATUS")
    file, pos, *_ = cur.fetchone()
    return str(file), int(pos)


def events_since(conn, start: tuple[str, int]) -> list[tuple[str, str]]:
    cur = conn.cursor()
    cur.execute(f"SHOW BINLOG EVENTS IN '{start[0]}' FROM {start[1]}")
    return [(str(row[2]), str(row[5])) for row in cur.fetchall()]


def test_cdc_user_has_replication_privileges(mysql_connection):
    cur = mysql_connection.cursor()
    cur.execute("SHOW GRANTS")
    grants = " ".join(row[0] for row in cur.fetchall()).upper()
    # MariaDB (10.5 and later) shows REPLICATION CLIENT under its new name, BINLOG MONITOR
    assert "REPLICATION SLAVE" in grants and ("REPLICATION CLIENT" in grants or "BINLOG MONITOR" in grants)


def test_insert_is_logged_as_a_row_event(mysql_connection, table):
    start = position(mysql_connection)
    mysql_connection.cursor().execute(f"INSERT INTO `{table}` VALUES (1, 'new')")
    events = events_since(mysql_connection, start)
    assert any(kind.startswith("Write_rows") for kind, _ in events)
    assert any(kind == "Table_map" and table in info for kind, info in events)


def test_update_is_logged_as_a_row_event(mysql_connection, table):
    mysql_connection.cursor().execute(f"INSERT INTO `{table}` VALUES (1, 'new')")
    start = position(mysql_connection)
    mysql_connection.cursor().execute(f"UPDATE `{table}` SET status = 'paid' WHERE id = 1")
    assert any(kind.startswith("Update_rows") for kind, _ in events_since(mysql_connection, start))


def test_delete_is_logged_as_a_row_event(mysql_connection, table):
    mysql_connection.cursor().execute(f"INSERT INTO `{table}` VALUES (1, 'new')")
    start = position(mysql_connection)
    mysql_connection.cursor().execute(f"DELETE FROM `{table}` WHERE id = 1")
    assert any(kind.startswith("Delete_rows") for kind, _ in events_since(mysql_connection, start))


def test_binlog_position_advances_with_writes(mysql_connection, table):
    before = position(mysql_connection)
    cur = mysql_connection.cursor()
    for i in range(5):
        cur.execute(f"INSERT INTO `{table}` VALUES ({i}, 'bulk')")
    after = position(mysql_connection)
    assert after != before and (after[0] > before[0] or after[1] > before[1])
