"""Snapshots of Xero's reports as raw tables: one row per report line.

- `report_trial_balance`, `report_balance_sheet`: as at each month-end;
- `report_profit_and_loss`, `report_bank_summary`: each calendar month (one month per call,
  so Xero's month cut at the end date's day never applies);
- `report_aged_receivables_by_contact`, `report_aged_payables_by_contact`: as at today, for a
  daily budget of contacts, largest open balances first.

Months from the start of the previous financial year (the horizon) to the current month are
read once; the last `reread_months` are read again each run (Xero takes back-dated entries),
older ones only on a full refresh. A snapshot is replaced whole (delete-insert on tenant and
date), so a line gone from Xero's report goes from the table too. A tenant without the
report scope or role skips every report with one warning.
"""

from __future__ import annotations

import calendar
import fnmatch
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import dlt

from pipelines.environment import setting
from pipelines.errors import ConfigurationError
from pipelines.xero.client import XeroAuthError, XeroDailyLimitError, XeroError, XeroForbiddenError
from pipelines.xero.helpers import DECIMAL_HINT, resource_name

logger = logging.getLogger(__name__)

TENANT_ID = "tenant_id"
MONTH_END = "month_end"  # as at each month-end: `date`
MONTH = "month"  # each calendar month: `fromDate`, `toDate`
AGED = "aged"  # as at today, per contact: `contactId`, `date`


@dataclass(frozen=True)
class ReportSpec:
    name: str  # dlt resource and table name
    path: str  # relative to /api.xro/2.0
    cadence: str
    values: tuple[str, ...]  # columns of the value cells, after the label cell
    money: tuple[str, ...]  # which of them are money


# fmt: off
REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec("report_trial_balance", "/Reports/TrialBalance", MONTH_END,
               ("debit", "credit", "ytd_debit", "ytd_credit"),
               ("debit", "credit", "ytd_debit", "ytd_credit")),
    ReportSpec("report_balance_sheet", "/Reports/BalanceSheet", MONTH_END,
               ("amount",), ("amount",)),
    ReportSpec("report_profit_and_loss", "/Reports/ProfitAndLoss", MONTH,
               ("amount",), ("amount",)),
    ReportSpec("report_bank_summary", "/Reports/BankSummary", MONTH,
               ("opening_balance", "cash_received", "cash_spent", "closing_balance"),
               ("opening_balance", "cash_received", "cash_spent", "closing_balance")),
    ReportSpec("report_aged_receivables_by_contact", "/Reports/AgedReceivablesByContact", AGED,
               ("due_date", "status", "total", "paid", "credited", "due"),
               ("total", "paid", "credited", "due")),
    ReportSpec("report_aged_payables_by_contact", "/Reports/AgedPayablesByContact", AGED,
               ("due_date", "status", "total", "paid", "credited", "due"),
               ("total", "paid", "credited", "due")),
)
# fmt: on
BY_NAME = {r.name: r for r in REPORTS}
REPORT_NAMES = tuple(r.name for r in REPORTS)
AGED_INVOICE_TYPE = {
    "report_aged_receivables_by_contact": "ACCREC",
    "report_aged_payables_by_contact": "ACCPAY",
}
ID_ATTRIBUTES = {"account": "account_id", "invoiceID": "document_id",
                 "creditNoteID": "document_id", "overpaymentID": "document_id"}  # fmt: skip


@dataclass(frozen=True)
class ReportSettings:
    """How much of each report a sync reads (environment: XERO_REPORT_YEARS,
    XERO_REPORT_REREAD_MONTHS, XERO_REPORT_AGED_CONTACTS, XERO_REPORT_AS_OF)."""

    years: int = 2  # financial years in the horizon: the current one and the one before
    reread_months: int = 3  # the last months read again every run
    aged_contacts_per_day: int = 20  # aged-by-contact calls per report per tenant a day
    today: date | None = None  # None: today (UTC)

    @classmethod
    def from_env(cls) -> ReportSettings:
        values = {}
        for name, env in (
            ("years", "XERO_REPORT_YEARS"),
            ("reread_months", "XERO_REPORT_REREAD_MONTHS"),
            ("aged_contacts_per_day", "XERO_REPORT_AGED_CONTACTS"),
        ):
            raw = setting(env)
            if not raw:
                continue
            if not raw.isdigit() or (name == "years" and int(raw) < 1):
                raise ConfigurationError(f"{env} must be a whole number (1 or more for years)")
            values[name] = int(raw)
        as_of = setting("XERO_REPORT_AS_OF")
        if as_of:
            try:
                values["today"] = date.fromisoformat(as_of)
            except ValueError:
                raise ConfigurationError(
                    f"XERO_REPORT_AS_OF must be YYYY-MM-DD: {as_of!r}"
                ) from None
        return cls(**values)

    def current_day(self) -> date:
        return self.today or datetime.now(UTC).date()


def expand_names(names: list[str], known: tuple[str, ...]) -> list[str]:
    """Resource names with shell-style patterns (`report_*`) expanded over `known`; a
    pattern matching nothing stays as given, so it is reported as unknown."""
    out: list[str] = []
    for name in names:
        matches = fnmatch.filter(known, name) if any(c in name for c in "*?[") else []
        out.extend(matches or [name])
    return list(dict.fromkeys(out))


# -- report JSON to rows --------------------------------------------------------------------------
def parse_money(value: str | None) -> Decimal | None:
    """Xero's report money ("1234.56", "-10.00", "") as Decimal, never through float."""
    text = (value or "").strip().replace(",", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def report_rows(report: ReportSpec, envelope: dict, tenant_id: str, keys: dict) -> list[dict]:
    """One row per Row/SummaryRow of the first report in `envelope`, with `keys` (report
    date, period, contact) on every row."""
    reports = envelope.get("Reports") or []
    if not reports:
        return []
    rows: list[dict] = []
    for top in reports[0].get("Rows") or []:
        if top.get("RowType") == "Section":
            for line in top.get("Rows") or []:
                rows.append(_line(report, line, top.get("Title") or "", tenant_id, keys))
        elif top.get("RowType") in ("Row", "SummaryRow"):
            rows.append(_line(report, top, "", tenant_id, keys))
    for number, row in enumerate(rows, start=1):
        row["line"] = number
    return rows


def _line(report: ReportSpec, line: dict, title: str, tenant_id: str, keys: dict) -> dict:
    cells = line.get("Cells") or []
    # empty text is stored as NULL: PostgreSQL's csv load could not tell the two apart
    row = {TENANT_ID: tenant_id, **keys, "section": title or None, "row_type": line.get("RowType")}
    row["account_id"] = None
    if report.cadence == AGED:
        row["document_id"] = None
    for cell in cells:
        for attribute in cell.get("Attributes") or []:
            column = ID_ATTRIBUTES.get(attribute.get("Id"))
            if column and attribute.get("Value"):
                row[column] = attribute["Value"]
    texts = [str(cell.get("Value") or "") for cell in cells]
    if report.cadence == AGED:  # first cell: the document date; second: the number or label
        row["document_date"] = _report_date(texts[0]) if texts else None
        row["label"] = (texts[1] if len(texts) > 1 else "") or None
        texts = texts[1:]
    else:
        row["label"] = (texts[0] if texts else "") or None
    for name, text in zip(report.values, texts[1:], strict=False):
        if name in report.money:
            row[name] = parse_money(text)
        elif name == "due_date":
            row[name] = _report_date(text)
        else:
            row[name] = text or None
    return row


def _report_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def columns(report: ReportSpec) -> dict:
    """dlt column hints: money as DECIMAL, dates as DATE, ids as text, so empty snapshots and
    both engines agree on types."""

    hints = {
        TENANT_ID: {"data_type": "text", "nullable": False},
        "report_date": {"data_type": "date", "nullable": False},
        "period_start": {"data_type": "date"},
        "contact_id": {"data_type": "text"},
        "line": {"data_type": "bigint", "nullable": False},
        "section": {"data_type": "text"},
        "row_type": {"data_type": "text"},
        "account_id": {"data_type": "text"},
        "document_id": {"data_type": "text"},
        "document_date": {"data_type": "date"},
        "label": {"data_type": "text"},
    }
    for name in report.values:
        if name in report.money:
            hints[name] = dict(DECIMAL_HINT)
        else:
            hints[name] = {"data_type": "date" if name == "due_date" else "text"}
    if report.cadence != AGED:
        for name in ("contact_id", "document_id", "document_date"):
            hints.pop(name)
    if report.cadence != MONTH:
        hints.pop("period_start")
    return hints


def snapshot_key(report: ReportSpec) -> tuple[str, ...]:
    """What one request replaces: every line of that tenant's snapshot."""
    if report.cadence == AGED:
        return (TENANT_ID, "report_date", "contact_id")
    return (TENANT_ID, "report_date")


def primary_key(report: ReportSpec) -> tuple[str, ...]:
    """One line of one snapshot."""
    return (*snapshot_key(report), "line")


# -- which months and contacts --------------------------------------------------------------------
def month_ends(first: date, last: date) -> list[date]:
    """Month-ends from `first`'s month to `last`'s month, oldest first."""
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append(day.replace(day=calendar.monthrange(day.year, day.month)[1]))
        day = out[-1] + timedelta(days=1)
    return out


def horizon_start(today: date, year_end: tuple[int, int], years: int) -> date:
    """First day of the financial year `years - 1` years before the one holding `today`."""
    end = _year_end_in(today.year, year_end)
    start_year = (today.year if today > end else today.year - 1) - (years - 1)
    return _year_end_in(start_year, year_end) + timedelta(days=1)


def _year_end_in(year: int, year_end: tuple[int, int]) -> date:
    day, month = year_end
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def months_to_read(
    horizon: list[date], loaded: set[str], settings: ReportSettings, full_refresh: bool
) -> list[date]:
    """Month-ends not loaded yet, plus the last `reread_months`; all on a full refresh."""
    recent = set(horizon[-settings.reread_months :]) if settings.reread_months else set()
    return [m for m in horizon if full_refresh or m in recent or m.isoformat() not in loaded]


def largest_balances(invoices: list[dict], invoice_type: str) -> list[str]:
    """Contact ids by open balance (AmountDue in base currency), largest first."""
    balances: dict[str, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        if invoice.get("Type") != invoice_type or invoice.get("Status") != "AUTHORISED":
            continue
        rate = Decimal(str(invoice.get("CurrencyRate") or 1)) or Decimal(1)
        due = Decimal(str(invoice.get("AmountDue") or 0))
        balances[(invoice.get("Contact") or {}).get("ContactID")] += due / rate
    ranked = sorted((c for c in balances if c), key=lambda c: (-balances[c], c))
    return [c for c in ranked if balances[c] > 0]


# -- the dlt resources ----------------------------------------------------------------------------
class ReportReader:
    """Reads the reports of one tenant through its client; one refusal (missing scope or
    role) skips every report of the tenant with a single warning."""

    def __init__(self, client, tenant_id: str, full_refresh: bool, tracker, settings=None):
        self.client = client
        self.tenant_id = tenant_id
        self.full_refresh = full_refresh
        self.tracker = tracker
        self._settings = settings
        self.refused: str | None = None
        self._year_end: tuple[int, int] | None = None
        self._open_invoices: list[dict] | None = None

    @property
    def settings(self) -> ReportSettings:
        """Read when the first report is read: a bad setting fails that run in one line."""
        if self._settings is None:
            self._settings = ReportSettings.from_env()
        return self._settings

    def read(self, report: ReportSpec) -> Iterator[list[dict]]:
        progress = self.tracker.resource(report.name)
        if self.tracker.stopped or self.refused:
            progress.skipped = self.tracker.stopped or self.refused
            return
        try:
            yield from self._snapshots(report)
            progress.done = True
        except XeroDailyLimitError as exc:
            self.tracker.stop_for_day(exc)
            if exc.reserve:
                progress.skipped = self.tracker.stopped  # a planned stop, not a failure
                return
            progress.error = str(exc)
            self.tracker.errors.append(f"{report.name}: {exc}")
        except (XeroForbiddenError, XeroAuthError) as exc:
            self.refused = f"not permitted: {exc}"
            progress.skipped = self.refused
            logger.warning(
                "skipping Xero reports for tenant %s: no report access "
                "(scope accounting.reports.read or a reports role): %s",
                self.tenant_id,
                exc,
            )
        except XeroError as exc:
            progress.error = str(exc)
            self.tracker.errors.append(f"{report.name}: {exc}")

    def _get(self, report: ReportSpec, path: str, params: dict) -> dict:
        self.tracker.add(report.name, requests=1)
        return self.client.get(path, params)

    def _snapshots(self, report: ReportSpec) -> Iterator[list[dict]]:
        if report.cadence == AGED:
            yield from self._aged(report)
            return

        state = dlt.current.resource_state(resource_name(report.name, self.tenant_id))
        loaded = set(state.get("loaded") or [])
        today = self.settings.current_day()
        first = horizon_start(today, self.year_end(report), self.settings.years)
        for end in months_to_read(
            month_ends(first, today), loaded, self.settings, self.full_refresh
        ):
            params, keys = self._month_params(report, end)
            rows = report_rows(report, self._get(report, report.path, params), self.tenant_id, keys)
            self.tracker.add(report.name, rows=len(rows))
            if rows:
                yield rows
            loaded.add(end.isoformat())
            state["loaded"] = sorted(loaded)

    @staticmethod
    def _month_params(report: ReportSpec, end: date) -> tuple[dict, dict]:
        if report.cadence == MONTH_END:
            return {"date": end.isoformat()}, {"report_date": end}
        start = end.replace(day=1)
        params = {"fromDate": start.isoformat(), "toDate": end.isoformat()}
        return params, {"report_date": end, "period_start": start}

    def year_end(self, report: ReportSpec) -> tuple[int, int]:
        """(day, month) of the organisation's financial year end (one call per run)."""
        if self._year_end is None:
            body = self._get(report, "/Organisation", {})
            org = (body.get("Organisations") or [{}])[0]
            self._year_end = (
                int(org.get("FinancialYearEndDay") or 31),
                int(org.get("FinancialYearEndMonth") or 12),
            )
        return self._year_end

    def _aged(self, report: ReportSpec) -> Iterator[list[dict]]:
        state = dlt.current.resource_state(resource_name(report.name, self.tenant_id))
        today = self.settings.current_day()
        done = set(state.get("contacts") or []) if state.get("day") == today.isoformat() else set()
        budget = self.settings.aged_contacts_per_day - len(done)
        if budget <= 0:
            return
        candidates = largest_balances(self._open(report), AGED_INVOICE_TYPE[report.name])
        for contact_id in [c for c in candidates if c not in done][:budget]:
            params = {"contactId": contact_id, "date": today.isoformat()}
            keys = {"report_date": today, "contact_id": contact_id}
            rows = report_rows(report, self._get(report, report.path, params), self.tenant_id, keys)
            self.tracker.add(report.name, rows=len(rows))
            if rows:
                yield rows
            done.add(contact_id)
            state.update(day=today.isoformat(), contacts=sorted(done))

    def _open(self, report: ReportSpec) -> list[dict]:
        """Open invoices and bills (summaries), read once per run for both aged reports."""
        if self._open_invoices is None:
            invoices: list[dict] = []
            page = 1
            while True:
                params = {"Statuses": "AUTHORISED", "summaryOnly": "true", "page": page,
                          "pageSize": 1000}  # fmt: skip
                batch = self._get(report, "/Invoices", params).get("Invoices") or []
                invoices.extend(batch)
                if len(batch) < 1000:
                    break
                page += 1
            self._open_invoices = invoices
        return self._open_invoices


def report_resources(client, tenant_id: str, names: list[str], full_refresh: bool, tracker):
    """The dlt resources of the named reports for one tenant (names not reports: ignored)."""

    if not any(name in BY_NAME for name in names):
        return []
    reader = ReportReader(client, tenant_id, full_refresh, tracker)
    resources = []
    for name in names:
        report = BY_NAME.get(name)
        if report is None:
            continue
        key = snapshot_key(report)
        resources.append(
            dlt.resource(
                reader.read(report),
                name=resource_name(report.name, tenant_id),
                table_name=report.name,
                write_disposition={"disposition": "merge", "strategy": "delete-insert"},
                primary_key=primary_key(report),
                merge_key=key,
                columns=columns(report),
            )
        )
    return resources
