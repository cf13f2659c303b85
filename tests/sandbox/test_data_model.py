"""The generated organisations: deterministic, complete and internally consistent."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from sandbox import wire
from sandbox.ground_truth import ap_aging, ar_aging
from sandbox.model import COLLECTION_NAMES, Sandbox

ANCHOR = date(2026, 10, 31)
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    return Sandbox(tenants=3, scale="small", seed=42, anchor=ANCHOR)


def all_bytes(sandbox: Sandbox) -> list[bytes]:
    return [
        wire.dumps_record(name, record)
        for tenant in sandbox.tenants
        for name in COLLECTION_NAMES
        for record in tenant.collection(name).records()
    ]


def test_same_seed_gives_the_same_bytes():
    first = Sandbox(tenants=2, scale="small", seed=7, anchor=ANCHOR)
    second = Sandbox(tenants=2, scale="small", seed=7, anchor=ANCHOR)
    other = Sandbox(tenants=2, scale="small", seed=8, anchor=ANCHOR)
    assert [t.tenant_id for t in first.tenants] == [t.tenant_id for t in second.tenants]
    assert all_bytes(first) == all_bytes(second)
    assert all_bytes(first) != all_bytes(other)


def test_tenants_differ_in_currency_and_time_zone(sb):
    assert len({t.base_currency for t in sb.tenants}) == 3
    assert len({t.timezone for t in sb.tenants}) == 3
    for tenant in sb.tenants:
        assert sb.tenant(tenant.tenant_id) is tenant
        (org,) = tenant.collection("Organisations").records()
        assert org["OrganisationID"] == tenant.tenant_id
        assert org["BaseCurrency"] == tenant.base_currency
        assert org["Name"] == tenant.name
        currencies = {c["Code"] for c in tenant.collection("Currencies").records()}
        assert tenant.base_currency in currencies and len(currencies) > 1
    assert sb.tenant("00000000-0000-0000-0000-000000000000") is None


def test_every_collection_is_populated(sb):
    for tenant in sb.tenants:
        sizes = {name: len(tenant.collection(name)) for name in COLLECTION_NAMES}
        assert len(sizes) == 30
        assert all(sizes.values()), sizes
        assert 300 <= sum(sizes.values()) <= 900
        (reminders,) = tenant.collection("InvoiceReminders").records()
        assert set(reminders) == {"Enabled"}


def test_records_are_ordered_by_timestamp_then_key(sb):
    for tenant in sb.tenants:
        for name in COLLECTION_NAMES:
            coll = tenant.collection(name)
            field = coll.timestamp_field
            keys = [(r.get(field) if field else None, coll._record_id(r)) for r in coll.records()]
            if field:
                assert keys == sorted(keys), name
            assert len(keys) == len(coll)


def test_modified_since_is_inclusive_to_the_second(sb):
    invoices = sb.tenants[0].collection("Invoices")
    records = list(invoices.records())
    middle = records[len(records) // 2]
    stamp = middle["UpdatedDateUTC"]
    since = stamp.replace(microsecond=999_000)
    selected = list(invoices.modified_since(since))
    floor = stamp.replace(microsecond=0)
    assert selected == [r for r in records if r["UpdatedDateUTC"] >= floor]
    assert middle in selected


def test_some_records_share_one_second(sb):
    shared = 0
    for tenant in sb.tenants:
        for name in ("Invoices", "Payments", "Contacts", "CreditNotes", "BankTransactions"):
            seconds = Counter(
                r["UpdatedDateUTC"].replace(microsecond=0)
                for r in tenant.collection(name).records()
            )
            shared += sum(1 for n in seconds.values() if n > 1)
    assert shared >= 3


def test_timestamps_span_two_years_before_the_anchor(sb):
    horizon = datetime(2026, 10, 31, tzinfo=UTC)
    stamps = [r["UpdatedDateUTC"] for t in sb.tenants for r in t.collection("Invoices").records()]
    assert max(stamps) < horizon
    assert max(stamps) - min(stamps) > timedelta(days=600)
    assert all(s.tzinfo is not None and s.utcoffset() == timedelta(0) for s in stamps)


def test_contacts_use_several_scripts_and_some_are_archived(sb):
    names = " ".join(c["Name"] for c in sb.tenants[0].collection("Contacts").records())
    for sample in ("ü", "Ł", "Ж", "λ", "株", "ش"):
        assert any(ord(ch) > 127 for ch in sample)
    assert any("\u0400" <= ch <= "\u04ff" for ch in names)  # Cyrillic
    assert any("\u0370" <= ch <= "\u03ff" for ch in names)  # Greek
    assert any("\u4e00" <= ch <= "\u9fff" for ch in names)  # CJK
    assert any("\u0600" <= ch <= "\u06ff" for ch in names)  # Arabic
    assert any(ch in "éüøåłñ" for ch in names)
    statuses = Counter(c["ContactStatus"] for c in sb.tenants[0].collection("Contacts").records())
    assert statuses["ARCHIVED"] and statuses["ACTIVE"]


def test_invoices_of_both_types_come_in_every_status(sb):
    for tenant in sb.tenants:
        seen = {(i["Type"], i["Status"]) for i in tenant.collection("Invoices").records()}
        for kind in ("ACCREC", "ACCPAY"):
            for status in ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED", "DELETED"):
                assert (kind, status) in seen


def test_value_types_follow_the_spec(sb):
    invoice = next(iter(sb.tenants[0].collection("Invoices").records()))
    assert isinstance(invoice["Date"], date) and not isinstance(invoice["Date"], datetime)
    assert isinstance(invoice["UpdatedDateUTC"], datetime)
    for field in ("SubTotal", "TotalTax", "Total", "AmountDue", "AmountPaid", "CurrencyRate"):
        assert isinstance(invoice[field], Decimal)
    line = invoice["LineItems"][0]
    assert all(isinstance(line[f], Decimal) for f in ("Quantity", "UnitAmount", "LineAmount"))
    journal = next(iter(sb.tenants[0].collection("Journals").records()))
    assert isinstance(journal["JournalDate"], date)
    assert isinstance(journal["CreatedDateUTC"], datetime)


def line_amount(line: dict) -> Decimal:
    gross = line["Quantity"] * line["UnitAmount"]
    if line.get("DiscountRate"):
        gross = gross * (100 - line["DiscountRate"]) / 100
    return gross.quantize(CENT, rounding=ROUND_HALF_UP)


def test_line_items_and_totals_add_up(sb):
    four_places = 0
    for tenant in sb.tenants:
        for name in ("Invoices", "CreditNotes", "BankTransactions", "Quotes", "PurchaseOrders"):
            for doc in tenant.collection(name).records():
                net = tax = Decimal(0)
                for line in doc["LineItems"]:
                    assert line["LineAmount"] == line_amount(line)
                    four_places += line["UnitAmount"].as_tuple().exponent == -4
                    tax += line["TaxAmount"]
                    inclusive = doc["LineAmountTypes"] in ("Inclusive", "INCLUSIVE")
                    net += line["LineAmount"] - (line["TaxAmount"] if inclusive else 0)
                assert doc["SubTotal"] == net
                assert doc["TotalTax"] == tax
                assert doc["SubTotal"] + doc["TotalTax"] == doc["Total"]
    assert four_places > 5


def test_invoice_amounts_tie_to_payments_and_allocations(sb):
    for tenant in sb.tenants:
        paid: Counter = Counter()
        for payment in tenant.collection("Payments").records():
            if payment["Status"] == "AUTHORISED" and "Invoice" in payment:
                paid[payment["Invoice"]["InvoiceID"]] += payment["Amount"]
        credited: Counter = Counter()
        for name in ("CreditNotes", "Overpayments", "Prepayments"):
            for credit in tenant.collection(name).records():
                for allocation in credit["Allocations"]:
                    if not allocation["IsDeleted"]:
                        credited[allocation["Invoice"]["InvoiceID"]] += allocation["Amount"]
        kinds = Counter()
        for invoice in tenant.collection("Invoices").records():
            invoice_id = invoice["InvoiceID"]
            assert invoice["AmountPaid"] == paid[invoice_id]
            assert invoice["AmountPaid"] == sum((p["Amount"] for p in invoice["Payments"]), 0)
            assert invoice["AmountCredited"] == credited[invoice_id]
            if invoice["Status"] in ("VOIDED", "DELETED"):
                assert invoice["AmountDue"] == 0 and invoice_id not in paid
                continue
            assert invoice["AmountDue"] == (
                invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
            )
            if invoice["Status"] == "PAID":
                assert invoice["AmountDue"] == 0 and "FullyPaidOnDate" in invoice
            if invoice["Status"] == "AUTHORISED":
                assert invoice["AmountDue"] > 0
            for key in ("CreditNotes", "Overpayments", "Prepayments"):
                kinds[key] += bool(invoice[key])
            if invoice["Payments"]:
                kinds["late"] += max(p["Date"] for p in invoice["Payments"]) > invoice["DueDate"]
                kinds["partial"] += invoice["Status"] == "AUTHORISED"
                kinds["split"] += len(invoice["Payments"]) > 1
        assert all(kinds[k] for k in ("CreditNotes", "Overpayments", "late", "partial", "split")), (
            kinds
        )


def test_credits_remaining_is_total_less_allocations_and_refunds(sb):
    for tenant in sb.tenants:
        for name in ("CreditNotes", "Overpayments", "Prepayments"):
            for credit in tenant.collection(name).records():
                if credit["Status"] in ("VOIDED", "DELETED", "DRAFT", "SUBMITTED"):
                    continue
                used = sum(
                    (a["Amount"] for a in credit["Allocations"] if not a["IsDeleted"]), Decimal(0)
                )
                used += sum((p["Amount"] for p in credit["Payments"]), Decimal(0))
                assert credit["RemainingCredit"] == credit["Total"] - used
                assert (credit["Status"] == "PAID") == (credit["RemainingCredit"] == 0)
                for allocation in credit["Allocations"]:
                    assert allocation["Date"] >= credit["Date"]


def test_foreign_currency_documents_carry_rates(sb):
    tenant = sb.tenants[0]
    foreign = [
        i
        for i in tenant.collection("Invoices").records()
        if i["CurrencyCode"] != tenant.base_currency
    ]
    assert foreign and all(i["CurrencyRate"] != 1 for i in foreign)
    base = [i for i in tenant.collection("Invoices").records() if i not in foreign]
    assert all(i["CurrencyRate"] == 1 for i in base)
    ids = {i["InvoiceID"] for i in foreign}
    payments = [
        p
        for p in tenant.collection("Payments").records()
        if p.get("Invoice", {}).get("InvoiceID") in ids
    ]
    assert payments
    assert any(p["BankAmount"] != p["Amount"] for p in payments)


def test_journals_balance_and_are_numbered_in_time_order(sb):
    for tenant in sb.tenants:
        journals = sorted(tenant.collection("Journals").records(), key=lambda j: j["JournalNumber"])
        numbers = [j["JournalNumber"] for j in journals]
        assert numbers == list(range(1, len(journals) + 1))
        created = [j["CreatedDateUTC"] for j in journals]
        assert created == sorted(created)
        for journal in journals:
            assert journal["JournalLines"]
            assert sum(line["NetAmount"] for line in journal["JournalLines"]) == 0
        sources = Counter(j["SourceID"] for j in journals)
        for invoice in tenant.collection("Invoices").records():
            expected = {"AUTHORISED": 1, "PAID": 1, "VOIDED": 2}.get(invoice["Status"], 0)
            assert sources[invoice["InvoiceID"]] == expected, invoice["Status"]
        for payment in tenant.collection("Payments").records():
            assert sources[payment["PaymentID"]] == 1
        for name, key in (
            ("BankTransactions", "BankTransactionID"),
            ("ManualJournals", "ManualJournalID"),
        ):
            posted = [r for r in tenant.collection(name).records() if sources[r[key]]]
            assert posted
        types = {j["SourceType"] for j in journals}
        assert {"ACCREC", "ACCPAY", "ACCRECPAYMENT", "ACCPAYPAYMENT", "CASHPAID"} <= types


def test_every_aging_bucket_is_populated_at_the_anchor(sb):
    for tenant in sb.tenants:
        for rows in (ar_aging(tenant, ANCHOR), ap_aging(tenant, ANCHOR)):
            assert {row.bucket for row in rows} == {"current", "1_30", "31_60", "61_90", "over_90"}


def test_settings_collections_are_shaped_like_xero(sb):
    tenant = sb.tenants[1]
    categories = list(tenant.collection("TrackingCategories").records())
    assert all(c["Options"] for c in categories)
    assert {c["Status"] for c in categories} == {"ACTIVE", "ARCHIVED"}
    accounts = list(tenant.collection("Accounts").records())
    assert any(a["Type"] == "BANK" for a in accounts)
    assert any(a["Status"] == "ARCHIVED" for a in accounts)
    assert len({a["Code"] for a in accounts}) == len(accounts)
    for tax in tenant.collection("TaxRates").records():
        assert tax["TaxComponents"] and isinstance(tax["EffectiveRate"], Decimal)
    assert {a["Status"] for a in tenant.collection("Actions").records()} == {
        "ALLOWED",
        "NOT-ALLOWED",
    }
    for budget in tenant.collection("Budgets").records():
        assert budget["BudgetLines"][0]["BudgetBalances"][0]["Period"].day == 1


@pytest.mark.slow
def test_medium_scale_is_about_fifty_thousand_rows():
    sandbox = Sandbox(tenants=2, scale="medium", seed=1, anchor=ANCHOR)
    total = sandbox.total_rows()
    assert 40_000 <= total <= 60_000
    tenant = sandbox.tenants[0]
    journals = tenant.collection("Journals")
    assert len(journals) > 5_000
    for journal in journals.records():
        assert sum(line["NetAmount"] for line in journal["JournalLines"]) == 0
