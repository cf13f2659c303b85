"""Reading the warehouse in the action tests."""

from __future__ import annotations

from pipelines.destination import parse_destination


def query(destination: str, sql: str, *params) -> list[tuple]:
    target = parse_destination(destination)
    connection = target.connect()
    try:
        cursor = connection.cursor()
        cursor.execute(sql.replace("%s", "?") if target.kind == "duckdb" else sql, params)
        return cursor.fetchall()
    finally:
        connection.close()
