"""The sandbox's writes behave as Xero documents them: per-element errors with
summarizeErrors=false, unit amounts rounded unless unitdp=4, Idempotency-Key bound to one
request, a history record per change, and the statuses email and online invoices need."""

from __future__ import annotations

from decimal import Decimal

import pytest
from action_records import customer, first, revenue_account, sales_invoice

from pipelines.xero.client import XeroValidationError


def test_summarize_errors_false_answers_200_per_element(client, org):
    good = sales_invoice(customer(org)["ContactID"], revenue_account(org)["Code"])
    bad = sales_invoice(customer(org)["ContactID"], "NOPE")
    body = client.request("PUT", "/Invoices", {"summarizeErrors": "false"},
                          {"Invoices": [good, bad]})  # fmt: skip
    ok, rejected = body["Invoices"]
    assert org.collection("Invoices").get(ok["InvoiceID"]) is not None
    assert rejected["HasErrors"] is True and rejected["StatusAttributeString"] == "ERROR"
    assert "NOPE" in rejected["ValidationErrors"][0]["Message"]
    with pytest.raises(XeroValidationError) as summarized:
        client.request("PUT", "/Invoices", None, {"Invoices": [good, bad]})
    assert summarized.value.messages[0].startswith("element 1: Account code 'NOPE'")


@pytest.mark.parametrize(("params", "stored"), [(None, "12.35"), ({"unitdp": "4"}, "12.3456")])
def test_unit_amounts_keep_four_decimals_only_with_unitdp(client, org, params, stored):
    invoice = sales_invoice(customer(org)["ContactID"], revenue_account(org)["Code"], "12.3456")
    body = client.request("PUT", "/Invoices", params, {"Invoices": [invoice]})
    record = org.collection("Invoices").get(body["Invoices"][0]["InvoiceID"])
    assert record["LineItems"][0]["UnitAmount"] == Decimal(stored)


def test_an_idempotency_key_belongs_to_one_request(client, org):
    client.request("PUT", "/Contacts", json={"Name": "Key Owner"}, idempotency_key="k-1")
    with pytest.raises(XeroValidationError, match="different request"):
        client.request("POST", "/Items", json={"Code": "K-1"}, idempotency_key="k-1")
    assert [c for c in org.collection("Items").records() if c["Code"] == "K-1"] == []


def test_every_change_leaves_a_history_record(client, org):
    contact = client.request("PUT", "/Contacts", json={"Name": "History Ltd"})["Contacts"][0]
    contact_id = contact["ContactID"]
    client.request("POST", f"/Contacts/{contact_id}", json={"FirstName": "Grace"})
    client.request("POST", f"/Contacts/{contact_id}", json={"ContactStatus": "ARCHIVED"})
    history = client.get(f"/Contacts/{contact_id}/History")["HistoryRecords"]
    assert [h["Changes"] for h in history] == ["Created", "Updated", "Updated"]
    assert history[-1]["Details"].endswith("ARCHIVED")


def test_drafts_cannot_be_emailed_or_shown_online(client, org):
    draft = first(org, "Invoices", lambda r: r["Type"] == "ACCREC" and r["Status"] == "DRAFT")
    with pytest.raises(XeroValidationError, match="cannot be emailed"):
        client.request("POST", f"/Invoices/{draft['InvoiceID']}/Email", json={})
    with pytest.raises(XeroValidationError, match="not a draft"):
        client.get(f"/Invoices/{draft['InvoiceID']}/OnlineInvoice")


def test_an_attachment_is_read_back_by_id_and_replaced_by_name(client, org):
    contact_id = customer(org)["ContactID"]
    path = f"/Contacts/{contact_id}/Attachments/terms.txt"
    first_upload = client.request("PUT", path, content=b"v1", content_type="text/plain")
    second = client.request("POST", path, content=b"v2!", content_type="text/plain")
    attachment_id = first_upload["Attachments"][0]["AttachmentID"]
    assert second["Attachments"][0]["AttachmentID"] == attachment_id
    by_id = f"/Contacts/{contact_id}/Attachments/{attachment_id}"
    assert client.request("GET", by_id, raw=True, headers={"contentType": "text/plain"}) == b"v2!"
    with pytest.raises(XeroValidationError, match="contentType header"):
        client.request("GET", by_id, raw=True)
    assert org.collection("Contacts").get(contact_id)["HasAttachments"] is True
