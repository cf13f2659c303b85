"""Xero's Reports API over the sandbox's own books: Trial Balance, Profit and Loss, Balance
Sheet, Aged Receivables/Payables by contact, Bank Summary, Budget Summary, Executive Summary.

Everything is computed from the tenant's Journals, documents, payments and allocations, never
from the warehouse. The behaviours that make naive tie-outs fail are kept on purpose:
- the financial year comes from `Organisation.FinancialYearEndDay/Month`;
- prior years' profit is rolled into Retained Earnings, the current year's is shown as
  Current Year Earnings on the balance sheet;
- open foreign-currency invoices and bills are revalued at the report date's rate: the
  unrealised gain shows on the balance sheet (in receivables/payables and earnings) and in the
  P&L's Unrealised Currency Gains line, while no journal holds it (the trial balance, built
  from journals alone, does not show it);
- a P&L with `periods` and `timeframe=MONTH` cuts every month at the end date's day.

Simplifications: `paymentsOnly=true` keeps the cash journals only (payments, bank
transactions, transfers, manual journals); bank accounts are not revalued; tracking filters
are accepted and ignored.
"""

from __future__ import annotations

import calendar
import json
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sandbox import spec
from sandbox.accounting import PROVIDER_NAME, ApiError, not_found, validation_error
from sandbox.generate import ACCOUNT_CLASS, money
from sandbox.wire import ms_date, parse_date

ENDPOINT = spec.Endpoint("Reports", "/Reports", None, "accounting.reports.read", by_id=False)
ZERO = Decimal("0.00")
PROFIT_AND_LOSS_CLASSES = ("REVENUE", "EXPENSE")
CASH_SOURCE_TYPES = frozenset(
    {
        "ACCRECPAYMENT",
        "ACCPAYPAYMENT",
        "ARCREDITPAYMENT",
        "APCREDITPAYMENT",
        "AROVERPAYMENTPAYMENT",
        "APOVERPAYMENTPAYMENT",
        "ARPREPAYMENTPAYMENT",
        "APPREPAYMENTPAYMENT",
        "CASHREC",
        "CASHPAID",
        "TRANSFER",
        "MANJOURNAL",
        "ARPREPAYMENT",
        "APPREPAYMENT",
        "AROVERPAYMENT",
        "APOVERPAYMENT",
    }
)
TIMEFRAME_MONTHS = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}
MAX_PERIODS = 11
OPEN_STATUSES = ("AUTHORISED", "PAID")

# (section title, account types, sign shown: +1 debit positive, -1 credit positive)
PROFIT_AND_LOSS_SECTIONS = (
    ("Income", ("REVENUE", "SALES"), -1, "Total Income"),
    ("Less Cost of Sales", ("DIRECTCOSTS",), 1, "Total Cost of Sales"),
    ("Plus Other Income", ("OTHERINCOME",), -1, "Total Other Income"),
    (
        "Less Operating Expenses",
        ("EXPENSE", "OVERHEADS", "DEPRECIATN"),
        1,
        "Total Operating Expenses",
    ),
)
GROSS_PROFIT_AFTER = 1  # the Gross Profit line follows the first two sections
BALANCE_SHEET_ASSETS = (
    ("Bank", ("BANK",)),
    ("Current Assets", ("CURRENT", "INVENTORY", "PREPAYMENT")),
    ("Fixed Assets", ("FIXED",)),
    ("Non-current Assets", ("NONCURRENT",)),
)
BALANCE_SHEET_LIABILITIES = (
    ("Current Liabilities", ("CURRLIAB", "LIABILITY", "PAYG")),
    ("Non-current Liabilities", ("TERMLIAB",)),
)
TRIAL_BALANCE_SECTIONS = (
    ("Revenue", "REVENUE"),
    ("Expenses", "EXPENSE"),
    ("Assets", "ASSET"),
    ("Liabilities", "LIABILITY"),
    ("Equity", "EQUITY"),
)
# system account -> (name, type, class) of the stand-in used when the chart lacks it
SYSTEM_ACCOUNTS = {
    "RETAINEDEARNINGS": ("Retained Earnings", "EQUITY", "EQUITY"),
    "UNREALISEDCURRENCYGAIN": ("Unrealised Currency Gains", "EXPENSE", "EXPENSE"),
    "DEBTORS": ("Accounts Receivable", "CURRENT", "ASSET"),
    "CREDITORS": ("Accounts Payable", "CURRLIAB", "LIABILITY"),
}
# aged reports: side -> (invoice type, credit note type, overpayment type, control system account)
AGED_SIDES = {
    "receivables": ("ACCREC", "ACCRECCREDIT", "RECEIVE-OVERPAYMENT", "DEBTORS"),
    "payables": ("ACCPAY", "ACCPAYCREDIT", "SPEND-OVERPAYMENT", "CREDITORS"),
}


# -- the books ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Account:
    account_id: str
    code: str
    name: str
    type: str
    account_class: str
    system: str | None = None

    @property
    def is_profit_and_loss(self) -> bool:
        return self.account_class in PROFIT_AND_LOSS_CLASSES


@dataclass(frozen=True)
class OpenDocument:
    """A document open as of a date; amounts in its own currency, credits negative."""

    id_attribute: str  # invoiceID, creditNoteID, overpaymentID
    document_id: str
    number: str
    contact_id: str
    currency: str
    rate: Decimal
    day: date
    due_date: date | None
    total: Decimal
    paid: Decimal
    credited: Decimal
    due: Decimal


class Books:
    """One tenant's ledger, read once per report: accounts, journal lines, financial year."""

    def __init__(self, tenant):
        self.tenant = tenant
        org = next(iter(tenant.collection("Organisations").records()))
        self.org_name = org["Name"]
        self.base_currency = org["BaseCurrency"]
        self.year_end = (int(org["FinancialYearEndDay"]), int(org["FinancialYearEndMonth"]))
        self.accounts: dict[str, Account] = {}
        self.lines: list[tuple[date, str, Decimal, str]] = []
        self._open: dict[tuple[str, date], list[OpenDocument]] = {}
        self._records: dict[str, list[dict]] = {}
        for record in tenant.collection("Accounts").records():
            self._add_account(record)
        for journal in tenant.collection("Journals").records():
            for line in journal.get("JournalLines") or ():
                if line["AccountID"] not in self.accounts:
                    self._add_account(line)
                self.lines.append(
                    (
                        journal["JournalDate"],
                        line["AccountID"],
                        line["NetAmount"],
                        journal["SourceType"],
                    )
                )

    def _add_account(self, record: dict) -> None:
        kind = record.get("Type") or record.get("AccountType")
        self.accounts[record["AccountID"]] = Account(
            record["AccountID"],
            record.get("Code") or record.get("AccountCode") or "",
            record.get("Name") or record.get("AccountName") or "",
            kind,
            record.get("Class") or ACCOUNT_CLASS.get(kind, "ASSET"),
            record.get("SystemAccount"),
        )

    def records(self, collection: str) -> list[dict]:
        """A collection's records, decoded once for the life of these books."""
        if collection not in self._records:
            self._records[collection] = list(self.tenant.collection(collection).records())
        return self._records[collection]

    def system_account(self, system: str) -> Account:
        """The account of a system role (a stand-in when the chart lacks one)."""
        for account in self.accounts.values():
            if account.system == system:
                return account
        name, kind, account_class = SYSTEM_ACCOUNTS[system]
        account = Account(f"virtual-{system.lower()}", "", name, kind, account_class, system)
        self.accounts[account.account_id] = account
        return account

    def retained_earnings(self) -> Account:
        return self.system_account("RETAINEDEARNINGS")

    def unrealised_gains(self) -> Account:
        return self.system_account("UNREALISEDCURRENCYGAIN")

    def year_start(self, day: date) -> date:
        """First day of the financial year holding `day`."""
        end_this_year = _year_end(day.year, self.year_end)
        if day > end_this_year:
            return end_this_year + timedelta(days=1)
        return _year_end(day.year - 1, self.year_end) + timedelta(days=1)

    def net(self, start: date | None, end: date, cash_only: bool = False) -> dict[str, Decimal]:
        """Account id -> sum of journal NetAmount dated in [start, end] (debit positive)."""
        totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for day, account_id, amount, source_type in self.lines:
            if day > end or (start is not None and day < start):
                continue
            if cash_only and source_type not in CASH_SOURCE_TYPES:
                continue
            totals[account_id] += amount
        return totals

    def flows(self, start: date, end: date) -> dict[str, tuple[Decimal, Decimal]]:
        """Account id -> (money in, money out) over [start, end], both positive."""
        flows: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
        for day, account_id, amount, _ in self.lines:
            if start <= day <= end:
                flows[account_id][0 if amount > 0 else 1] += abs(amount)
        return {k: (v[0], v[1]) for k, v in flows.items()}

    def year_to_date(self, day: date, cash_only: bool = False) -> dict[str, Decimal]:
        """Balances as Xero's reports show them at `day`: profit-and-loss accounts from the
        financial-year start, the rest from the beginning, prior years' profit in Retained
        Earnings."""
        start = self.year_start(day)
        all_time = self.net(None, day, cash_only)
        this_year = self.net(start, day, cash_only)
        balances: dict[str, Decimal] = defaultdict(lambda: ZERO)
        prior_profit = ZERO
        for account_id, amount in all_time.items():
            account = self.accounts[account_id]
            if account.is_profit_and_loss:
                balances[account_id] = this_year.get(account_id, ZERO)
                prior_profit += amount - balances[account_id]
            else:
                balances[account_id] = amount
        balances[self.retained_earnings().account_id] += prior_profit
        return balances

    # -- documents --------------------------------------------------------------------------------
    def open_documents(self, side: str, as_of: date) -> list[OpenDocument]:
        """Invoices, credit notes and overpayments of one side open at the end of `as_of`
        (prepayments are left out, as in Xero's aged reports)."""
        key = (side, as_of)
        if key not in self._open:
            self._open[key] = self._find_open_documents(side, as_of)
        return self._open[key]

    def _find_open_documents(self, side: str, as_of: date) -> list[OpenDocument]:
        invoice_type, credit_type, overpayment_type, _ = AGED_SIDES[side]
        paid = self._payments_to(as_of)
        credited, applied = self._allocations_to(as_of)
        documents = []
        for invoice in self.records("Invoices"):
            if invoice["Type"] == invoice_type:
                documents.append(
                    _open_document(invoice, "invoiceID", "InvoiceID", paid, credited, as_of, 1)
                )
        sources = (
            ("CreditNotes", credit_type, "creditNoteID", "CreditNoteID"),
            ("Overpayments", overpayment_type, "overpaymentID", "OverpaymentID"),
        )
        for collection, kind, attribute, key in sources:
            for credit in self.records(collection):
                if credit["Type"] == kind:
                    documents.append(
                        _open_document(credit, attribute, key, paid, applied, as_of, -1)
                    )
        documents = [d for d in documents if d is not None and d.due != 0]
        documents.sort(key=lambda d: (d.day, d.number, d.document_id))
        return documents

    def _payments_to(self, as_of: date) -> dict[str, Decimal]:
        """Document id -> payments (and refunds) dated on or before `as_of`."""
        paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for payment in self.records("Payments"):
            if payment.get("Status") == "DELETED" or payment["Date"] > as_of:
                continue
            for ref, key in _PAYMENT_TARGETS:
                target = payment.get(ref)
                if target and target.get(key):
                    paid[target[key]] += payment["Amount"]
        return paid

    def _allocations_to(self, as_of: date) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        """(invoice id -> credit allocated to it, credit id -> credit it allocated), dated on
        or before `as_of`."""
        to_invoice: dict[str, Decimal] = defaultdict(lambda: ZERO)
        from_credit: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for collection, key in _CREDIT_KEYS:
            for credit in self.records(collection):
                if credit.get("Status") in ("VOIDED", "DELETED") or credit["Date"] > as_of:
                    continue
                for allocation in credit.get("Allocations") or ():
                    if allocation.get("IsDeleted") or allocation["Date"] > as_of:
                        continue
                    to_invoice[allocation["Invoice"]["InvoiceID"]] += allocation["Amount"]
                    from_credit[credit[key]] += allocation["Amount"]
        return to_invoice, from_credit

    def revaluation(self, side: str, as_of: date) -> Decimal:
        """How much the side's open foreign documents gained in base currency between their
        own rate and the rate on `as_of` (positive: the balance grew)."""
        ledger = getattr(self.tenant, "ledger", None)
        if ledger is None:
            return ZERO
        total = ZERO
        for document in self.open_documents(side, as_of):
            if document.currency == self.base_currency or not document.rate:
                continue
            rate_then = ledger.currency_rate(document.currency, as_of)
            total += money(document.due / rate_then) - money(document.due / document.rate)
        return total

    def unrealised_gain(self, as_of: date) -> Decimal:
        """Unrealised currency gain at the end of `as_of`: receivables up, payables down."""
        return self.revaluation("receivables", as_of) - self.revaluation("payables", as_of)


class BooksCache:
    """Books per tenant, kept between requests until that tenant's data changes."""

    def __init__(self, sandbox):
        self._books: dict[str, Books] = {}
        self._versions: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        sandbox.add_change_listener(self.changed)

    def changed(self, tenant_id: str, collection: str, record_id: str, event: str = "") -> None:
        with self._lock:
            self._versions[tenant_id] += 1
            self._books.pop(tenant_id, None)

    def books(self, tenant) -> Books:
        with self._lock:
            books = self._books.get(tenant.tenant_id)
            version = self._versions[tenant.tenant_id]
        if books is None:
            books = Books(tenant)
            with self._lock:
                if self._versions[tenant.tenant_id] == version:  # unchanged while reading
                    self._books[tenant.tenant_id] = books
        return books


_PAYMENT_TARGETS = (
    ("Invoice", "InvoiceID"),
    ("CreditNote", "CreditNoteID"),
    ("Overpayment", "OverpaymentID"),
)
_CREDIT_KEYS = (
    ("CreditNotes", "CreditNoteID"),
    ("Overpayments", "OverpaymentID"),
    ("Prepayments", "PrepaymentID"),
)


def _open_document(record, attribute, key, paid, credited, as_of, sign) -> OpenDocument | None:
    if record.get("Status") not in OPEN_STATUSES or record["Date"] > as_of:
        return None
    document_id = record[key]
    paid_amount = paid.get(document_id, ZERO)
    credited_amount = credited.get(document_id, ZERO)
    due = record["Total"] - paid_amount - credited_amount
    return OpenDocument(
        attribute,
        document_id,
        record.get("InvoiceNumber") or record.get("CreditNoteNumber") or "",
        record["Contact"]["ContactID"],
        record["CurrencyCode"],
        record.get("CurrencyRate") or Decimal(1),
        record["Date"],
        record.get("DueDate"),
        sign * record["Total"],
        sign * paid_amount,
        sign * credited_amount,
        sign * due,
    )


def _year_end(year: int, year_end: tuple[int, int]) -> date:
    day, month = year_end
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def shift_months(day: date, months: int) -> date:
    """`day` moved by whole months, its day cut at the target month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


# -- cells and rows -------------------------------------------------------------------------------
def amount(value: Decimal) -> str:
    return f"{money(value):f}"


def _cells(values: list[str], attributes: list[dict] | None = None) -> list[dict]:
    if not attributes:
        return [{"Value": v} for v in values]
    return [{"Value": v, "Attributes": attributes} for v in values]


def header(values: list[str]) -> dict:
    return {"RowType": "Header", "Cells": _cells(values)}


def row(values: list[str], attributes: list[dict] | None = None) -> dict:
    return {"RowType": "Row", "Cells": _cells(values, attributes)}


def summary_row(values: list[str]) -> dict:
    return {"RowType": "SummaryRow", "Cells": _cells(values)}


def section(title: str, rows: list[dict]) -> dict:
    return {"RowType": "Section", "Title": title, "Rows": rows}


def account_attribute(account: Account) -> list[dict]:
    return [{"Value": account.account_id, "Id": "account"}]


def _iso(day: date) -> str:
    return f"{day:%Y-%m-%dT00:00:00}"


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _us_date(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def _short_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


# -- the reports ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    report_type: str
    name: str
    titles: list[str]
    report_date: date
    rows: list[dict]


def trial_balance(books: Books, day: date, payments_only: bool = False) -> Report:
    month = books.net(day.replace(day=1), day, payments_only)
    ytd = books.year_to_date(day, payments_only)
    sections = []
    totals = [ZERO] * 4
    for title, account_class in TRIAL_BALANCE_SECTIONS:
        rows = []
        in_class = _sorted_accounts(books, lambda a, c=account_class: a.account_class == c)
        for account in in_class:
            this_month = month.get(account.account_id, ZERO)
            this_year = ytd.get(account.account_id, ZERO)
            if not this_month and not this_year:
                continue
            values = _debit_credit(this_month, this_year)
            for i, value in enumerate(values):
                totals[i] += Decimal(value or 0)
            label = f"{account.name} ({account.code})" if account.code else account.name
            rows.append(row([label, *values], account_attribute(account)))
        sections.append(section(title, rows))
    sections.append(section("", [summary_row(["Total", *(amount(t) for t in totals)])]))
    titles = ["Trial Balance", books.org_name, f"As at {_long_date(day)}"]
    rows = [header(["Account", "Debit", "Credit", "YTD Debit", "YTD Credit"]), *sections]
    return Report("TrialBalance", "Trial Balance", titles, day, rows)


def _debit_credit(month: Decimal, ytd: Decimal) -> list[str]:
    """Xero puts an account's month figure on the side of its year-to-date balance."""
    if ytd > 0 or (ytd == 0 and month > 0):
        return [amount(month), "", amount(ytd), ""]
    return ["", amount(-month), "", amount(-ytd)]


def _sorted_accounts(books: Books, keep) -> list[Account]:
    return sorted(
        (a for a in books.accounts.values() if keep(a)), key=lambda a: (a.name.lower(), a.code)
    )


def profit_and_loss_columns(
    from_date: date, to_date: date, periods: int, timeframe: str
) -> list[tuple[date, date]]:
    """The report's columns, newest first; each comparison period shifted by whole months,
    so every month ends on the end date's day (a 30th cuts 31-day months short)."""
    step = TIMEFRAME_MONTHS[timeframe]
    return [
        (shift_months(from_date, -k * step), shift_months(to_date, -k * step))
        for k in range(periods + 1)
    ]


def profit_and_loss(
    books: Books, columns: list[tuple[date, date]], payments_only: bool = False
) -> Report:
    gains = books.unrealised_gains()
    nets = []
    for start, end in columns:
        net = books.net(start, end, payments_only)
        if not payments_only:
            change = books.unrealised_gain(end) - books.unrealised_gain(start - timedelta(days=1))
            net[gains.account_id] = net.get(gains.account_id, ZERO) - change
        nets.append(net)
    rows, profit = [], [ZERO] * len(columns)
    for index, (title, types, sign, total_label) in enumerate(PROFIT_AND_LOSS_SECTIONS):
        accounts = _sorted_accounts(books, lambda a, types=types: a.type in types)
        lines, totals = _account_lines(accounts, nets, sign)
        if lines:
            lines.append(summary_row([total_label, *(amount(t) for t in totals)]))
            rows.append(section(title, lines))
        profit = [p - sign * t for p, t in zip(profit, totals, strict=True)]
        if index == GROSS_PROFIT_AFTER:
            rows.append(section("", [summary_row(["Gross Profit", *(amount(p) for p in profit)])]))
    rows.append(section("", [row(["Net Profit", *(amount(p) for p in profit)])]))
    start, end = columns[0]
    titles = [
        "Profit and Loss",
        books.org_name,
        f"For the period {_long_date(start)} to {_long_date(end)}",
    ]
    head = header(["", *(_short_date(e) for _, e in columns)])
    return Report("ProfitAndLoss", "Profit and Loss", titles, end, [head, *rows])


def _account_lines(
    accounts: list[Account], columns: list[dict[str, Decimal]], sign: int
) -> tuple[list[dict], list[Decimal]]:
    """Rows of the accounts with a figure in any column (shown with `sign`), and the totals."""
    lines, totals = [], [ZERO] * len(columns)
    for account in accounts:
        values = [sign * column.get(account.account_id, ZERO) for column in columns]
        if not any(values):
            continue
        for i, value in enumerate(values):
            totals[i] += value
        lines.append(row([account.name, *(amount(v) for v in values)], account_attribute(account)))
    return lines, totals


def balance_sheet_dates(day: date, periods: int, timeframe: str) -> list[date]:
    """The report's column dates, newest first; month-ends stay month-ends."""
    step = TIMEFRAME_MONTHS[timeframe]
    dates = []
    for k in range(periods + 1):
        shifted = shift_months(day, -k * step)
        dates.append(month_end(shifted) if day == month_end(day) else shifted)
    return dates


@dataclass(frozen=True)
class BalanceColumn:
    balances: dict[str, Decimal]  # account id -> debit-positive balance, revalued
    current_year_earnings: Decimal  # credit positive
    year_start: date


def balance_column(books: Books, day: date, payments_only: bool = False) -> BalanceColumn:
    """Balances at the end of `day` as the balance sheet shows them: receivables and payables
    revalued at the day's rate, the unrealised gain of earlier years in Retained Earnings and
    this year's in Current Year Earnings."""
    start = books.year_start(day)
    balances = books.year_to_date(day, payments_only)
    profit = -sum((v for k, v in balances.items() if books.accounts[k].is_profit_and_loss), ZERO)
    if not payments_only:
        opening_gain = books.unrealised_gain(start - timedelta(days=1))
        profit += books.unrealised_gain(day) - opening_gain
        balances[books.retained_earnings().account_id] -= opening_gain
        for side, (*_, system) in AGED_SIDES.items():
            control = books.system_account(system)
            sign = 1 if side == "receivables" else -1
            balances[control.account_id] += sign * books.revaluation(side, day)
    kept = {k: v for k, v in balances.items() if not books.accounts[k].is_profit_and_loss}
    return BalanceColumn(kept, profit, start)


def balance_sheet(books: Books, dates: list[date], payments_only: bool = False) -> Report:
    columns = [balance_column(books, d, payments_only) for d in dates]
    balances = [c.balances for c in columns]
    rows = [header(["", *(_short_date(d) for d in dates)]), section("Assets", [])]
    assets = _balance_group(books, rows, BALANCE_SHEET_ASSETS, balances, 1)
    rows.append(section("", [summary_row(["Total Assets", *map(amount, assets)])]))
    rows.append(section("Liabilities", []))
    liabilities = _balance_group(books, rows, BALANCE_SHEET_LIABILITIES, balances, -1)
    rows.append(section("", [summary_row(["Total Liabilities", *map(amount, liabilities)])]))
    net_assets = [a - b for a, b in zip(assets, liabilities, strict=True)]
    rows.append(section("", [row(["Net Assets", *map(amount, net_assets)])]))
    rows.append(_equity_section(books, columns, dates))
    titles = ["Balance Sheet", books.org_name, f"As at {_long_date(dates[0])}"]
    return Report("BalanceSheet", "Balance Sheet", titles, dates[0], rows)


def _balance_group(books, rows, sections, balances, sign) -> list[Decimal]:
    totals = [ZERO] * len(balances)
    for title, types in sections:
        accounts = _sorted_accounts(books, lambda a, types=types: a.type in types)
        lines, section_totals = _account_lines(accounts, balances, sign)
        if not lines:
            continue
        lines.append(summary_row([f"Total {title}", *map(amount, section_totals)]))
        rows.append(section(title, lines))
        totals = [t + s for t, s in zip(totals, section_totals, strict=True)]
    return totals


def _equity_section(books: Books, columns: list[BalanceColumn], dates: list[date]) -> dict:
    earnings_cells = [{"Value": "Current Year Earnings"}]
    for column, day in zip(columns, dates, strict=True):
        earnings_cells.append(
            {
                "Value": amount(column.current_year_earnings),
                "Attributes": [
                    {"Value": _us_date(column.year_start), "Id": "fromDate"},
                    {"Value": _us_date(day), "Id": "toDate"},
                ],
            }
        )
    equity = _sorted_accounts(books, lambda a: a.account_class == "EQUITY")
    lines, totals = _account_lines(equity, [c.balances for c in columns], -1)
    totals = [t + c.current_year_earnings for t, c in zip(totals, columns, strict=True)]
    lines.insert(0, {"RowType": "Row", "Cells": earnings_cells})
    lines.append(summary_row(["Total Equity", *map(amount, totals)]))
    return section("Equity", lines)


def aged_by_contact(
    books: Books, side: str, contact: dict, day: date, from_date: date | None, to_date: date | None
) -> Report:
    documents = [d for d in books.open_documents(side, day) if d.contact_id == contact["ContactID"]]
    to_date = to_date or day
    earlier = [d for d in documents if from_date is not None and d.day < from_date]
    listed = [d for d in documents if d not in earlier and d.day <= to_date]
    opening = sum((d.due for d in earlier), ZERO)
    first = from_date or (listed[0].day if listed else day)
    rows = [
        header(["Date", "Number", "Due Date", "", "Total", "Paid", "Credited", "Due"]),
        section("", [row([_iso(first), "Opening Balance", *[""] * 5, amount(opening)])]),
    ]
    lines = [_aged_line(d, day) for d in listed]
    sums = [
        sum((getattr(d, f) for d in listed), ZERO) for f in ("total", "paid", "credited", "due")
    ]
    lines.append(summary_row(["Total", "", "", "", *map(amount, sums)]))
    rows.append(section("", lines))
    closing = [sums[0], sums[1], sums[2], sums[3] + opening]
    rows.append(section("", [summary_row(["Closing Balance", "", "", "", *map(amount, closing)])]))
    kind = "Receivables" if side == "receivables" else "Payables"
    titles = [
        "Invoices" if side == "receivables" else "Bills",
        contact.get("Name") or "",
        f"From {_long_date(first)} to {_long_date(to_date)}",
        f"Showing payments to {_long_date(day)}",
    ]
    return Report(f"Aged{kind}ByContact", f"Aged {kind} By Contact", titles, day, rows)


def _aged_line(document: OpenDocument, day: date) -> dict:
    overdue = (day - document.due_date).days if document.due_date else 0
    values = [
        _iso(document.day),
        document.number,
        _iso(document.due_date) if document.due_date else "",
        f"{overdue} days overdue" if overdue > 0 else "",
        *map(amount, (document.total, document.paid, document.credited, document.due)),
    ]
    return row(values, [{"Value": document.document_id, "Id": document.id_attribute}])


def bank_summary(books: Books, from_date: date, to_date: date) -> Report:
    opening = books.net(None, from_date - timedelta(days=1))
    flows = books.flows(from_date, to_date)
    lines, totals = [], [ZERO] * 4
    for account in _sorted_accounts(books, lambda a: a.type == "BANK"):
        received, spent = flows.get(account.account_id, (ZERO, ZERO))
        start = opening.get(account.account_id, ZERO)
        values = [start, received, spent, start + received - spent]
        if not any(values):
            continue
        totals = [t + v for t, v in zip(totals, values, strict=True)]
        lines.append(row([account.name, *map(amount, values)], account_attribute(account)))
    lines.append(summary_row(["Total", *map(amount, totals)]))
    rows = [
        header(
            ["Bank Accounts", "Opening Balance", "Cash Received", "Cash Spent", "Closing Balance"]
        ),
        section("", lines),
    ]
    titles = [
        "Bank Summary",
        books.org_name,
        f"From {_long_date(from_date)} to {_long_date(to_date)}",
    ]
    return Report("BankSummary", "Bank Summary", titles, to_date, rows)


def budget_summary(books: Books, day: date, periods: int, timeframe: int) -> Report:
    """The overall budget from `day`'s month: `periods` columns of `timeframe` months each."""
    starts = [shift_months(day.replace(day=1), k * timeframe) for k in range(periods)]
    ends = [shift_months(s, timeframe) for s in starts]
    amounts: dict[str, list[Decimal]] = {}
    for budget in books.tenant.collection("Budgets").records():
        if budget.get("Type") != "OVERALL":
            continue
        for line in budget.get("BudgetLines") or ():
            values = amounts.setdefault(line["AccountID"], [ZERO] * periods)
            for balance in line.get("BudgetBalances") or ():
                period = parse_date(balance["Period"])
                for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
                    if start <= period < end:
                        values[i] += balance["Amount"]
    columns = [{k: v[i] for k, v in amounts.items()} for i in range(periods)]
    income = _sorted_accounts(books, lambda a: a.account_class == "REVENUE")
    expenses = _sorted_accounts(books, lambda a: a.account_class == "EXPENSE")
    income_lines, income_totals = _account_lines(income, columns, 1)
    expense_lines, expense_totals = _account_lines(expenses, columns, 1)
    net = [a - b for a, b in zip(income_totals, expense_totals, strict=True)]
    rows = [
        header(["Account", *(f"{s:%b-%y}" for s in starts)]),
        section("Income", income_lines),
        section("", [summary_row(["Gross Profit", *map(amount, income_totals)])]),
        section("Expenses", expense_lines),
        section("", [summary_row(["Total Expenses", *map(amount, expense_totals)])]),
        section("", [summary_row(["Net Profit", *map(amount, net)])]),
    ]
    titles = ["Budget Summary", books.org_name, f"From {_long_date(starts[0])}"]
    return Report("BudgetSummary", "Budget Summary", titles, day, rows)


def executive_summary(books: Books, day: date) -> Report:
    """This month to `day` against the whole previous month."""
    previous_end = day.replace(day=1) - timedelta(days=1)
    spans = [(day.replace(day=1), day), (previous_end.replace(day=1), previous_end)]
    metrics = [_executive_metrics(books, start, end) for start, end in spans]
    rows = [header(["", f"{day:%b %Y}", f"{previous_end:%b %Y}", "Variance"])]
    for title, names in EXECUTIVE_SECTIONS:
        lines = []
        for name in names:
            now, before = metrics[0][name], metrics[1][name]
            text = [amount(v) if name not in _COUNTS else str(int(v)) for v in (now, before)]
            lines.append(row([name, *text, _variance(now, before)]))
        rows.append(section(title, lines))
    titles = ["Executive Summary", books.org_name, f"For the month of {day:%B %Y}"]
    return Report("ExecutiveSummary", "Executive Summary", titles, day, rows)


EXECUTIVE_SECTIONS = (
    ("Cash", ("Cash received", "Cash spent", "Cash surplus (deficit)", "Closing bank balance")),
    (
        "Profitability",
        (
            "Income",
            "Direct costs",
            "Gross profit (loss)",
            "Other Income",
            "Expenses",
            "Profit (loss)",
        ),
    ),
    ("Balance Sheet", ("Debtors", "Creditors", "Net assets")),
    ("Income", ("Number of invoices issued", "Average value of invoices")),
)
_COUNTS = ("Number of invoices issued",)


def _executive_metrics(books: Books, start: date, end: date) -> dict[str, Decimal]:
    banks = {a.account_id for a in books.accounts.values() if a.type == "BANK"}
    flows = books.flows(start, end)
    received = sum((flows.get(b, (ZERO, ZERO))[0] for b in banks), ZERO)
    spent = sum((flows.get(b, (ZERO, ZERO))[1] for b in banks), ZERO)
    month = books.net(start, end)
    balances = books.net(None, end)

    def by_types(source, *types):
        return sum((v for k, v in source.items() if books.accounts[k].type in types), ZERO)

    income = -by_types(month, "REVENUE", "SALES")
    direct = by_types(month, "DIRECTCOSTS")
    other = -by_types(month, "OTHERINCOME")
    expenses = by_types(month, "EXPENSE", "OVERHEADS", "DEPRECIATN")
    issued = [
        i["Total"]
        for i in books.records("Invoices")
        if i["Type"] == "ACCREC" and i["Status"] in OPEN_STATUSES and start <= i["Date"] <= end
    ]
    assets = sum(
        (v for k, v in balances.items() if books.accounts[k].account_class == "ASSET"), ZERO
    )
    liabilities = -sum(
        (v for k, v in balances.items() if books.accounts[k].account_class == "LIABILITY"), ZERO
    )
    return {
        "Cash received": received,
        "Cash spent": spent,
        "Cash surplus (deficit)": received - spent,
        "Closing bank balance": sum((balances.get(b, ZERO) for b in banks), ZERO),
        "Income": income,
        "Direct costs": direct,
        "Gross profit (loss)": income - direct,
        "Other Income": other,
        "Expenses": expenses,
        "Profit (loss)": income - direct + other - expenses,
        "Debtors": _system_balance(books, balances, "DEBTORS"),
        "Creditors": _system_balance(books, balances, "CREDITORS"),
        "Net assets": assets - liabilities,
        "Number of invoices issued": Decimal(len(issued)),
        "Average value of invoices": money(sum(issued, ZERO) / len(issued)) if issued else ZERO,
    }


def _system_balance(books: Books, balances: dict[str, Decimal], system: str) -> Decimal:
    return sum((v for k, v in balances.items() if books.accounts[k].system == system), ZERO)


def _variance(now: Decimal, before: Decimal) -> str:
    if not before:
        return "0.0%"
    return f"{(now - before) / abs(before) * 100:.1f}%"


# -- the HTTP answer ------------------------------------------------------------------------------
class Params:
    """A report's query parameters: names case-insensitive, bad values a 400."""

    def __init__(self, params: dict[str, str], today: date):
        self.values = {k.lower(): v for k, v in params.items()}
        self.today = today

    def day(self, name: str, default: date | None = None) -> date | None:
        raw = self.values.get(name.lower())
        try:
            return parse_date(raw) or default
        except ValueError:
            raise validation_error(f"{name} is not a valid date: {raw}") from None

    def number(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.values.get(name.lower())
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise validation_error(f"{name} must be an integer") from None
        if not low <= value <= high:
            raise validation_error(f"{name} must be between {low} and {high}")
        return value

    def flag(self, name: str) -> bool:
        raw = (self.values.get(name.lower()) or "false").strip().lower()
        if raw not in ("true", "false"):
            raise validation_error(f"{name} must be true or false")
        return raw == "true"

    def timeframe(self) -> str:
        raw = (self.values.get("timeframe") or "MONTH").strip().upper()
        if raw not in TIMEFRAME_MONTHS:
            raise validation_error("timeframe must be MONTH, QUARTER or YEAR")
        return raw


def _trial_balance(books: Books, p: Params) -> Report:
    return trial_balance(books, p.day("date", p.today), p.flag("paymentsOnly"))


def _profit_and_loss(books: Books, p: Params) -> Report:
    to_date = p.day("toDate") or month_end(p.day("fromDate") or p.today)
    from_date = p.day("fromDate") or to_date.replace(day=1)
    if from_date > to_date:
        raise validation_error("fromDate must be on or before toDate")
    if shift_months(from_date, 12) <= to_date:
        raise validation_error("FromDate must be within a year of ToDate")
    p.flag("standardLayout")  # only the standard layout exists: validated, nothing to switch
    periods = p.number("periods", 0, 0, MAX_PERIODS)
    columns = profit_and_loss_columns(from_date, to_date, periods, p.timeframe())
    return profit_and_loss(books, columns, p.flag("paymentsOnly"))


def _balance_sheet(books: Books, p: Params) -> Report:
    p.flag("standardLayout")
    periods = p.number("periods", 0, 0, MAX_PERIODS)
    dates = balance_sheet_dates(p.day("date", p.today), periods, p.timeframe())
    return balance_sheet(books, dates, p.flag("paymentsOnly"))


def _aged(side: str):
    def build(books: Books, p: Params) -> Report:
        contact_id = (p.values.get("contactid") or "").strip().lower()
        if not contact_id:
            raise validation_error("contactId is required")
        contact = books.tenant.collection("Contacts").get(contact_id)
        if contact is None:
            raise not_found()
        return aged_by_contact(
            books, side, contact, p.day("date", p.today), p.day("fromDate"), p.day("toDate")
        )

    return build


def _bank_summary(books: Books, p: Params) -> Report:
    to_date = p.day("toDate") or month_end(p.day("fromDate") or p.today)
    from_date = p.day("fromDate") or to_date.replace(day=1)
    if from_date > to_date:
        raise validation_error("fromDate must be on or before toDate")
    return bank_summary(books, from_date, to_date)


def _budget_summary(books: Books, p: Params) -> Report:
    timeframe = p.number("timeframe", 1, 1, 12)
    if timeframe not in (1, 3, 12):
        raise validation_error("timeframe must be 1, 3 or 12")
    return budget_summary(books, p.day("date", p.today), p.number("periods", 12, 1, 12), timeframe)


def _executive_summary(books: Books, p: Params) -> Report:
    return executive_summary(books, p.day("date", p.today))


BUILDERS = {
    "trialbalance": _trial_balance,
    "profitandloss": _profit_and_loss,
    "balancesheet": _balance_sheet,
    "agedreceivablesbycontact": _aged("receivables"),
    "agedpayablesbycontact": _aged("payables"),
    "banksummary": _bank_summary,
    "budgetsummary": _budget_summary,
    "executivesummary": _executive_summary,
}


def route_of(path: str) -> tuple[spec.Endpoint | None, str | None, None, str]:
    """(endpoint, report name, None, route template) for /Reports paths, else Nones."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0].lower() != "reports" or len(parts) > 2:
        return None, None, None, path
    if len(parts) == 1:
        return ENDPOINT, None, None, "/Reports"
    return ENDPOINT, parts[1], None, f"/Reports/{parts[1]}"


def answer(
    sandbox, cache: BooksCache, tenant, method: str, name: str | None, params: dict[str, str]
) -> bytes:
    """The body of GET /Reports[/{name}] for `tenant`."""
    if method != "GET":
        raise ApiError(
            405, {"Title": "Method Not Allowed", "Status": 405, "Detail": "Reports are read-only"}
        )
    now = sandbox.clock.now()
    reports = []
    if name is not None:
        build = BUILDERS.get(name.lower())
        if build is None:
            raise not_found()
        report = build(cache.books(tenant), Params(params, now.date()))
        reports.append(_report_json(report, now))
    envelope = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": PROVIDER_NAME,
        "DateTimeUTC": ms_date(now, offset=False),
        "Reports": reports,
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


def _report_json(report: Report, now) -> dict:
    return {
        "ReportID": report.report_type,
        "ReportName": report.name,
        "ReportType": report.report_type,
        "ReportTitles": report.titles,
        "ReportDate": _long_date(report.report_date),
        "UpdatedDateUTC": ms_date(now, offset=False),
        "Fields": [],
        "Rows": report.rows,
    }


# -- ground truth for the tests -------------------------------------------------------------------
def truth(tenant, day: date) -> dict:
    """What the reports at `day` must agree with, summed straight from the Journals and the
    open documents: journal balance per account, the financial-year start, profit of the
    year and of earlier years, the unrealised gain, and open amounts per contact."""
    books = Books(tenant)
    start = books.year_start(day)
    balances: dict[str, Decimal] = defaultdict(lambda: ZERO)
    profit_this_year = profit_before = ZERO
    for journal in tenant.collection("Journals").records():
        if journal["JournalDate"] > day:
            continue
        for line in journal.get("JournalLines") or ():
            balances[line["AccountID"]] += line["NetAmount"]
            if books.accounts[line["AccountID"]].is_profit_and_loss:
                if journal["JournalDate"] >= start:
                    profit_this_year -= line["NetAmount"]
                else:
                    profit_before -= line["NetAmount"]
    return {
        "date": day,
        "financial_year_start": start,
        "journal_balances": {k: v for k, v in balances.items() if v},
        "profit_this_year": profit_this_year,
        "profit_before_this_year": profit_before,
        "unrealised_gain": books.unrealised_gain(day),
        "unrealised_gain_at_year_start": books.unrealised_gain(start - timedelta(days=1)),
        "open_by_contact": {side: _due_by_contact(books, side, day) for side in AGED_SIDES},
    }


def _due_by_contact(books: Books, side: str, day: date) -> dict[str, Decimal]:
    due: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for document in books.open_documents(side, day):
        due[document.contact_id] += document.due
    return dict(due)


def truth_route(sandbox):
    """GET /_sandbox/reports/{tenant_id}/truth?date=YYYY-MM-DD"""
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def endpoint(request: Request):
        tenant = sandbox.tenant(request.path_params["tenant_id"])
        if tenant is None:
            return JSONResponse({"error": f"no tenant {request.path_params['tenant_id']}"}, 404)
        try:
            day = date.fromisoformat(request.query_params.get("date") or str(sandbox.anchor))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(json.loads(json.dumps(truth(tenant, day), default=str)))

    return Route("/_sandbox/reports/{tenant_id}/truth", endpoint, methods=["GET"])


__all__ = ["ApiError", "ENDPOINT", "answer", "route_of", "truth", "truth_route"]
