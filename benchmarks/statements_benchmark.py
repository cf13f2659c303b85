"""Statements benchmark: synthetic journals straight into a DuckDB raw schema, then the
statement models (general ledger, trial balance, profit and loss, balance sheet, tie_out)
built through `pipelines.models`; prints figures, asserts nothing.

    uv run python benchmarks/statements_benchmark.py                 # 100k, then 1M lines
    uv run python benchmarks/statements_benchmark.py --lines 2000000

Each journal has two lines (an account of the chart against a bank or control account),
spread over ten tenants with two financial-year ends and three years of dates. The report
snapshots are left empty: tie_out then has nothing to compare, the statements are built whole.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.models import run_models  # noqa: E402

BASELINE_LINES = 100_000
WARM_UP_LINES = 1_000
TENANTS = 10
AS_OF = date(2026, 12, 31)
FIRST_DAY = date(2024, 1, 1)
DAYS = (AS_OF - FIRST_DAY).days + 1
STATEMENTS = ["+tie_out"]
# (code, name, type, class, system account)
CHART = [
    ("090", "Business Bank Account", "BANK", "ASSET", None),
    ("200", "Sales", "REVENUE", "REVENUE", None),
    ("260", "Other Revenue", "OTHERINCOME", "REVENUE", None),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", None),
    ("400", "Advertising", "EXPENSE", "EXPENSE", None),
    ("429", "General Expenses", "EXPENSE", "EXPENSE", None),
    ("469", "Rent", "OVERHEADS", "EXPENSE", None),
    ("610", "Accounts Receivable", "CURRENT", "ASSET", "DEBTORS"),
    ("720", "Computer Equipment", "FIXED", "ASSET", None),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "CREDITORS"),
    ("820", "Sales Tax", "CURRLIAB", "LIABILITY", "GST"),
    ("900", "Loan", "TERMLIAB", "LIABILITY", None),
    ("960", "Retained Earnings", "EQUITY", "EQUITY", "RETAINEDEARNINGS"),
    ("970", "Owner Funds Introduced", "EQUITY", "EQUITY", None),
]
COUNTER_ACCOUNTS = ("090", "610", "800")  # the second line of each journal


def sql_text(value: str | None) -> str:
    return "null" if value is None else f"'{value}'"


def generate(path: Path, lines: int) -> None:
    """The raw tables dlt would load, `lines` journal lines in all (vectorised SQL)."""
    journals = lines // 2
    chart = ", ".join(
        f"('{code}', '{name}', '{kind}', '{cls}', {sql_text(system)}, {i})"
        for i, (code, name, kind, cls, system) in enumerate(CHART)
    )
    counters = ", ".join(f"('{code}', {i})" for i, code in enumerate(COUNTER_ACCOUNTS))
    with duckdb.connect(str(path)) as db:
        db.execute("create schema xero")
        db.execute(f"""
            create table xero.organisations as
            select 'tenant-' || i as tenant_id, 'org-' || i as organisation_id,
                'Organisation ' || i as name, 'AUD' as base_currency,
                case when i % 2 = 0 then 30 else 31 end as financial_year_end_day,
                case when i % 2 = 0 then 6 else 3 end as financial_year_end_month,
                'org-' || i as _dlt_id
            from range({TENANTS}) as t (i)""")
        db.execute(
            f"create temp table chart as select * from (values {chart}) "
            "as c (code, name, type, class, system_account, position)"
        )
        db.execute(
            f"create temp table counters as select * from (values {counters}) as c (code, position)"
        )
        db.execute("""
            create table xero.accounts as
            select o.tenant_id, o.tenant_id || '-' || c.code as account_id, c.code, c.name,
                c.type, c.class, 'ACTIVE' as status, c.system_account,
                o.tenant_id || '-' || c.code as _dlt_id
            from xero.organisations as o cross join chart as c""")
        db.execute(f"""
            create table xero.journals as
            select 'tenant-' || (j % {TENANTS}) as tenant_id, 'journal-' || j as journal_id,
                j as journal_number, 'source-' || j as source_id, 'MANJOURNAL' as source_type,
                date '{FIRST_DAY}' + cast(j * {DAYS} // {journals} as integer) as journal_date,
                'journal-' || j as _dlt_id
            from range({journals}) as t (j)""")
        db.execute(f"""
            create table xero.journals__journal_lines as
            with amounts as (
                select _dlt_id, tenant_id, journal_number as j,
                    cast((hash(journal_number) % 500000) / 100 as decimal(38, 9)) + 1 as amount
                from xero.journals
            )
            select a._dlt_id || '-' || side as _dlt_id, a._dlt_id as _dlt_parent_id,
                a._dlt_id || '-' || side as journal_line_id,
                a.tenant_id || '-' || case when side = 0 then c.code else k.code end
                    as account_id,
                'synthetic' as description,
                case when side = 0 then a.amount else -a.amount end as net_amount,
                cast(0 as decimal(38, 9)) as tax_amount
            from amounts as a
            cross join range(2) as s (side)
            join chart as c on c.position = a.j % {len(CHART)}
            join counters as k on k.position = a.j % {len(COUNTER_ACCOUNTS)}""")


def build(lines: int, folder: Path) -> tuple[float, float, dict[str, int]]:
    path = folder / f"statements_{lines}.duckdb"
    started = time.perf_counter()
    generate(path, lines)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    results = run_models(f"duckdb:///{path}", as_of=AS_OF, select=STATEMENTS)
    return generated, time.perf_counter() - started, {r.name: r.rows for r in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        build(WARM_UP_LINES, Path(folder))  # dbt parses the project once: not timed
        timings = {}
        for lines in (BASELINE_LINES, args.lines):
            generated, seconds, rows = build(lines, Path(folder))
            timings[lines] = seconds
            print(
                f"{lines:>10,} journal lines: generated in {generated:.1f} s, "
                f"statement models built in {seconds:.1f} s"
            )
            for name in (
                "fct_general_ledger",
                "fct_trial_balance",
                "rpt_profit_and_loss",
                "rpt_balance_sheet",
                "tie_out",
            ):
                print(f"    {name:<22} {rows.get(name, 0):>10,} rows")
        ratio = timings[args.lines] / timings[BASELINE_LINES]
        print(
            f"{args.lines:,} lines took {ratio:.1f}x the {BASELINE_LINES:,}-line baseline "
            f"({args.lines / BASELINE_LINES:.0f}x the lines)"
        )


if __name__ == "__main__":
    main()
