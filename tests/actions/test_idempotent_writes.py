"""Writes never duplicate: every PUT/POST carries an Idempotency-Key, a write whose answer
was lost is retried with the same key and returns the first result, and a 4xx is never
retried."""

from __future__ import annotations

from decimal import Decimal

import pytest
from action_records import bank_code, customer, open_receivable, revenue_account, sales_invoice

from pipelines.actions import ActionRejectedError


def _with_reference(org, reference: str) -> list[dict]:
    return [r for r in org.collection("Invoices").records() if r.get("Reference") == reference]


def test_a_lost_invoice_answer_is_retried_and_creates_one_invoice(xero, org, xero_actions):
    xero.faults.add("drop_response", path="/Invoices", tenant_id=org.tenant_id)
    before = len(org.collection("Invoices"))
    payload = sales_invoice(customer(org)["ContactID"], revenue_account(org)["Code"],
                            Reference="deal-4711")  # fmt: skip
    invoice = xero_actions.create_invoice(payload)
    assert [r["InvoiceID"] for r in _with_reference(org, "deal-4711")] == [invoice["InvoiceID"]]
    assert len(org.collection("Invoices")) == before + 1
    assert xero.log.count(org.tenant_id, "/Invoices", 0, "PUT") == 1  # the dropped answer
    assert xero.log.count(org.tenant_id, "/Invoices", 200, "PUT") == 1  # the replay


def test_a_lost_payment_answer_pays_the_invoice_once(xero, org, xero_actions):
    invoice = open_receivable(org)
    xero.faults.add("drop_response", path="/Payments", tenant_id=org.tenant_id)
    payments_before = len(org.collection("Payments"))
    payment = xero_actions.pay_invoice(
        invoice["InvoiceID"], Decimal("7.25"), {"Code": bank_code(org)}, "2026-10-20"
    )
    stored = org.collection("Invoices").get(invoice["InvoiceID"])
    assert stored["AmountDue"] == invoice["AmountDue"] - Decimal("7.25")
    assert [p["PaymentID"] for p in stored["Payments"]] == [payment["PaymentID"]]
    assert len(org.collection("Payments")) == payments_before + 1


def test_the_same_key_again_returns_the_first_result(org, xero_actions):
    payload = sales_invoice(customer(org)["ContactID"], revenue_account(org)["Code"],
                            Reference="deal-4712")  # fmt: skip
    first = xero_actions.create_invoice(payload, idempotency_key="deal-4712")
    again = xero_actions.create_invoice(payload, idempotency_key="deal-4712")
    assert again["InvoiceID"] == first["InvoiceID"]
    assert len(_with_reference(org, "deal-4712")) == 1


def test_a_rejected_write_is_not_retried(xero, org, xero_actions):
    bad = sales_invoice(customer(org)["ContactID"], "NO-SUCH-CODE", Reference="deal-4713")
    with pytest.raises(ActionRejectedError, match="not a valid code"):
        xero_actions.create_invoice(bad)
    assert xero.log.count(org.tenant_id, "/Invoices", method="PUT") == 1
    assert _with_reference(org, "deal-4713") == []


def test_a_server_error_on_a_write_is_retried_once_written(xero, org, xero_actions):
    xero.faults.add("status", status=503, path="/Contacts", tenant_id=org.tenant_id)
    contact = xero_actions.create_contact({"Name": "Retry Once Pty"})
    names = [c["Name"] for c in org.collection("Contacts").records()]
    assert names.count("Retry Once Pty") == 1
    assert contact["Name"] == "Retry Once Pty"
