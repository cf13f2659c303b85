"""The statements end to end: two sandbox organisations (AUD and NZD, financial years ending
30 June and 31 March) synced over HTTP with their report snapshots, across a financial-year
boundary, the dbt project built, on DuckDB and PostgreSQL; then fct_trial_balance,
rpt_profit_and_loss and rpt_balance_sheet held to the sandbox's own reports to the cent, and
tie_out to have no broken line; a back-dated journal, a tampered journal line (which makes
`verify` exit 1) and a tenant without Journals on top of the same warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sql_harness import read_table

from pipelines.cli import main
from pipelines.destination import parse_destination
from pipelines.models import run_models
from pipelines.runner import sync
from pipelines.verify import tenants_without_journals
from pipelines.xero.settings import RESOURCE_NAMES
from sandbox import reports
from sandbox.model import Sandbox
from sandbox.server import running_sandbox

# a module of its own in the workers (WORK_UNITS) that takes about a minute: collected first,
# so a worker starts it instead of the run waiting on it at the end
pytestmark = pytest.mark.starts_first

AS_OF = date(2026, 7, 31)
STATEMENTS = ["+tie_out"]
REPORT_SETTINGS = {
    "XERO_REPORT_AS_OF": AS_OF.isoformat(),
    "XERO_REPORT_YEARS": "2",  # the current and the previous financial year
    "XERO_REPORT_REREAD_MONTHS": "4",
    "XERO_REPORT_AGED_CONTACTS": "0",
}
ZERO = Decimal("0.00")


@dataclass
class Warehouse:
    url: str
    sandbox: Sandbox
    server: object
    home: str

    def sync(self) -> None:
        with pytest.MonkeyPatch.context() as env:
            for name, value in {**self.server.env, **REPORT_SETTINGS}.items():
                env.setenv(name, value)
            env.setenv("XERO_RATE_LIMIT_TIME_SCALE", "1000")
            env.setenv("XERO_WAREHOUSE_HOME", self.home)
            result = sync(self.url, resources=[*RESOURCE_NAMES, "report_*"])
        assert result.ok, result.errors

    def build(self) -> None:
        run_models(self.url, as_of=AS_OF, select=STATEMENTS)

    def execute(self, sql: str) -> None:
        connection = parse_destination(self.url).connect()
        try:
            connection.cursor().execute(sql)
            connection.commit()
        finally:
            connection.close()


# the quick subset keeps DuckDB; PostgreSQL runs in the full suite
ENGINES = ["duckdb", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])]


@pytest.fixture(scope="module", params=ENGINES)
def warehouse(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"statements_{request.param}")
    if request.param == "duckdb":
        url = f"duckdb:///{folder / 'warehouse.duckdb'}"
    else:
        url = request.getfixturevalue("module_postgres_url")
    sandbox = Sandbox(tenants=2, scale="small", seed=11, anchor=AS_OF)
    with running_sandbox(sandbox, time_scale=1000.0, limits=True) as server:
        built = Warehouse(url, sandbox, server, str(folder / "home"))
        built.sync()
        built.build()
        yield built


def month_ends_to_check(books: reports.Books) -> list[date]:
    """Two month-ends before the financial-year boundary, one after it, and AS_OF."""
    year_end = books.year_start(AS_OF) - timedelta(days=1)
    before = year_end.replace(day=1) - timedelta(days=1)
    after = reports.month_end(year_end + timedelta(days=1))
    return sorted({before, year_end, after, AS_OF})


def report_lines(report: reports.Report) -> dict[str, Decimal | tuple]:
    """Account id (or label, for lines without one) -> the line's money cells."""
    lines = {}
    for top in report.rows:
        for line in top.get("Rows", []) if top["RowType"] == "Section" else []:
            if line["RowType"] != "Row":
                continue
            cells = line["Cells"]
            key = next(
                (a["Value"] for a in cells[0].get("Attributes") or [] if a["Id"] == "account"),
                cells[0]["Value"],
            )
            values = tuple(Decimal(c["Value"] or 0) for c in cells[1:])
            lines[key] = values[0] if len(values) == 1 else values
    return lines


def rows_of(warehouse: Warehouse, table: str, tenant_id: str, day: date, date_column: str):
    return [
        r
        for r in read_table(warehouse.url, f"reporting.{table}")
        if r["tenant_id"] == tenant_id and r[date_column] == day
    ]


TIE_OUT_COLUMNS = {
    "tenant_id": "text",
    "check_name": "text",
    "period_start": "date",
    "period_end": "date",
    "subject_id": "text",
    "subject_name": "text",
    "measure": "text",
    "warehouse_value": "decimal(18,2)",
    "xero_value": "decimal(18,2)",
    "difference": "decimal(18,2)",
    "status": "text",
    "explanation": "text",
}


def test_tie_out_has_the_contract_columns(warehouse):
    connection = parse_destination(warehouse.url).connect()
    try:
        cursor = connection.cursor()
        cursor.execute(
            "select column_name, data_type, numeric_precision, numeric_scale"
            " from information_schema.columns"
            " where table_schema = 'reporting' and table_name = 'tie_out'"
            " order by ordinal_position"
        )
        columns = cursor.fetchall()
    finally:
        connection.close()
    kinds = {"character varying": "text", "varchar": "text", "date": "date"}
    got = {
        name: f"decimal({precision},{scale})"
        if kind.lower().startswith(("numeric", "decimal"))
        else kinds.get(kind.lower(), kind)
        for name, kind, precision, scale in columns
    }
    assert list(got) == list(TIE_OUT_COLUMNS)
    assert got == TIE_OUT_COLUMNS


def test_tie_out_has_no_broken_line(warehouse):
    rows = read_table(warehouse.url, "reporting.tie_out")
    checks = {r["check_name"] for r in rows}
    assert checks == {"trial_balance", "profit_and_loss", "balance_sheet", "bank_summary"}
    totals = {(r["check_name"], r["subject_name"]) for r in rows if r["subject_id"] is None}
    assert {("trial_balance", "Total"), ("profit_and_loss", "Net Profit")} <= totals
    assert {("balance_sheet", "Net Assets"), ("balance_sheet", "Current Year Earnings")} <= totals
    broken = [r for r in rows if r["status"] == "broken"]
    assert broken == []
    explained = [r for r in rows if r["status"] == "explained"]
    assert explained and all(
        "unrealised currency revaluation" in r["explanation"] for r in explained
    )
    assert all(r["difference"] == r["warehouse_value"] - r["xero_value"] for r in rows)
    assert all((r["status"] == "tied") == (r["difference"] == 0) for r in rows)


def test_trial_balance_equals_the_sandbox_trial_balance(warehouse):
    compared = 0
    for tenant in warehouse.sandbox.tenants:
        books = reports.Books(tenant)
        for day in month_ends_to_check(books):
            expected = report_lines(reports.trial_balance(books, day))
            got = {
                r["account_id"]: (r["debit"], r["credit"], r["ytd_debit"], r["ytd_credit"])
                for r in rows_of(
                    warehouse, "fct_trial_balance", tenant.tenant_id, day, "as_of_date"
                )
            }
            assert got == expected, f"{tenant.name} {day}"
            compared += len(expected)
    assert compared > 50


def test_profit_and_loss_equals_the_sandbox_apart_from_the_revaluation(warehouse):
    for tenant in warehouse.sandbox.tenants:
        books = reports.Books(tenant)
        gains = books.unrealised_gains().account_id
        for day in month_ends_to_check(books):
            start = day.replace(day=1)
            expected = report_lines(reports.profit_and_loss(books, [(start, day)]))
            expected.pop("Net Profit")
            # Xero's line holds the revaluation's movement, shown as an expense: undo it
            movement = books.unrealised_gain(day) - books.unrealised_gain(start - timedelta(days=1))
            expected[gains] = expected.get(gains, ZERO) + movement
            expected = {k: v for k, v in expected.items() if v}
            got = {
                r["account_id"]: r["amount"]
                for r in rows_of(
                    warehouse, "rpt_profit_and_loss", tenant.tenant_id, day, "month_end"
                )
            }
            assert got == expected, f"{tenant.name} {day}"


def test_balance_sheet_equals_the_sandbox_apart_from_the_revaluation(warehouse):
    for tenant in warehouse.sandbox.tenants:
        books = reports.Books(tenant)
        for day in month_ends_to_check(books):
            expected = report_lines(reports.balance_sheet(books, [day]))
            for line in ("Net Assets",):
                expected.pop(line)
            # undo Xero's revaluation of open foreign-currency documents
            opening = books.unrealised_gain(books.year_start(day) - timedelta(days=1))
            receivables = books.system_account("DEBTORS").account_id
            payables = books.system_account("CREDITORS").account_id
            retained = books.retained_earnings().account_id
            expected[receivables] = expected.get(receivables, ZERO) - books.revaluation(
                "receivables", day
            )
            expected[payables] = expected.get(payables, ZERO) - books.revaluation("payables", day)
            expected[retained] = expected.get(retained, ZERO) - opening
            expected["Current Year Earnings"] -= books.unrealised_gain(day) - opening
            earnings = expected.pop("Current Year Earnings")
            expected = {k: v for k, v in expected.items() if v}
            expected["current-year-earnings"] = earnings
            got = {
                r["line_id"]: r["amount"]
                for r in rows_of(
                    warehouse, "rpt_balance_sheet", tenant.tenant_id, day, "as_of_date"
                )
            }
            assert got == expected, f"{tenant.name} {day}"


def test_a_back_dated_journal_changes_the_figures_and_still_ties(warehouse):
    tenant = warehouse.sandbox.tenants[0]
    day = date(2026, 5, 15)  # last quarter, inside the months the sync reads again

    def rent(at: date):
        rows = rows_of(warehouse, "fct_trial_balance", tenant.tenant_id, at, "as_of_date")
        return [(r["debit"], r["ytd_debit"]) for r in rows if r["account_code"] == "469"]

    before = rent(date(2026, 5, 31)), rent(AS_OF)
    tenant.create(
        "ManualJournals",
        {
            "Narration": "Back-dated rent accrual",
            "Status": "POSTED",
            "Date": day.isoformat(),
            "JournalLines": [
                {"AccountCode": "469", "LineAmount": "1234.56", "Description": "Rent"},
                {"AccountCode": "800", "LineAmount": "-1234.56", "Description": "Rent"},
            ],
        },
    )
    warehouse.sync()
    warehouse.build()
    after = rent(date(2026, 5, 31)), rent(AS_OF)
    assert after != before
    month_before = before[0][0] if before[0] else (ZERO, ZERO)
    assert after[0][0][0] == month_before[0] + Decimal("1234.56")
    rows = read_table(warehouse.url, "reporting.tie_out")
    assert [r for r in rows if r["status"] == "broken"] == []
    assert run_verify(warehouse.url) == 0


def run_verify(url: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(["verify", "--destination", url])
    return exited.value.code


def test_a_tampered_line_breaks_and_a_tenant_without_journals_does_not(warehouse, capsys):
    tampered, starter = warehouse.sandbox.tenants
    sales = next(
        r
        for r in read_table(warehouse.url, "reporting.fct_general_ledger")
        if r["tenant_id"] == tampered.tenant_id
        and r["account_code"] == "200"
        and r["journal_date"] >= AS_OF.replace(day=1)
    )
    setup = [
        "create table xero.journals_kept as select * from xero.journals",
        f"delete from xero.journals where tenant_id = '{starter.tenant_id}'",
        "update xero.journals__journal_lines set net_amount = net_amount + 100 "
        f"where journal_line_id = '{sales['journal_line_id']}'",
    ]
    restore = [
        "update xero.journals__journal_lines set net_amount = net_amount - 100 "
        f"where journal_line_id = '{sales['journal_line_id']}'",
        f"insert into xero.journals select * from xero.journals_kept where tenant_id = "
        f"'{starter.tenant_id}'",
        "drop table xero.journals_kept",
    ]
    for sql in setup:
        warehouse.execute(sql)
    try:
        warehouse.build()
        ledger = read_table(warehouse.url, "reporting.fct_general_ledger")
        assert ledger and not [r for r in ledger if r["tenant_id"] == starter.tenant_id]
        rows = read_table(warehouse.url, "reporting.tie_out")
        broken = [r for r in rows if r["status"] == "broken"]
        assert broken and {r["tenant_id"] for r in broken} == {tampered.tenant_id}
        assert ("trial_balance", sales["account_id"]) in {
            (r["check_name"], r["subject_id"]) for r in broken
        }
        assert run_verify(warehouse.url) == 1
        out = capsys.readouterr().out
        assert "  broken:\n" in out and out.rstrip().endswith("broken: BROKEN")
        assert tenants_without_journals(parse_destination(warehouse.url)) == [starter.name]
        starter_rows = [r for r in rows if r["tenant_id"] == starter.tenant_id]
        assert {r["status"] for r in starter_rows} == {"tied", "explained"}
        assert {r["explanation"] for r in starter_rows if r["status"] == "explained"} == {
            "journals not available on this Xero plan"
        }
    finally:
        for sql in restore:
            warehouse.execute(sql)
        warehouse.build()
    rows = read_table(warehouse.url, "reporting.tie_out")
    assert [r for r in rows if r["status"] == "broken"] == []
    assert run_verify(warehouse.url) == 0
