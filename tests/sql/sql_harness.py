"""Helpers for the dbt project's tests: sync the sandbox (with its aged-report snapshots) into
a warehouse (a new PostgreSQL database for it), seed raw rows shaped as dlt loads them, read
tables back."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import pytest
import yaml
from sandbox_fixtures import SANDBOX_ANCHOR, SANDBOX_TIME_SCALE

from pipelines.destination import parse_destination
from pipelines.models import project_dir
from pipelines.xero.settings import RESOURCE_NAMES

AGED_REPORTS = ["report_aged_receivables_by_contact", "report_aged_payables_by_contact"]
# the aged reports' snapshot dates: the tie-out is as at each snapshot's date
AGED_SNAPSHOTS = (SANDBOX_ANCHOR, date(2026, 9, 20))
AGED_CONTACTS_PER_DAY = 4


def sync_sandbox(server, url: str, home, resources: list[str], **settings: str) -> None:
    """Sync `resources` of the served sandbox into `url`, with extra XERO_* `settings`."""
    from pipelines.runner import sync

    with pytest.MonkeyPatch.context() as env:
        for name, value in {**server.env, **settings}.items():
            env.setenv(name, value)
        env.setenv("XERO_RATE_LIMIT_TIME_SCALE", str(SANDBOX_TIME_SCALE))
        env.setenv("XERO_WAREHOUSE_HOME", str(home))
        env.setenv("DLT_DATA_DIR", str(home / "dlt"))
        env.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        result = sync(url, resources=resources)
    assert result.ok, result.errors


def sync_sandbox_with_aged_snapshots(server, url: str, home) -> None:
    """Every collection of the served sandbox, with its aged-by-contact reports as at each
    of AGED_SNAPSHOTS."""
    latest, *earlier = AGED_SNAPSHOTS
    aged = {"XERO_REPORT_AGED_CONTACTS": str(AGED_CONTACTS_PER_DAY)}
    sync_sandbox(server, url, home, [*RESOURCE_NAMES, *AGED_REPORTS],
                 XERO_REPORT_AS_OF=latest.isoformat(), **aged)  # fmt: skip
    for day in earlier:
        sync_sandbox(server, url, home, AGED_REPORTS, XERO_REPORT_AS_OF=day.isoformat(), **aged)


@contextmanager
def new_database(admin_url: str, prefix: str = "xw_dbt"):
    """The URL of a new PostgreSQL database on the server of `admin_url`, dropped after."""
    import psycopg2

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'create database "{name}"')
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
        with admin.cursor() as cursor:
            cursor.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s",
                (name,),
            )
            cursor.execute(f'drop database if exists "{name}"')
    finally:
        admin.close()


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
            marker = destination.placeholder
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
    return run_sql(url, f"select * from {table}")


def run_sql(url: str, sql: str, *params) -> list[dict]:
    """Run one statement (`%s` placeholders) and commit; its rows as dicts, if it has any."""
    destination = parse_destination(url)
    if destination.kind == "duckdb":
        sql = sql.replace("%s", "?")
    connection = destination.connect()
    try:
        cursor = connection.cursor()
        cursor.execute(sql, params or None)
        rows = []
        if cursor.description:
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        connection.commit()
        return rows
    finally:
        connection.close()
