"""A tie-out table written by hand (with organisations and journals), for the tests of
`verify` and of the Dagster tie-out checks."""

from __future__ import annotations

from contextlib import closing
from datetime import date

from pipelines.destination import parse_destination

TIE_OUT_DDL = """
create table reporting.tie_out (
    tenant_id text, check_name text, period_start date, period_end date, subject_id text,
    subject_name text, measure text, warehouse_value decimal(18, 2),
    xero_value decimal(18, 2), difference decimal(18, 2), status text, explanation text
)"""
TIED = ("t1", "trial_balance", None, date(2026, 9, 30), "a1", "200 Sales", "ytd_credit",
        "100.00", "100.00", "0.00", "tied", None)  # fmt: skip
EXPLAINED = ("t1", "balance_sheet", None, date(2026, 9, 30), "a2", "Accounts Receivable",
             "amount", "500.00", "512.34", "-12.34", "explained",
             "unrealised currency gain of 12.34 on open foreign invoices")  # fmt: skip
BROKEN = ("t2", "trial_balance", None, date(2026, 10, 31), "a3", "400 Advertising", "debit",
          "80.00", "75.00", "5.00", "broken", None)  # fmt: skip


def write_warehouse(url: str, lines: list[tuple], journals_for: tuple[str, ...] = ()) -> None:
    target = parse_destination(url)
    placeholders = ", ".join([target.placeholder] * 12)
    with closing(target.connect()) as connection:
        cursor = connection.cursor()
        cursor.execute("create schema reporting")
        cursor.execute("create schema xero")
        cursor.execute(TIE_OUT_DDL)
        cursor.execute("create table xero.organisations (tenant_id text, name text)")
        cursor.execute(
            "insert into xero.organisations values ('t1', 'Alpha AU'), ('t2', 'Beta NZ')"
        )
        cursor.execute("create table xero.journals (tenant_id text, journal_id text)")
        for tenant in journals_for:
            cursor.execute(f"insert into xero.journals values ('{tenant}', 'j1')")
        for line in lines:
            cursor.execute(f"insert into reporting.tie_out values ({placeholders})", line)
        connection.commit()
