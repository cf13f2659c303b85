"""Writes keep the model consistent, stamp UpdatedDateUTC with the clock and tell listeners."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from sandbox.ground_truth import collection_truth
from sandbox.model import RecordNotFoundError, Sandbox, SandboxValidationError

ANCHOR = date(2026, 10, 31)
NOW = datetime(2026, 11, 2, 9, 30, 0, 123000, tzinfo=UTC)


@pytest.fixture
def sb() -> Sandbox:
    sandbox = Sandbox(tenants=1, scale="small", seed=3, anchor=ANCHOR)
    sandbox.clock.freeze(NOW)
    return sandbox


@pytest.fixture
def events(sb) -> list[tuple]:
    seen: list[tuple] = []
    sb.add_change_listener(lambda *event: seen.append(event))
    return seen


def open_invoice(tenant, kind="ACCREC", currency=None):
    for invoice in tenant.collection("Invoices").records():
        if (
            invoice["Type"] == kind
            and invoice["Status"] == "AUTHORISED"
            and not invoice["Payments"]
            and not invoice["CreditNotes"]
            and (currency is None or invoice["CurrencyCode"] == currency)
        ):
            return invoice
    raise AssertionError("no open invoice")


def journals_of(tenant, source_id):
    return [j for j in tenant.collection("Journals").records() if j["SourceID"] == source_id]


def assert_journals_consistent(tenant):
    journals = sorted(tenant.collection("Journals").records(), key=lambda j: j["JournalNumber"])
    assert [j["JournalNumber"] for j in journals] == list(range(1, len(journals) + 1))
    stamps = [j["CreatedDateUTC"] for j in journals]
    assert stamps == sorted(stamps)
    for journal in journals:
        assert sum(line["NetAmount"] for line in journal["JournalLines"]) == 0


def test_add_payment_updates_the_invoice_and_posts_a_journal(sb, events):
    tenant = sb.tenants[0]
    invoice = open_invoice(tenant, currency=tenant.base_currency)
    part = (invoice["AmountDue"] / 3).quantize(Decimal("0.01"))
    payment = tenant.add_payment(invoice["InvoiceID"], part, date(2026, 11, 1), account_code="090")
    after = tenant.collection("Invoices").get(invoice["InvoiceID"])
    assert after["AmountPaid"] == part
    assert after["AmountDue"] == invoice["AmountDue"] - part
    assert after["Status"] == "AUTHORISED"
    assert after["UpdatedDateUTC"] == NOW
    assert payment["UpdatedDateUTC"] == NOW and payment["Status"] == "AUTHORISED"
    assert payment["Invoice"]["InvoiceID"] == invoice["InvoiceID"]
    assert tenant.collection("Payments").get(payment["PaymentID"]) == payment
    assert [p["PaymentID"] for p in after["Payments"]] == [payment["PaymentID"]]
    assert (tenant.tenant_id, "Payments", payment["PaymentID"], "CREATE") in events
    assert (tenant.tenant_id, "Invoices", invoice["InvoiceID"], "UPDATE") in events
    (journal,) = journals_of(tenant, payment["PaymentID"])
    assert journal["CreatedDateUTC"] == NOW
    assert_journals_consistent(tenant)

    rest = tenant.add_payment(invoice["InvoiceID"], after["AmountDue"], date(2026, 11, 2))
    paid = tenant.collection("Invoices").get(invoice["InvoiceID"])
    assert paid["Status"] == "PAID" and paid["AmountDue"] == 0
    assert paid["FullyPaidOnDate"] == date(2026, 11, 2)

    tenant.delete("Payments", rest["PaymentID"])
    restored = tenant.collection("Invoices").get(invoice["InvoiceID"])
    assert restored["Status"] == "AUTHORISED"
    assert restored["AmountDue"] == after["AmountDue"]
    assert "FullyPaidOnDate" not in restored
    assert tenant.collection("Payments").get(rest["PaymentID"])["Status"] == "DELETED"
    assert len(journals_of(tenant, rest["PaymentID"])) == 2
    assert_journals_consistent(tenant)


def test_payments_cannot_exceed_the_amount_due(sb):
    tenant = sb.tenants[0]
    invoice = open_invoice(tenant)
    with pytest.raises(SandboxValidationError):
        tenant.add_payment(invoice["InvoiceID"], invoice["AmountDue"] + 1, date(2026, 11, 1))
    with pytest.raises(SandboxValidationError):
        tenant.add_payment(invoice["InvoiceID"], Decimal("-1"), date(2026, 11, 1))


def test_invoice_lifecycle_draft_authorise_void(sb, events):
    tenant = sb.tenants[0]
    contact = tenant.create("Contacts", {"Name": "Łukasz Żółć Ltd", "IsCustomer": True})
    draft = tenant.create(
        "Invoices",
        {
            "Type": "ACCREC",
            "Contact": {"ContactID": contact["ContactID"]},
            "Date": "2026-11-01",
            "DueDate": "/Date(1764547200000+0000)/",
            "LineItems": [
                {
                    "Description": "Widgets",
                    "Quantity": Decimal("3"),
                    "UnitAmount": Decimal("10.3333"),
                    "AccountCode": "200",
                }
            ],
        },
    )
    assert draft["Status"] == "DRAFT"
    assert draft["LineItems"][0]["LineAmount"] == Decimal("31.00")
    assert draft["SubTotal"] + draft["TotalTax"] == draft["Total"]
    assert draft["DueDate"] == date(2025, 12, 1)
    assert not journals_of(tenant, draft["InvoiceID"])
    assert (tenant.tenant_id, "Invoices", draft["InvoiceID"], "CREATE") in events

    sb.clock.advance(seconds=5)
    approved = tenant.update("Invoices", draft["InvoiceID"], {"Status": "AUTHORISED"})
    assert approved["Status"] == "AUTHORISED"
    assert approved["UpdatedDateUTC"] == NOW + timedelta(seconds=5)
    assert len(journals_of(tenant, draft["InvoiceID"])) == 1

    voided = tenant.void("Invoices", draft["InvoiceID"])
    assert voided["Status"] == "VOIDED" and voided["AmountDue"] == 0
    journals = journals_of(tenant, draft["InvoiceID"])
    assert len(journals) == 2
    assert_journals_consistent(tenant)
    with pytest.raises(SandboxValidationError):
        tenant.update("Invoices", draft["InvoiceID"], {"Reference": "too late"})


def test_delete_rules_for_invoices(sb):
    tenant = sb.tenants[0]
    contact = next(iter(tenant.collection("Contacts").records()))
    draft = tenant.create(
        "Invoices",
        {"Type": "ACCPAY", "Contact": {"ContactID": contact["ContactID"]}, "LineItems": []},
    )
    assert tenant.delete("Invoices", draft["InvoiceID"])["Status"] == "DELETED"
    assert tenant.collection("Invoices").get(draft["InvoiceID"])["Status"] == "DELETED"
    invoice = open_invoice(tenant)
    with pytest.raises(SandboxValidationError):
        tenant.delete("Invoices", invoice["InvoiceID"])
    paid = next(i for i in tenant.collection("Invoices").records() if i["Status"] == "PAID")
    with pytest.raises(SandboxValidationError):
        tenant.void("Invoices", paid["InvoiceID"])
    with pytest.raises(RecordNotFoundError):
        tenant.void("Invoices", "00000000-0000-0000-0000-000000000000")


def test_credit_note_allocation_and_its_removal(sb, events):
    tenant = sb.tenants[0]
    invoice = open_invoice(tenant)
    credit = tenant.create(
        "CreditNotes",
        {
            "Type": "ACCRECCREDIT",
            "Status": "AUTHORISED",
            "Contact": {"ContactID": invoice["Contact"]["ContactID"]},
            "CurrencyCode": invoice["CurrencyCode"],
            "Date": "2026-11-01",
            "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Credit", "Quantity": 1, "UnitAmount": "5.00"}],
        },
    )
    assert credit["RemainingCredit"] == Decimal("5.00")
    allocation = tenant.allocate(
        "CreditNotes",
        credit["CreditNoteID"],
        invoice["InvoiceID"],
        Decimal("5.00"),
        date(2026, 11, 2),
    )
    assert allocation["Amount"] == Decimal("5.00") and allocation["Date"] == date(2026, 11, 2)
    after = tenant.collection("Invoices").get(invoice["InvoiceID"])
    assert after["AmountCredited"] == Decimal("5.00")
    assert after["AmountDue"] == invoice["AmountDue"] - Decimal("5.00")
    assert after["CreditNotes"][0]["CreditNoteID"] == credit["CreditNoteID"]
    used = tenant.collection("CreditNotes").get(credit["CreditNoteID"])
    assert used["Status"] == "PAID" and used["RemainingCredit"] == 0
    with pytest.raises(SandboxValidationError):
        tenant.allocate("CreditNotes", credit["CreditNoteID"], invoice["InvoiceID"], 1, ANCHOR)

    tenant.delete_allocation("CreditNotes", credit["CreditNoteID"], allocation["AllocationID"])
    again = tenant.collection("Invoices").get(invoice["InvoiceID"])
    assert again["AmountDue"] == invoice["AmountDue"] and again["AmountCredited"] == 0
    restored = tenant.collection("CreditNotes").get(credit["CreditNoteID"])
    assert restored["Status"] == "AUTHORISED" and restored["RemainingCredit"] == Decimal("5.00")
    assert restored["Allocations"][0]["IsDeleted"] is True


def test_contacts_create_update_archive(sb, events):
    tenant = sb.tenants[0]
    contact = tenant.create("Contacts", {"Name": "Αθηνά Design", "EmailAddress": "a@example.gr"})
    assert contact["ContactStatus"] == "ACTIVE" and contact["UpdatedDateUTC"] == NOW
    with pytest.raises(SandboxValidationError):
        tenant.create("Contacts", {"Name": "Αθηνά Design"})
    sb.clock.advance(seconds=61)
    updated = tenant.update("Contacts", contact["ContactID"], {"EmailAddress": "b@example.gr"})
    assert updated["EmailAddress"] == "b@example.gr"
    assert updated["UpdatedDateUTC"] == NOW + timedelta(seconds=61)
    archived = tenant.archive("Contacts", contact["ContactID"])
    assert archived["ContactStatus"] == "ARCHIVED"
    contacts = tenant.collection("Contacts")
    assert contacts.ids()[-1] == contact["ContactID"]
    assert [c["ContactID"] for c in contacts.modified_since(NOW + timedelta(seconds=61))] == [
        contact["ContactID"]
    ]
    assert [e[3] for e in events if e[2] == contact["ContactID"]] == ["CREATE", "UPDATE", "UPDATE"]
    with pytest.raises(SandboxValidationError):
        tenant.delete("Contacts", contact["ContactID"])


def test_accounts_and_items_are_hard_deleted(sb):
    tenant = sb.tenants[0]
    account = tenant.create("Accounts", {"Code": "455", "Name": "Samples", "Type": "EXPENSE"})
    item = tenant.create(
        "Items", {"Code": "SAMPLE-1", "Name": "Sample", "SalesDetails": {"UnitPrice": "1.2345"}}
    )
    assert item["SalesDetails"]["UnitPrice"] == Decimal("1.2345")
    assert account["AccountID"] in collection_truth(tenant, "Accounts").ids
    assert tenant.delete("Accounts", account["AccountID"]) is None
    assert tenant.delete("Items", item["ItemID"]) is None
    assert tenant.collection("Accounts").get(account["AccountID"]) is None
    assert item["ItemID"] not in tenant.collection("Items").ids()
    assert account["AccountID"] not in collection_truth(tenant, "Accounts").ids
    system = next(a for a in tenant.collection("Accounts").records() if a.get("SystemAccount"))
    with pytest.raises(SandboxValidationError):
        tenant.delete("Accounts", system["AccountID"])
    with pytest.raises(SandboxValidationError):
        tenant.create("Accounts", {"Code": "200", "Name": "Duplicate", "Type": "REVENUE"})


def test_tracking_categories_and_linked_transactions_are_hard_deleted(sb):
    tenant = sb.tenants[0]
    for name in ("TrackingCategories", "LinkedTransactions"):
        coll = tenant.collection(name)
        record_id = coll.ids()[0]
        before = len(coll)
        tenant.delete(name, record_id)
        assert coll.get(record_id) is None and len(coll) == before - 1


def test_soft_deletes_and_voids_elsewhere(sb):
    tenant = sb.tenants[0]
    spend = next(
        b
        for b in tenant.collection("BankTransactions").records()
        if b["Status"] == "AUTHORISED" and b["Type"] == "SPEND"
    )
    before = len(tenant.collection("Journals"))
    assert tenant.delete("BankTransactions", spend["BankTransactionID"])["Status"] == "DELETED"
    assert len(tenant.collection("Journals")) == before + 1
    manual = next(
        m for m in tenant.collection("ManualJournals").records() if m["Status"] == "POSTED"
    )
    assert tenant.void("ManualJournals", manual["ManualJournalID"])["Status"] == "VOIDED"
    assert_journals_consistent(tenant)
    with pytest.raises(SandboxValidationError):
        tenant.archive("Payments", tenant.collection("Payments").ids()[0])


def test_wire_cache_follows_writes(sb):
    tenant = sb.tenants[0]
    contacts = tenant.collection("Contacts")
    contact_id = contacts.ids()[0]
    before = contacts.wire_bytes(contact_id)
    assert contacts.wire_bytes(contact_id) is before
    tenant.update("Contacts", contact_id, {"Name": "Renamed Ōtautahi Ltd"})
    after = contacts.wire_bytes(contact_id)
    assert after != before and "Renamed Ōtautahi Ltd".encode() in after


def test_bank_transactions_transfers_and_manual_journals_post(sb, events):
    tenant = sb.tenants[0]
    journals = tenant.collection("Journals")
    before = len(journals)
    spend = tenant.create(
        "BankTransactions",
        {
            "Type": "SPEND",
            "BankAccount": {"Code": "090"},
            "Date": "2026-11-01",
            "LineAmountTypes": "Inclusive",
            "LineItems": [
                {"Description": "Coffee", "Quantity": 2, "UnitAmount": "4.40", "AccountCode": "420"}
            ],
        },
    )
    assert spend["Total"] == Decimal("8.80") and spend["Status"] == "AUTHORISED"
    transfer = tenant.create(
        "BankTransfers",
        {"FromBankAccount": {"Code": "090"}, "ToBankAccount": {"Code": "091"}, "Amount": "250.00"},
    )
    assert transfer["CreatedDateUTC"] == NOW and transfer["Amount"] == Decimal("250.00")
    for side in ("FromBankTransactionID", "ToBankTransactionID"):
        assert tenant.collection("BankTransactions").get(transfer[side]) is not None
    with pytest.raises(SandboxValidationError):
        tenant.create(
            "ManualJournals",
            {
                "Narration": "Unbalanced",
                "JournalLines": [
                    {"LineAmount": "10.00", "AccountCode": "420"},
                    {"LineAmount": "-9.00", "AccountCode": "090"},
                ],
            },
        )
    manual = tenant.create(
        "ManualJournals",
        {
            "Narration": "Accrual",
            "Status": "DRAFT",
            "JournalLines": [
                {"LineAmount": "10.00", "AccountCode": "420"},
                {"LineAmount": "-10.00", "AccountCode": "800"},
            ],
        },
    )
    assert len(journals) == before + 2
    posted = tenant.update("ManualJournals", manual["ManualJournalID"], {"Status": "POSTED"})
    assert posted["Status"] == "POSTED" and len(journals) == before + 3
    sources = {j["SourceID"] for j in journals.records()}
    assert {
        spend["BankTransactionID"],
        transfer["BankTransferID"],
        manual["ManualJournalID"],
    } <= sources
    assert_journals_consistent(tenant)


def test_contact_names_stay_unique_across_renames(sb):
    tenant = sb.tenants[0]
    first = tenant.create("Contacts", {"Name": "Ørsted Tømrer ApS"})
    tenant.update("Contacts", first["ContactID"], {"Name": "Ørsted Snedker ApS"})
    second = tenant.create("Contacts", {"Name": "Ørsted Tømrer ApS"})
    assert second["ContactID"] != first["ContactID"]
    with pytest.raises(SandboxValidationError):
        tenant.create("Contacts", {"Name": "Ørsted Snedker ApS"})
    with pytest.raises(SandboxValidationError):
        tenant.update("Contacts", second["ContactID"], {"Name": "Ørsted Snedker ApS"})
    invoice = tenant.create(
        "Invoices", {"Type": "ACCREC", "Contact": {"Name": "Ørsted Snedker ApS"}, "LineItems": []}
    )
    assert invoice["Contact"]["ContactID"] == first["ContactID"]
    tenant.archive("Contacts", first["ContactID"])
    third = tenant.create("Contacts", {"Name": "Ørsted Snedker ApS"})
    assert third["ContactID"] not in (first["ContactID"], second["ContactID"])


def test_documents_outlive_a_deleted_account(sb):
    tenant = sb.tenants[0]
    manual = next(
        m for m in tenant.collection("ManualJournals").records() if m["Status"] == "POSTED"
    )
    code = manual["JournalLines"][0]["AccountCode"]
    account = next(a for a in tenant.collection("Accounts").records() if a["Code"] == code)
    tenant.delete("Accounts", account["AccountID"])
    tenant.void("ManualJournals", manual["ManualJournalID"])
    reversal = max(
        (
            j
            for j in tenant.collection("Journals").records()
            if j["SourceID"] == manual["ManualJournalID"]
        ),
        key=lambda j: j["JournalNumber"],
    )
    assert account["AccountID"] in {line["AccountID"] for line in reversal["JournalLines"]}
    assert_journals_consistent(tenant)
