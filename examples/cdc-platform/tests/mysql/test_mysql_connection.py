"""MySQL connection (T211-T213, T220): the server the CDC connector reads, and its binary log."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.mysql


def variable(conn, name: str) -> str:
    cur = conn.cursor()
    cur.execute("SHOW VARIABLES LIKE %s", (name,))
    return str(cur.fetchone()[1])


def test_connects_and_reports_a_version(mysql_connection):
    cur = mysql_connection.cursor()
    cur.execute("SELECT VERSION(), DATABASE()")
    version, database = cur.fetchone()
    assert version.split(".")[0].isdigit() and database == "cdc"


def test_binary_log_is_on(mysql_connection):
    assert variable(mysql_connection, "log_bin") == "ON"


def test_binary_log_format_is_row(mysql_connection):
    assert variable(mysql_connection, "binlog_format") == "ROW"


def test_server_id_is_set(mysql_connection):
    assert int(variable(mysql_connection, "server_id")) > 0
