# ruff: noqa: F811 - the spec fixtures are imported from the conformance tests
"""The sandbox's Reports API: Xero's report JSON (validated against the spec), computed from
the sandbox's own books and agreeing with the truth summed straight from its journals and
documents: the trial balance balances, the balance sheet balances, the P&L equals the change
in current-year earnings, aged reports equal the open documents."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from test_http_conformance import (  # noqa: F401 - fixtures
    _assert_valid,
    _response_schema,
    accounting_spec,
    open_xero,
    registry,
)

from sandbox import ground_truth, reports

AS_OF = date(2026, 10, 31)


def cells(row: dict) -> list[str]:
    return [c["Value"] for c in row["Cells"]]


def lines(report: reports.Report) -> list[dict]:
    out = []
    for top in report.rows:
        out.extend(top.get("Rows", []) if top["RowType"] == "Section" else [])
    return out


def line(report: reports.Report, label: str) -> list[Decimal]:
    for row in lines(report):
        if cells(row)[0] == label:
            return [Decimal(v) if v else Decimal(0) for v in cells(row)[1:]]
    raise AssertionError(f"no line {label!r}")


@pytest.fixture(scope="module")
def books_of(open_xero):
    tenants = open_xero.server.sandbox.tenants
    return {t.base_currency: reports.Books(t) for t in tenants}


def truth_of(xero, tenant_id: str, day: date) -> dict:
    url = f"{xero.server.base_url}/_sandbox/reports/{tenant_id}/truth"
    answer = httpx.get(url, params={"date": day.isoformat()})
    assert answer.status_code == 200, answer.text
    return answer.json()


def month_ends(last: date, count: int) -> list[date]:
    out = [last]
    while len(out) < count:
        out.append(out[-1].replace(day=1) - timedelta(days=1))
    return out


def test_financial_year_comes_from_the_organisation(books_of):
    assert books_of["AUD"].year_end == (30, 6)
    assert books_of["NZD"].year_end == (31, 3)
    assert books_of["AUD"].year_start(AS_OF) == date(2026, 7, 1)
    assert books_of["NZD"].year_start(AS_OF) == date(2026, 4, 1)
    assert books_of["NZD"].year_start(date(2026, 3, 31)) == date(2025, 4, 1)


@pytest.mark.parametrize("currency", ["AUD", "NZD"])
def test_trial_balance_balances_and_holds_prior_profit_in_retained_earnings(
    open_xero, books_of, currency
):
    books = books_of[currency]
    retained = books.retained_earnings()
    for day in month_ends(AS_OF, 14):  # across a financial-year boundary
        report = reports.trial_balance(books, day)
        debit, credit, ytd_debit, ytd_credit = line(report, "Total")
        assert debit == credit and ytd_debit == ytd_credit and ytd_debit > 0
        truth = truth_of(open_xero, books.tenant.tenant_id, day)
        label = f"{retained.name} ({retained.code})"
        ytd = line(report, label)[2] - line(report, label)[3] if _has(report, label) else 0
        journal = Decimal(truth["journal_balances"].get(retained.account_id, "0"))
        assert ytd == journal - Decimal(truth["profit_before_this_year"])


def _has(report, label: str) -> bool:
    return any(cells(r)[0] == label for r in lines(report))


@pytest.mark.parametrize("currency", ["AUD", "NZD"])
def test_balance_sheet_balances_and_profit_equals_the_change_in_earnings(books_of, currency):
    books = books_of[currency]
    dates = month_ends(AS_OF, 14)
    sheet = reports.balance_sheet(books, dates)
    net_assets = line(sheet, "Net Assets")
    assert net_assets == line(sheet, "Total Equity")
    earnings = dict(zip(dates, line(sheet, "Current Year Earnings"), strict=True))
    for day in dates[:-1]:
        start = books.year_start(day)
        year_to_date = reports.profit_and_loss(books, [(start, day)])
        assert line(year_to_date, "Net Profit") == [earnings[day]]
        month = reports.profit_and_loss(books, [(day.replace(day=1), day)])
        previous = day.replace(day=1) - timedelta(days=1)
        change = earnings[day] - (earnings[previous] if previous >= start else 0)
        assert line(month, "Net Profit") == [change]


def test_unrealised_gain_is_on_the_balance_sheet_but_in_no_journal(books_of):
    books = books_of["NZD"]
    gain = books.unrealised_gain(AS_OF)
    assert gain != 0
    sheet = reports.balance_sheet(books, [AS_OF])
    trial = reports.trial_balance(books, AS_OF)
    receivables = next(a for a in books.accounts.values() if a.system == "DEBTORS")
    label = f"{receivables.name} ({receivables.code})"
    journal_balance = line(trial, label)[2] - line(trial, label)[3]
    revaluation = books.revaluation("receivables", AS_OF)
    assert line(sheet, receivables.name) == [journal_balance + revaluation]
    unrealised = books.unrealised_gains()
    year = reports.profit_and_loss(books, [(books.year_start(AS_OF), AS_OF)])
    opening = books.unrealised_gain(books.year_start(AS_OF) - timedelta(days=1))
    assert line(year, unrealised.name) == [-(gain - opening)]
    assert not _has(trial, f"{unrealised.name} ({unrealised.code})")


def test_profit_and_loss_periods_cut_every_month_at_the_end_dates_day(books_of):
    columns = reports.profit_and_loss_columns(date(2026, 9, 1), date(2026, 9, 30), 2, "MONTH")
    assert columns == [
        (date(2026, 9, 1), date(2026, 9, 30)),
        (date(2026, 8, 1), date(2026, 8, 30)),
        (date(2026, 7, 1), date(2026, 7, 30)),
    ]
    books = books_of["AUD"]
    three = reports.profit_and_loss(books, columns)
    august = reports.profit_and_loss(books, [(date(2026, 8, 1), date(2026, 8, 31))])
    cut = reports.profit_and_loss(books, [(date(2026, 8, 1), date(2026, 8, 30))])
    assert line(three, "Net Profit")[1] == line(cut, "Net Profit")[0]
    on_31st = [j for j in books.lines if j[0] == date(2026, 8, 31)]
    if on_31st:
        assert line(august, "Net Profit") != line(cut, "Net Profit")


@pytest.mark.parametrize("side", ["receivables", "payables"])
def test_aged_reports_per_contact_equal_the_open_documents(open_xero, books_of, side):
    books = books_of["AUD"]
    tenant = books.tenant
    truth = truth_of(open_xero, tenant.tenant_id, AS_OF)
    aging = (ground_truth.ar_aging if side == "receivables" else ground_truth.ap_aging)(
        tenant, AS_OF
    )
    invoices_due: dict[str, Decimal] = {}
    for row in aging:
        invoices_due[row.contact_id] = invoices_due.get(row.contact_id, 0) + row.amount_due
    assert truth["open_by_contact"][side]
    for contact_id, due in truth["open_by_contact"][side].items():
        contact = tenant.collection("Contacts").get(contact_id)
        report = reports.aged_by_contact(books, side, contact, AS_OF, None, None)
        assert line(report, "Closing Balance")[-1] == Decimal(due)
        documents = [
            r for r in lines(report) if r["RowType"] == "Row" and r["Cells"][0].get("Attributes")
        ]
        invoices = [r for r in documents if r["Cells"][0]["Attributes"][0]["Id"] == "invoiceID"]
        assert sum(Decimal(cells(r)[-1]) for r in invoices) == invoices_due.get(contact_id, 0)


def test_aged_report_splits_earlier_documents_into_the_opening_balance(books_of):
    books = books_of["AUD"]
    tenant = books.tenant
    documents = books.open_documents("receivables", AS_OF)
    contact = tenant.collection("Contacts").get(documents[0].contact_id)
    mine = [d for d in documents if d.contact_id == contact["ContactID"]]
    cut = mine[-1].day
    report = reports.aged_by_contact(books, "receivables", contact, AS_OF, cut, AS_OF)
    earlier = sum((d.due for d in mine if d.day < cut), Decimal(0))
    opening = [r for r in lines(report) if cells(r)[1] == "Opening Balance"][0]
    assert Decimal(cells(opening)[-1]) == earlier
    assert line(report, "Closing Balance")[-1] == sum((d.due for d in mine), Decimal(0))


REPORT_CALLS = (
    ("/Reports/TrialBalance", {"date": "2026-09-30"}),
    ("/Reports/TrialBalance", {"date": "2026-09-30", "paymentsOnly": "true"}),
    ("/Reports/ProfitAndLoss", {"fromDate": "2026-09-01", "toDate": "2026-09-30", "periods": 2,
                                "timeframe": "MONTH", "standardLayout": "true"}),
    ("/Reports/BalanceSheet", {"date": "2026-09-30", "periods": 2, "timeframe": "QUARTER"}),
    ("/Reports/BankSummary", {"fromDate": "2026-09-01", "toDate": "2026-09-30"}),
    ("/Reports/BudgetSummary", {"date": "2026-01-01", "periods": 4, "timeframe": 3}),
    ("/Reports/ExecutiveSummary", {"date": "2026-09-30"}),
)  # fmt: skip


@pytest.mark.parametrize("path,params", REPORT_CALLS, ids=lambda v: str(v)[:40])
def test_reports_match_the_spec(open_xero, accounting_spec, registry, path, params):
    body = open_xero.ok(path, params)
    assert body["Status"] == "OK" and len(body["Reports"]) == 1
    report = body["Reports"][0]
    assert (
        report["ReportType"] == path.rsplit("/", 1)[1] and report["Rows"][0]["RowType"] == "Header"
    )
    _assert_valid(registry, _response_schema(accounting_spec, path), body, path)


@pytest.mark.parametrize(
    "path", ["/Reports/AgedReceivablesByContact", "/Reports/AgedPayablesByContact"]
)
def test_aged_reports_match_the_spec(open_xero, accounting_spec, registry, books_of, path):
    side = "receivables" if "Receivables" in path else "payables"
    contact_id = books_of["AUD"].open_documents(side, AS_OF)[0].contact_id
    params = {"contactId": contact_id, "date": AS_OF.isoformat(), "fromDate": "2026-01-01"}
    body = open_xero.ok(path, params)
    assert body["Reports"][0]["ReportTitles"][-1] == "Showing payments to 31 October 2026"
    _assert_valid(registry, _response_schema(accounting_spec, path), body, path)


@pytest.mark.parametrize(
    "path,params,status",
    [
        ("/Reports/AgedReceivablesByContact", {}, 400),
        ("/Reports/ProfitAndLoss", {"timeframe": "WEEK"}, 400),
        ("/Reports/ProfitAndLoss", {"fromDate": "2025-01-01", "toDate": "2026-06-30"}, 400),
        ("/Reports/TrialBalance", {"date": "31/09/2026"}, 400),
        ("/Reports/BalanceSheet", {"periods": 12}, 400),
        ("/Reports/NoSuchReport", {}, 404),
    ],
)
def test_bad_report_requests_are_refused(open_xero, path, params, status):
    assert open_xero.get(path, params).status_code == status
