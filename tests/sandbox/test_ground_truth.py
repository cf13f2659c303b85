"""Ground truth: full-sync contents and aging rebuilt from the documents."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from sandbox.ground_truth import (
    aged_receivables_total,
    ap_aging,
    ar_aging,
    collection_truth,
    totals_by_bucket,
)
from sandbox.model import COLLECTION_NAMES, Sandbox

ANCHOR = date(2026, 10, 31)


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    return Sandbox(tenants=2, scale="small", seed=5, anchor=ANCHOR)


def test_aging_as_of_the_anchor_ties_to_amount_due(sb):
    for tenant in sb.tenants:
        for kind, aging in (("ACCREC", ar_aging), ("ACCPAY", ap_aging)):
            open_invoices = {
                i["InvoiceID"]: i
                for i in tenant.collection("Invoices").records()
                if i["Type"] == kind and i["Status"] == "AUTHORISED"
            }
            rows = aging(tenant, ANCHOR)
            assert {r.invoice_id for r in rows} == set(open_invoices)
            for row in rows:
                invoice = open_invoices[row.invoice_id]
                assert row.amount_due == invoice["AmountDue"]
                assert row.days_overdue == (ANCHOR - invoice["DueDate"]).days
            total = sum((i["AmountDue"] for i in open_invoices.values()), Decimal(0))
            assert sum((r.amount_due for r in rows), Decimal(0)) == total


def test_aged_receivables_total_is_per_currency(sb):
    tenant = sb.tenants[0]
    totals = aged_receivables_total(tenant, ANCHOR)
    assert tenant.base_currency in totals and len(totals) > 1
    expected: dict[str, Decimal] = {}
    for invoice in tenant.collection("Invoices").records():
        if invoice["Type"] == "ACCREC" and invoice["Status"] == "AUTHORISED":
            code = invoice["CurrencyCode"]
            expected[code] = expected.get(code, Decimal(0)) + invoice["AmountDue"]
    assert totals == expected


def test_buckets_follow_days_overdue(sb):
    rows = ar_aging(sb.tenants[0], ANCHOR)
    limits = {
        "current": (-(10**6), 0),
        "1_30": (1, 30),
        "31_60": (31, 60),
        "61_90": (61, 90),
        "over_90": (91, 10**6),
    }
    for row in rows:
        low, high = limits[row.bucket]
        assert low <= row.days_overdue <= high
    assert all(totals_by_bucket(rows).values())


def test_aging_in_the_past_reopens_paid_invoices(sb):
    tenant = sb.tenants[0]
    paid = [
        i
        for i in tenant.collection("Invoices").records()
        if i["Type"] == "ACCREC"
        and i["Status"] == "PAID"
        and i["Payments"]
        and not (i["CreditNotes"] or i["Overpayments"] or i["Prepayments"])
    ]
    invoice = next(i for i in paid if i["FullyPaidOnDate"] > i["Date"])
    day_before = invoice["FullyPaidOnDate"].toordinal() - 1
    as_of = date.fromordinal(day_before)
    row = next(r for r in ar_aging(tenant, as_of) if r.invoice_id == invoice["InvoiceID"])
    paid_by_then = sum((p["Amount"] for p in invoice["Payments"] if p["Date"] <= as_of), Decimal(0))
    assert row.amount_due == invoice["Total"] - paid_by_then
    before_issue = date.fromordinal(invoice["Date"].toordinal() - 1)
    assert invoice["InvoiceID"] not in {r.invoice_id for r in ar_aging(tenant, before_issue)}


def test_hand_made_invoice_payment_and_credit_as_of_dates():
    sandbox = Sandbox(tenants=1, scale="small", seed=9, anchor=ANCHOR)
    sandbox.clock.freeze(datetime(2026, 11, 3, tzinfo=UTC))
    tenant = sandbox.tenants[0]
    contact = tenant.create("Contacts", {"Name": "Hand Made Ltd", "IsCustomer": True})
    invoice = tenant.create(
        "Invoices",
        {
            "Type": "ACCREC",
            "Status": "AUTHORISED",
            "Contact": {"ContactID": contact["ContactID"]},
            "CurrencyCode": tenant.base_currency,
            "Date": "2026-01-10",
            "DueDate": "2026-02-09",
            "LineAmountTypes": "NoTax",
            "LineItems": [
                {
                    "Description": "Work",
                    "Quantity": 1,
                    "UnitAmount": "1000.00",
                    "AccountCode": "200",
                }
            ],
        },
    )
    invoice_id = invoice["InvoiceID"]
    tenant.add_payment(invoice_id, Decimal("300.00"), date(2026, 2, 20))
    credit = tenant.create(
        "CreditNotes",
        {
            "Type": "ACCRECCREDIT",
            "Status": "AUTHORISED",
            "Contact": {"ContactID": contact["ContactID"]},
            "CurrencyCode": tenant.base_currency,
            "Date": "2026-03-01",
            "LineAmountTypes": "NoTax",
            "LineItems": [
                {
                    "Description": "Credit",
                    "Quantity": 1,
                    "UnitAmount": "200.00",
                    "AccountCode": "200",
                }
            ],
        },
    )
    tenant.allocate(
        "CreditNotes", credit["CreditNoteID"], invoice_id, Decimal("200.00"), date(2026, 3, 5)
    )

    def due_on(day: date):
        rows = [r for r in ar_aging(tenant, day) if r.invoice_id == invoice_id]
        return (rows[0].amount_due, rows[0].bucket, rows[0].days_overdue) if rows else None

    assert due_on(date(2026, 1, 9)) is None
    assert due_on(date(2026, 1, 10)) == (Decimal("1000.00"), "current", -30)
    assert due_on(date(2026, 2, 19)) == (Decimal("1000.00"), "1_30", 10)
    assert due_on(date(2026, 2, 20)) == (Decimal("700.00"), "1_30", 11)
    assert due_on(date(2026, 3, 4)) == (Decimal("700.00"), "1_30", 23)
    assert due_on(date(2026, 3, 5)) == (Decimal("500.00"), "1_30", 24)
    assert due_on(date(2026, 6, 1)) == (Decimal("500.00"), "over_90", 112)
    assert due_on(ANCHOR)[0] == tenant.collection("Invoices").get(invoice_id)["AmountDue"]

    last = tenant.add_payment(invoice_id, Decimal("500.00"), date(2026, 11, 2))
    assert due_on(date(2026, 11, 1))[0] == Decimal("500.00")
    assert due_on(date(2026, 11, 2)) is None
    tenant.delete("Payments", last["PaymentID"])
    assert due_on(date(2026, 11, 2))[0] == Decimal("500.00")


def test_collection_truth_counts_everything_a_full_sync_holds(sb):
    tenant = sb.tenants[1]
    for name in COLLECTION_NAMES:
        truth = collection_truth(tenant, name)
        assert truth.count == len(tenant.collection(name)) == len(truth.ids)
    invoices = collection_truth(tenant, "Invoices")
    records = list(tenant.collection("Invoices").records())
    assert {r["Status"] for r in records} >= {"VOIDED", "DELETED"}
    assert invoices.money["Total"] == sum((r["Total"] for r in records), Decimal(0))
    assert invoices.money["AmountDue"] == sum((r["AmountDue"] for r in records), Decimal(0))
    assert "CISDeduction" not in invoices.money
    payments = collection_truth(tenant, "Payments")
    assert set(payments.money) == {"CurrencyRate", "Amount", "BankAmount"}
    contacts = collection_truth(tenant, "Contacts")
    archived = {
        c["ContactID"]
        for c in tenant.collection("Contacts").records()
        if c["ContactStatus"] == "ARCHIVED"
    }
    assert archived and archived <= contacts.ids
