"""Report snapshots: a sync of `report_*` against the sandbox over HTTP, on DuckDB and
PostgreSQL, equals the sandbox's own reports line by line, to the cent, for two tenants with
different base currencies and financial-year ends; re-runs stay within the request budget."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from test_sync_sandbox import query, served

from pipelines.runner import check_resources, sync
from pipelines.xero import reports as snapshots
from sandbox import reports
from sandbox.model import Sandbox

AS_OF = date(2026, 10, 31)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(tenants=2, scale="small", seed=11, anchor=AS_OF)


def expected_lines(report: reports.Report, aged: bool = False) -> list[tuple]:
    """(section, label, money values...) of every Row/SummaryRow, straight off the report."""
    lines = []
    for top in report.rows:
        children = top.get("Rows", []) if top["RowType"] == "Section" else []
        for line in children:
            values = [c["Value"] for c in line["Cells"]]
            if aged:
                label, money = values[1], values[4:]
            else:
                label, money = values[0], values[1:]
            money = [Decimal(v) if v else None for v in money]
            lines.append((top["Title"] or None, label or None, *money))
    return lines


def stored_lines(warehouse, table: str, tenant_id: str, day: date, columns: str, extra=""):
    rows = query(
        warehouse,
        f"select section, label, {columns} from xero.{table} "
        f"where tenant_id = %s and report_date = %s {extra} order by line",
        tenant_id,
        day,
    )
    return [tuple(r[:2]) + tuple(None if v is None else Decimal(v) for v in r[2:]) for r in rows]


def test_report_snapshots_equal_the_sandbox_reports(monkeypatch, sb, warehouse_url):
    destination = warehouse_url
    monkeypatch.setenv("XERO_REPORT_AS_OF", AS_OF.isoformat())
    monkeypatch.setenv("XERO_REPORT_AGED_CONTACTS", "3")
    with served(monkeypatch, sb) as server:
        result = sync(destination, resources=["report_*"])
        assert result.ok, result.errors
        log = server.log
        for tenant in sb.tenants:
            assert log.count(tenant.tenant_id, "/Reports/TrialBalance", 200) == _months(tenant)
        again = sync(destination, resources=["report_trial_balance"])
        assert again.ok
        for tenant in sb.tenants:  # the last three months only
            assert log.count(tenant.tenant_id, "/Reports/TrialBalance", 200) == _months(tenant) + 3
    assert {t.base_currency for t in sb.tenants} == {"AUD", "NZD"}
    for tenant in sb.tenants:
        books = reports.Books(tenant)
        year_start = books.year_start(AS_OF)
        for day in (AS_OF, _before(year_start), _before(_before(year_start).replace(day=1))):
            _check_month(destination, tenant, books, day)
        _check_aged(destination, tenant, books)
        duplicates = query(
            destination,
            "select count(*) - count(distinct report_date || '/' || line) "
            "from xero.report_trial_balance where tenant_id = %s",
            tenant.tenant_id,
        )
        assert duplicates == [(0,)]


def _check_month(warehouse, tenant, books, day: date) -> None:
    tb = reports.trial_balance(books, day)
    got = stored_lines(warehouse, "report_trial_balance", tenant.tenant_id, day,
                       "debit, credit, ytd_debit, ytd_credit")  # fmt: skip
    assert got == expected_lines(tb) and got
    bs = reports.balance_sheet(books, [day])
    got = stored_lines(warehouse, "report_balance_sheet", tenant.tenant_id, day, "amount")
    assert got == expected_lines(bs) and got
    pl = reports.profit_and_loss(books, [(day.replace(day=1), day)])
    got = stored_lines(warehouse, "report_profit_and_loss", tenant.tenant_id, day, "amount")
    assert got == expected_lines(pl) and got
    bank = reports.bank_summary(books, day.replace(day=1), day)
    got = stored_lines(warehouse, "report_bank_summary", tenant.tenant_id, day,
                       "opening_balance, cash_received, cash_spent, closing_balance")  # fmt: skip
    assert got == expected_lines(bank) and got


def _check_aged(warehouse, tenant, books) -> None:
    contacts = query(
        warehouse,
        "select distinct contact_id from xero.report_aged_receivables_by_contact "
        "where tenant_id = %s",
        tenant.tenant_id,
    )
    assert len(contacts) == 3
    for (contact_id,) in contacts:
        contact = tenant.collection("Contacts").get(contact_id)
        report = reports.aged_by_contact(books, "receivables", contact, AS_OF, None, None)
        got = stored_lines(warehouse, "report_aged_receivables_by_contact", tenant.tenant_id,
                           AS_OF, "total, paid, credited, due",
                           f"and contact_id = '{contact_id}'")  # fmt: skip
        assert got == expected_lines(report, aged=True)


def _months(tenant) -> int:
    start = snapshots.horizon_start(AS_OF, reports.Books(tenant).year_end, 2)
    return len(snapshots.month_ends(start, AS_OF))


def _before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def test_report_patterns_select_the_report_resources():
    assert check_resources(["report_*"]) == list(snapshots.REPORT_NAMES)
    assert check_resources(["invoices", "report_trial_balance"]) == [
        "invoices",
        "report_trial_balance",
    ]
    with pytest.raises(Exception, match="unknown resource report_nothing"):
        check_resources(["report_nothing"])


def test_report_money_is_parsed_without_float():
    assert snapshots.parse_money("1234567890123.10") == Decimal("1234567890123.10")
    assert snapshots.parse_money("") is None
    row = snapshots.report_rows(
        snapshots.BY_NAME["report_balance_sheet"],
        {
            "Reports": [
                {
                    "Rows": [
                        {"RowType": "Header", "Cells": [{"Value": ""}, {"Value": "31 Oct 2026"}]},
                        {
                            "RowType": "Section",
                            "Title": "Bank",
                            "Rows": [
                                {
                                    "RowType": "Row",
                                    "Cells": [
                                        {
                                            "Value": "Cheque",
                                            "Attributes": [{"Id": "account", "Value": "a-1"}],
                                        },
                                        {
                                            "Value": "0.10",
                                            "Attributes": [{"Id": "account", "Value": "a-1"}],
                                        },
                                    ],
                                }
                            ],
                        },
                    ]
                }
            ]
        },
        "t-1",
        {"report_date": AS_OF},
    )
    assert row == [
        {
            "tenant_id": "t-1",
            "report_date": AS_OF,
            "section": "Bank",
            "row_type": "Row",
            "account_id": "a-1",
            "label": "Cheque",
            "amount": Decimal("0.10"),
            "line": 1,
        }
    ]


def test_horizon_is_the_current_and_previous_financial_year():
    assert snapshots.horizon_start(date(2026, 10, 31), (30, 6), 2) == date(2025, 7, 1)
    assert snapshots.horizon_start(date(2026, 3, 31), (31, 3), 2) == date(2024, 4, 1)
    assert snapshots.horizon_start(date(2026, 4, 1), (31, 3), 1) == date(2026, 4, 1)
    assert snapshots.horizon_start(date(2028, 3, 1), (29, 2), 1) == date(2028, 3, 1)
    assert snapshots.horizon_start(date(2027, 2, 28), (29, 2), 1) == date(2026, 3, 1)
    ends = snapshots.month_ends(date(2025, 12, 1), date(2026, 2, 10))
    assert ends == [date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28)]
    loaded = {d.isoformat() for d in ends}
    settings = snapshots.ReportSettings(reread_months=1)
    assert snapshots.months_to_read(ends, loaded, settings, False) == [date(2026, 2, 28)]
    assert snapshots.months_to_read(ends, loaded, settings, True) == ends


def test_a_tenant_without_the_reports_scope_skips_them_with_one_warning(
    monkeypatch, sb, tmp_path, caplog
):
    scopes = frozenset(
        {"offline_access", "accounting.transactions.read", "accounting.settings.read"}
    )
    tenant_id = sb.tenants[0].tenant_id
    monkeypatch.setenv("XERO_REPORT_AS_OF", AS_OF.isoformat())
    with served(monkeypatch, sb) as server:
        narrow = server.identity.register_client(
            "NOREPORTSCLIENT000000000000001", "narrow-secret", scopes=scopes
        )
        server.identity.connect(narrow.client_id, [tenant_id])
        monkeypatch.setenv("XERO_CLIENT_ID", narrow.client_id)
        monkeypatch.setenv("XERO_CLIENT_SECRET", narrow.client_secret)
        monkeypatch.setenv(
            "XERO_REFRESH_TOKEN", server.identity.issue_refresh_token(narrow.client_id)
        )
        destination = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
        result = sync(destination, tenants=[tenant_id], resources=["invoices", "report_*"])
        refused = server.log.count(tenant_id, "/Reports/TrialBalance", 401)
        asked = sum(server.log.count(tenant_id, f"/Reports/{name}") for name in (
            "TrialBalance", "BalanceSheet", "ProfitAndLoss", "BankSummary",
            "AgedReceivablesByContact", "AgedPayablesByContact"))  # fmt: skip
    assert result.ok, result.errors
    assert refused == 1 and asked == 1
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "report" in r.message]
    assert len(warnings) == 1 and "accounting.reports.read" in warnings[0].message
    assert result.tables[(tenant_id, "invoices")].rows == len(sb.tenants[0].collection("Invoices"))


def test_a_bad_report_setting_fails_the_run_in_one_line(monkeypatch, sb, tmp_path):
    monkeypatch.setenv("XERO_REPORT_YEARS", "two")
    with served(monkeypatch, sb):
        result = sync(
            f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
            tenants=[sb.tenants[0].tenant_id],
            resources=["report_trial_balance"],
        )
    assert [e.split(": ", 1)[1] for e in result.errors] == [
        "XERO_REPORT_YEARS must be a whole number (1 or more for years)"
    ]


def test_a_back_dated_journal_reaches_the_re_read_months_only(monkeypatch, sb, tmp_path):
    """The last months are read again every run: a journal dated back into them shows in the
    snapshots; a month before them keeps its old snapshot until a full refresh."""
    tenant = sb.tenants[1]
    destination = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    monkeypatch.setenv("XERO_REPORT_AS_OF", AS_OF.isoformat())
    monkeypatch.setenv("XERO_REPORT_YEARS", "1")
    monkeypatch.setenv("XERO_REPORT_REREAD_MONTHS", "2")
    recent, older = date(2026, 9, 30), date(2026, 7, 31)
    with served(monkeypatch, sb):
        run = ["report_trial_balance", "report_balance_sheet"]
        assert sync(destination, tenants=[tenant.tenant_id], resources=run).ok
        before = _stored_trial_balance(destination, tenant, older)
        for day in (recent, older):
            tenant.create("ManualJournals", _rent_accrual(day))
        assert sync(destination, tenants=[tenant.tenant_id], resources=run).ok
        books = reports.Books(tenant)
        assert _stored_trial_balance(destination, tenant, recent) == _expected_tb(books, recent)
        assert _stored_trial_balance(destination, tenant, older) == before
        assert before != _expected_tb(books, older)
        assert sync(destination, tenants=[tenant.tenant_id], resources=run, full_refresh=True).ok
        assert _stored_trial_balance(destination, tenant, older) == _expected_tb(books, older)
    sheet = reports.balance_sheet(books, [recent])
    got = stored_lines(destination, "report_balance_sheet", tenant.tenant_id, recent, "amount")
    assert got == expected_lines(sheet)


def _rent_accrual(day: date) -> dict:
    return {
        "Narration": "Back-dated rent accrual",
        "Status": "POSTED",
        "Date": day.isoformat(),
        "JournalLines": [
            {"AccountCode": "469", "LineAmount": "1234.56", "Description": "Rent"},
            {"AccountCode": "800", "LineAmount": "-1234.56", "Description": "Rent"},
        ],
    }


def _stored_trial_balance(warehouse, tenant, day: date) -> list[tuple]:
    return stored_lines(warehouse, "report_trial_balance", tenant.tenant_id, day,
                        "debit, credit, ytd_debit, ytd_credit")  # fmt: skip


def _expected_tb(books, day: date) -> list[tuple]:
    return expected_lines(reports.trial_balance(books, day))


def test_the_default_granular_scopes_read_the_reports(monkeypatch, sb, tmp_path):
    from pipelines.xero.auth import default_scopes

    tenant_id = sb.tenants[0].tenant_id
    monkeypatch.setenv("XERO_REPORT_AS_OF", AS_OF.isoformat())
    monkeypatch.setenv("XERO_REPORT_YEARS", "1")
    with served(monkeypatch, sb) as server:
        scopes = frozenset(default_scopes(granular=True).split())
        app = server.identity.register_client(
            "GRANULARAPP0000000000000000001", "secret", scopes=scopes
        )
        server.identity.connect(app.client_id, [tenant_id])
        monkeypatch.setenv("XERO_CLIENT_ID", app.client_id)
        monkeypatch.setenv("XERO_CLIENT_SECRET", app.client_secret)
        monkeypatch.setenv("XERO_REFRESH_TOKEN", server.identity.issue_refresh_token(app.client_id))
        result = sync(
            f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
            tenants=[tenant_id],
            resources=["report_trial_balance"],
        )
    assert result.ok, result.errors
    assert result.tables[(tenant_id, "report_trial_balance")].rows > 0
