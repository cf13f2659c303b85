"""Every action of the typed Python API over real HTTP against the sandbox, checked on the
sandbox's own records (its ground truth)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from action_records import (
    bank_code,
    customer,
    first,
    open_receivable,
    revenue_account,
    sales_invoice,
)

from pipelines.actions import ActionError, ActionRejectedError
from pipelines.xero.client import XeroValidationError


def test_accounts_create_update_archive_delete(xero_actions, org):
    account = {"Code": "4999", "Name": "Action income", "Type": "REVENUE"}
    created = xero_actions.create_account(account)
    account_id = created["AccountID"]
    assert org.collection("Accounts").get(account_id)["Name"] == "Action income"
    xero_actions.update_account(account_id, {"Name": "Action income (renamed)"})
    assert org.collection("Accounts").get(account_id)["Name"] == "Action income (renamed)"
    assert xero_actions.get_account(account_id)["Code"] == "4999"
    assert xero_actions.archive_account(account_id)["Status"] == "ARCHIVED"
    xero_actions.delete_account(account_id)
    assert org.collection("Accounts").get(account_id) is None
    listed = [a["AccountID"] for a in xero_actions.list_accounts()]
    assert account_id not in listed and len(listed) == len(org.collection("Accounts"))


def test_contacts_create_update_archive(xero_actions, org):
    created = xero_actions.create_contact({"Name": "Action Test Ltd", "EmailAddress": "a@b.test"})
    contact_id = created["ContactID"]
    xero_actions.update_contact(contact_id, {"FirstName": "Ada"})
    assert org.collection("Contacts").get(contact_id)["FirstName"] == "Ada"
    assert xero_actions.archive_contact(contact_id)["ContactStatus"] == "ARCHIVED"
    assert org.collection("Contacts").get(contact_id)["ContactStatus"] == "ARCHIVED"
    with pytest.raises(ActionRejectedError, match="already assigned") as rejected:
        xero_actions.create_contact({"Name": customer(org)["Name"]})  # names are unique
    assert rejected.value.messages[0].startswith("element 1: The contact name")
    assert rejected.value.result.records == []


def test_invoice_create_takes_tax_from_the_account_and_keeps_the_money(xero_actions, org):
    account = revenue_account(org)
    contact = customer(org)
    invoice = xero_actions.create_invoice(sales_invoice(contact["ContactID"], account["Code"]))
    stored = org.collection("Invoices").get(invoice["InvoiceID"])
    assert stored["LineItems"][0]["TaxType"] == account["TaxType"]
    assert Decimal(str(invoice["Total"])) == stored["Total"]
    assert stored["SubTotal"] == Decimal("100.00")
    assert xero_actions.get_invoice(invoice["InvoiceID"])["InvoiceID"] == invoice["InvoiceID"]


def test_invoice_unit_amounts_keep_four_decimals(xero_actions, org):
    invoice = xero_actions.create_invoice(
        sales_invoice(customer(org)["ContactID"], revenue_account(org)["Code"], "12.3456")
    )
    assert str(invoice["LineItems"][0]["UnitAmount"]) == "12.3456"


def test_invoice_update_void_delete(xero_actions, org):
    contact_id, code = customer(org)["ContactID"], revenue_account(org)["Code"]
    invoice = xero_actions.create_invoice(sales_invoice(contact_id, code))
    xero_actions.update_invoice(invoice["InvoiceID"], {"Reference": "PO-77"})
    assert org.collection("Invoices").get(invoice["InvoiceID"])["Reference"] == "PO-77"
    assert xero_actions.void_invoice(invoice["InvoiceID"])["Status"] == "VOIDED"
    draft = xero_actions.create_invoice(sales_invoice(contact_id, code, Status="DRAFT"))
    assert xero_actions.delete_invoice(draft["InvoiceID"])["Status"] == "DELETED"
    with pytest.raises(XeroValidationError, match="cannot be voided"):
        xero_actions.void_invoice(draft["InvoiceID"])


def test_invoice_email_note_online_url_and_history(xero_actions, xero, org):
    invoice = open_receivable(org)
    contact = org.collection("Contacts").get(invoice["Contact"]["ContactID"])
    if not contact.get("EmailAddress"):
        pytest.skip("the invoice's contact has no email address")
    xero_actions.email_invoice(invoice["InvoiceID"])
    assert org.collection("Invoices").get(invoice["InvoiceID"])["SentToContact"] is True
    assert xero.runtime.extras.emails[-1][1] == invoice["InvoiceID"]
    note = xero_actions.add_invoice_note(invoice["InvoiceID"], "Chased by phone")
    assert note["Details"] == "Chased by phone"
    history = xero_actions.history("invoices", invoice["InvoiceID"])
    assert [h["Changes"] for h in history][-2:] == ["Emailed", "Note"]
    url = xero_actions.online_invoice_url(invoice["InvoiceID"])
    assert url.startswith("https://in.xero.com/")


def test_items_create_update_note_delete(xero_actions, org):
    item = xero_actions.create_item({"Code": "ACT-1", "Name": "Widget"})
    xero_actions.update_item(item["ItemID"], {"Name": "Widget II"})
    assert org.collection("Items").get(item["ItemID"])["Name"] == "Widget II"
    xero_actions.add_item_note(item["ItemID"], "Price review in May")
    assert xero_actions.history("items", item["ItemID"])[-1]["Details"] == "Price review in May"
    xero_actions.delete_item(item["ItemID"])
    assert org.collection("Items").get(item["ItemID"]) is None


def test_pay_an_invoice_then_reverse_the_payment(xero_actions, org):
    invoice = open_receivable(org)
    due = invoice["AmountDue"]
    payment = xero_actions.pay_invoice(
        invoice["InvoiceID"], Decimal("10.00"), {"Code": bank_code(org)}, "2026-10-20"
    )
    assert org.collection("Invoices").get(invoice["InvoiceID"])["AmountDue"] == due - Decimal("10")
    assert xero_actions.get_payment(payment["PaymentID"])["Amount"] == Decimal("10.00")
    assert xero_actions.reverse_payment(payment["PaymentID"])["Status"] == "DELETED"
    assert org.collection("Invoices").get(invoice["InvoiceID"])["AmountDue"] == due


def test_credit_note_create_and_allocate(xero_actions, org):
    invoice = open_receivable(org)
    note = xero_actions.create_credit_note(
        {
            "Type": "ACCRECCREDIT",
            "Contact": {"ContactID": invoice["Contact"]["ContactID"]},
            "Status": "AUTHORISED",
            "CurrencyCode": invoice["CurrencyCode"],
            "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "Refund", "Quantity": 1,
                           "UnitAmount": Decimal("5.00"),
                           "AccountCode": revenue_account(org)["Code"]}],
        }
    )  # fmt: skip
    due = invoice["AmountDue"]
    xero_actions.allocate_credit_note(note["CreditNoteID"], invoice["InvoiceID"], Decimal("5"))
    assert org.collection("Invoices").get(invoice["InvoiceID"])["AmountDue"] == due - 5
    assert org.collection("CreditNotes").get(note["CreditNoteID"])["RemainingCredit"] == 0


@pytest.mark.parametrize("kind", ["invoices", "contacts", "accounts"])
def test_attachments_upload_list_download(xero_actions, org, tmp_path, kind):
    collection = {"invoices": "Invoices", "contacts": "Contacts", "accounts": "Accounts"}[kind]
    key = {"invoices": "InvoiceID", "contacts": "ContactID", "accounts": "AccountID"}[kind]
    record_id = first(org, collection, lambda r: True)[key]
    source = tmp_path / "receipt.pdf"
    source.write_bytes(b"%PDF-1.4 receipt")
    uploaded = xero_actions.upload_attachment(kind, record_id, source)
    assert uploaded["FileName"] == "receipt.pdf" and uploaded["ContentLength"] == 16
    assert uploaded["MimeType"] == "application/pdf"
    listed = xero_actions.attachments(kind, record_id)
    assert [a["AttachmentID"] for a in listed] == [uploaded["AttachmentID"]]
    assert xero_actions.get_attachment(kind, record_id, "receipt.pdf") == b"%PDF-1.4 receipt"


def test_history_of_every_type_that_has_it(xero_actions, org):
    for kind, collection, key in (
        ("contacts", "Contacts", "ContactID"),
        ("payments", "Payments", "PaymentID"),
        ("credit-notes", "CreditNotes", "CreditNoteID"),
        ("bank-transactions", "BankTransactions", "BankTransactionID"),
    ):
        record_id = first(org, collection, lambda r: True)[key]
        assert xero_actions.history(kind, record_id)[0]["Changes"] == "Created"


def test_connections_and_the_raw_request(xero_actions, org):
    assert org.tenant_id in [c["tenantId"] for c in xero_actions.connections()]
    body = xero_actions.request("GET", "/Invoices", {"page": 1, "pageSize": 5})
    assert len(body["Invoices"]) == 5
    created = xero_actions.request("PUT", "/Contacts", json={"Contacts": [{"Name": "Raw Co"}]})
    assert created["Contacts"][0]["Name"] == "Raw Co"


def test_missing_fields_and_unknown_actions_are_one_line(xero_actions):
    with pytest.raises(ActionError, match="needs the field"):
        xero_actions.run("invoices.create", {"Type": "ACCREC"})
    with pytest.raises(ActionError, match="needs the record's id"):
        xero_actions.run("invoices.void")
    with pytest.raises(ActionError, match="unknown action 'invoices.frobnicate'"):
        xero_actions.run("invoices.frobnicate")
