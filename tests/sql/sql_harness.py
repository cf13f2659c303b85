"""Helpers for the dbt project's tests: seed raw rows shaped as dlt loads them, read tables
back."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import yaml

from pipelines.destination import parse_destination
from pipelines.models import project_dir


def raw_columns() -> dict[str, dict[str, str]]:
    """The raw columns the dbt project declares: {table: {column: type}}."""
    macro = (project_dir() / "macros" / "xero_raw_columns.sql").read_text()
    declared = macro.split("{%- set declared %}", 1)[1].split("{% endset -%}", 1)[0]
    return yaml.safe_load(declared)


def load_raw(url: str, given: dict, defaults: dict | None = None, dataset: str = "xero") -> None:
    """Create the given raw tables (only the columns the rows use, typed as declared) and
    insert the rows."""
    destination = parse_destination(url)
    declared = raw_columns()
    connection = destination.connect()
    try:
        cursor = connection.cursor()
        cursor.execute(f'create schema if not exists "{dataset}"')
        for table, rows in given.items():
            rows = _with_defaults(table, rows, (defaults or {}).get(table, {}))
            columns = sorted({column for row in rows for column in row})
            undeclared = [c for c in columns if c not in declared[table]]
            assert not undeclared, f"{table}: columns not declared in the sources: {undeclared}"
            types = {c: declared[table][c] for c in columns}
            cursor.execute(
                f'create table "{dataset}"."{table}" ('
                + ", ".join(f'"{c}" {types[c]}' for c in columns)
                + ")"
            )
            marker = "?" if destination.kind == "duckdb" else "%s"
            cursor.executemany(
                f'insert into "{dataset}"."{table}" values ({", ".join([marker] * len(columns))})',
                [tuple(_value(row.get(c), declared[table][c]) for c in columns) for row in rows],
            )
        connection.commit()
    finally:
        connection.close()


def _with_defaults(table: str, rows: list[dict], defaults: dict) -> list[dict]:
    return [{"_dlt_id": f"{table}:{index}", **defaults, **row} for index, row in enumerate(rows)]


def _value(value, type_: str):
    if value is None:
        return None
    if type_.startswith("decimal"):
        return Decimal(str(value))
    if type_ == "date":
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    if type_ == "timestamptz":
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if type_ == "boolean":
        return bool(value)
    if type_ == "bigint":
        return int(value)
    return str(value)


def read_table(url: str, table: str) -> list[dict]:
    connection = parse_destination(url).connect()
    try:
        cursor = connection.cursor()
        cursor.execute(f"select * from {table}")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()
