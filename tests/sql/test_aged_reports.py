"""Xero's aged receivables and payables, end to end on both engines: the sandbox (two
organisations, AUD and NZD, with foreign-currency documents, credit notes and overpayments)
synced over HTTP with its aged-by-contact report snapshots on two dates, the dbt project built
once; fct_aged_* and rpt_aged_*_summary equal the sandbox's own AgedReceivablesByContact /
AgedPayablesByContact to the cent, int_tie_out__aged ties every snapshot, and a changed raw
row breaks it. The unified marts hold exactly the sandbox's customers, suppliers, bills and
supplier credit notes."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sql_harness import AGED_CONTACTS_PER_DAY, AGED_SNAPSHOTS, read_table, run_sql

from pipelines.models import run_models
from sandbox import reports
from sandbox.ledger import money

AS_OF, EARLIER = AGED_SNAPSHOTS
CONTACTS_PER_DAY = AGED_CONTACTS_PER_DAY
SIDES = {  # sandbox side -> (ledger, documents mart, summary mart)
    "receivables": ("receivable", "fct_aged_receivables", "rpt_aged_receivables_summary"),
    "payables": ("payable", "fct_aged_payables", "rpt_aged_payables_summary"),
}
DOCUMENT_TYPES = {
    "invoiceID": "invoice",
    "creditNoteID": "credit_note",
    "overpaymentID": "overpayment",
}
PERIODS = ("current", "less_than_1_month", "month_1", "month_2", "month_3", "older")

pytestmark = pytest.mark.slow  # the session warehouses synced and built (conftest.py)


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def built(request):
    """The session's warehouse (tests/sql/conftest.py: every collection and the aged snapshots
    as at AS_OF and EARLIER, the project built), the models reading the as-of date run again
    as at AS_OF: other modules rebuild them for dates of their own."""
    built = request.getfixturevalue(f"built_{request.param}")
    run_models(built.url, as_of=AS_OF, select=["tag:as_of+"])
    return built


# -- what the sandbox's own reports say -----------------------------------------------------------
def report_documents(books, side: str, contact: dict, day: date) -> dict[str, tuple]:
    """Document id -> (date, number, due date, total, paid, credited, due) of the sandbox's
    Aged{Receivables,Payables}ByContact report for `contact` as at `day`."""
    report = reports.aged_by_contact(books, side, contact, day, None, None)
    documents = {}
    for top in report.rows:
        for line in top.get("Rows", []):
            attributes = line["Cells"][0].get("Attributes")
            if line["RowType"] != "Row" or not attributes:
                continue
            values = [cell["Value"] for cell in line["Cells"]]
            documents[attributes[0]["Value"]] = (
                date.fromisoformat(values[0][:10]),
                values[1] or None,
                date.fromisoformat(values[2][:10]) if values[2] else None,
                *map(Decimal, values[4:8]),
            )
    return documents


def months_before(day: date, months: int) -> date:
    if day == reports.month_end(day):
        return reports.month_end(reports.shift_months(day, -months))
    return reports.shift_months(day, -months)


def xero_period(aging_date: date, day: date) -> str:
    """Xero's calendar-month aging column of a document aging from `aging_date`."""
    if aging_date >= day:
        return "current"
    for months, period in enumerate(PERIODS[1:5], start=1):
        if aging_date > months_before(day, months):
            return period
    return "older"


def expected_documents(books, side: str, contact: dict) -> dict[str, tuple]:
    """What fct_aged_* must hold for `contact` as at AS_OF: the report's lines, with the
    document's type, currency, base amount and aging."""
    listed = report_documents(books, side, contact, AS_OF)
    expected = {}
    for document in books.open_documents(side, AS_OF):
        if document.document_id not in listed:
            continue
        kind = DOCUMENT_TYPES[document.id_attribute]
        aging_date = document.due_date if kind == "invoice" and document.due_date else document.day
        expected[document.document_id] = (
            kind,
            *listed[document.document_id],
            document.currency,
            money(document.due / document.rate),
            (AS_OF - aging_date).days,
            xero_period(aging_date, AS_OF),
        )
    assert len(expected) == len(listed)
    return expected


def summary_of(documents: dict[str, tuple]) -> tuple:
    """(current, ..., older, total) in the base currency."""
    by_period = defaultdict(Decimal)
    for document in documents.values():
        by_period[document[-1]] += document[-3]
    return (*(by_period[p] for p in PERIODS), sum(by_period.values(), Decimal(0)))


# -- the warehouse ------------------------------------------------------------------------------
def stored_documents(rows: list[dict]) -> dict[str, tuple]:
    return {
        r["document_id"]: (
            r["document_type"], r["document_date"], r["document_number"], r["due_date"],
            r["total"], r["paid"], r["credited"], r["due"], r["currency_code"], r["due_base"],
            r["days_past"], r["aging_period"],
        )
        for r in rows
    }  # fmt: skip


def test_aged_documents_and_summaries_equal_xero_aged_by_contact(built):
    compared = defaultdict(int)
    for side, (_, documents_mart, summary_mart) in SIDES.items():
        documents = read_table(built.url, f"reporting.{documents_mart}")
        summaries = read_table(built.url, f"reporting.{summary_mart}")
        for tenant in built.sandbox.tenants:
            books = reports.Books(tenant)
            for contact in tenant.collection("Contacts").records():
                label = f"{side} of {contact['Name']} ({tenant.name})"
                expected = expected_documents(books, side, contact)
                key = (tenant.tenant_id, contact["ContactID"])
                ours = [r for r in documents if (r["tenant_id"], r["contact_id"]) == key]
                assert stored_documents(ours) == expected, label
                summary = [s for s in summaries if (s["tenant_id"], s["contact_id"]) == key]
                if not expected:
                    assert summary == [], label
                    continue
                (row,) = summary
                assert (*(row[p] for p in PERIODS), row["total"]) == summary_of(expected), label
                assert (row["as_of_date"], row["contact_name"]) == (AS_OF, contact["Name"])
                for document in expected.values():
                    compared[document[0]] += 1
    # the sample holds every kind of document Xero's aged reports show
    assert compared["invoice"] > 40 and compared["credit_note"] and compared["overpayment"]


def test_aged_documents_cover_foreign_currencies_and_both_base_currencies(built):
    rows = read_table(built.url, "reporting.fct_aged_receivables")
    assert {r["base_currency"] for r in rows} == {"AUD", "NZD"}
    foreign = [r for r in rows if r["currency_code"] != r["base_currency"]]
    assert foreign and all(r["due_base"] != r["due"] for r in foreign if r["currency_rate"] != 1)


def tie_out(url: str) -> list[dict]:
    return read_table(url, "reporting_intermediate.int_tie_out__aged")


def test_tie_out_ties_every_snapshot_as_at_its_own_date(built):
    lines = tie_out(built.url)
    assert len(lines) == 2 * 2 * 2 * CONTACTS_PER_DAY  # tenants, reports, snapshot dates
    assert {line["period_end"] for line in lines} == {AS_OF, EARLIER}
    assert [line for line in lines if line["status"] != "tied"] == []
    tenants = {t.tenant_id: t for t in built.sandbox.tenants}
    for line in lines:
        tenant = tenants[line["tenant_id"]]
        contact = tenant.collection("Contacts").get(line["subject_id"])
        side = line["check_name"].removeprefix("aged_")
        documents = report_documents(reports.Books(tenant), side, contact, line["period_end"])
        xero_due = sum((d[-1] for d in documents.values()), Decimal(0))
        assert (line["warehouse_value"], line["xero_value"], line["difference"]) == (
            xero_due,
            xero_due,
            0,
        )
        assert (line["period_start"], line["measure"], line["explanation"]) == (None, "due", None)
        assert line["subject_name"] == contact["Name"]


def test_a_changed_raw_row_breaks_the_tie_out(built):
    """A payment a cent larger in the warehouse than in Xero breaks its contact's lines;
    the same change on an invoice Xero changed after the snapshots were taken (a back-dated
    change) is explained, and so is an open invoice voided after them."""
    (broken, explained) = payments_of_sampled_contacts(built.url)[:2]
    voided = invoice_open_on_both_snapshot_dates(built.url, {broken["contact_id"],
                                                             explained["contact_id"]})  # fmt: skip
    before = {row["invoice_id"]: invoice_state(built.url, row) for row in (explained, voided)}
    later = datetime.now(UTC) + timedelta(hours=1)
    change_payments(built.url, [broken, explained], Decimal("0.01"))
    set_invoice(built.url, explained, before[explained["invoice_id"]]["status"], later)
    set_invoice(built.url, voided, "VOIDED", later)
    try:
        rebuild_settlements(built.url)
        lines = {
            (line["check_name"], line["subject_id"], line["period_end"]): line
            for line in tie_out(built.url)
        }
    finally:
        change_payments(built.url, [broken, explained], Decimal("-0.01"))
        for row in (explained, voided):
            state = before[row["invoice_id"]]
            set_invoice(built.url, row, state["status"], state["updated_date_utc"])
        rebuild_settlements(built.url)
    for day in (AS_OF, EARLIER):
        line = lines.pop(("aged_receivables", broken["contact_id"], day))
        assert (line["status"], line["difference"]) == ("broken", Decimal("-0.01"))
        assert line["explanation"] == "1 document(s) differ from Xero's report"
        line = lines.pop(("aged_receivables", explained["contact_id"], day))
        assert (line["status"], line["difference"]) == ("explained", Decimal("-0.01"))
        assert "changed in Xero after the snapshot was taken" in line["explanation"]
        line = lines.pop(("aged_receivables", voided["contact_id"], day))
        assert (line["status"], line["difference"]) == ("explained", -voided["due"][day])
    assert {line["status"] for line in lines.values()} == {"tied"}
    assert {line["status"] for line in tie_out(built.url)} == {"tied"}


def payments_of_sampled_contacts(url: str) -> list[dict]:
    """One payment dated on or before EARLIER per customer sampled on both dates."""
    rows = run_sql(
        url,
        "select p.tenant_id, p.payment_id, i.invoice_id, i.contact__contact_id as contact_id "
        "from xero.payments p join xero.invoices i on p.tenant_id = i.tenant_id "
        "and p.invoice__invoice_id = i.invoice_id "
        "where i.type = 'ACCREC' and i.status in ('AUTHORISED', 'PAID') and p.status <> 'DELETED' "
        "and p.date <= %s and i.date <= %s "
        "and i.contact__contact_id in (select contact_id "
        "from xero.report_aged_receivables_by_contact r where r.tenant_id = p.tenant_id "
        "group by contact_id having count(distinct report_date) = 2) "
        "order by p.tenant_id, i.contact__contact_id, p.payment_id",
        EARLIER,
        EARLIER,
    )
    first = {(r["tenant_id"], r["contact_id"]): r for r in reversed(rows)}
    assert len(first) >= 2
    return list(first.values())


def invoice_open_on_both_snapshot_dates(url: str, other_than: set[str]) -> dict:
    """An invoice of another sampled customer that both receivables snapshots list, with
    its due on each date."""
    rows = run_sql(
        url,
        "select r.tenant_id, r.contact_id, r.document_id as invoice_id, r.report_date, r.due "
        "from xero.report_aged_receivables_by_contact r join xero.invoices i "
        "on r.tenant_id = i.tenant_id and r.document_id = i.invoice_id "
        "order by r.tenant_id, r.contact_id, r.document_id",
    )
    by_invoice: dict[tuple, dict] = {}
    for row in rows:
        if row["contact_id"] not in other_than:
            key = (row["tenant_id"], row["contact_id"], row["invoice_id"])
            by_invoice.setdefault(key, {})[row["report_date"]] = row["due"]
    tenant_id, contact_id, invoice_id = next(k for k, v in by_invoice.items() if len(v) == 2)
    due = by_invoice[(tenant_id, contact_id, invoice_id)]
    return {"tenant_id": tenant_id, "contact_id": contact_id, "invoice_id": invoice_id, "due": due}


def invoice_state(url: str, row: dict) -> dict:
    (state,) = run_sql(url, "select status, updated_date_utc from xero.invoices "
                       "where tenant_id = %s and invoice_id = %s",
                       row["tenant_id"], row["invoice_id"])  # fmt: skip
    return state


def change_payments(url: str, payments: list[dict], by: Decimal) -> None:
    for payment in payments:
        run_sql(url, "update xero.payments set amount = amount + %s "
                "where tenant_id = %s and payment_id = %s",
                by, payment["tenant_id"], payment["payment_id"])  # fmt: skip


def set_invoice(url: str, row: dict, status: str, updated_at) -> None:
    run_sql(url, "update xero.invoices set status = %s, "
            "updated_date_utc = cast(%s as timestamptz) "
            "where tenant_id = %s and invoice_id = %s",
            status, str(updated_at), row["tenant_id"], row["invoice_id"])  # fmt: skip


def rebuild_settlements(url: str) -> None:
    run_models(url, as_of=AS_OF, select=["stg_xero__payments+", "stg_xero__invoices+"])


def test_unified_marts_hold_the_sandbox_customers_suppliers_bills_and_vendor_credits(built):
    marts = (  # mart, its id column, sandbox collection, which records
        ("dim_customers", "customer_id", "Contacts", lambda r: r.get("IsCustomer")),
        ("dim_suppliers", "supplier_id", "Contacts", lambda r: r.get("IsSupplier")),
        ("fct_bills", "bill_id", "Invoices", lambda r: r["Type"] == "ACCPAY"),
        ("fct_vendor_credits", "vendor_credit_id", "CreditNotes",
         lambda r: r["Type"] == "ACCPAYCREDIT"),
    )  # fmt: skip
    for mart, id_column, collection, keep in marts:
        rows = read_table(built.url, f"reporting.{mart}")
        for tenant in built.sandbox.tenants:
            coll = tenant.collection(collection)
            truth = {coll._record_id(r) for r in coll.records() if keep(r)}
            ours = [r[id_column] for r in rows if r["tenant_id"] == tenant.tenant_id]
            assert len(ours) == len(truth) > 0, f"{mart} of {tenant.name}"
            assert set(ours) == truth, f"{mart} of {tenant.name}"
