"""Writes answer as Xero's do: default tax from the account, unitdp on the answer,
StatusAttributeString, summarizeErrors=false and the echo of a refused element."""

from __future__ import annotations

from decimal import Decimal

API = "/api.xro/2.0"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


def _tenant(client):
    return client.server.sandbox.tenant(client.tenant_id)


def _put(client, path: str, body: dict, **params):
    return client.http.put(API + path, params=params, json=body, headers=client.headers())


def _customer_id(client) -> str:
    contacts = _tenant(client).collection("Contacts").records()
    return next(c["ContactID"] for c in contacts if c.get("IsCustomer"))


def _invoice(client, reference: str, **fields) -> dict:
    line = {"Description": "fine", "Quantity": 2.5, "UnitAmount": 10.1234, "AccountCode": "200"}
    return {
        "Type": "ACCREC",
        "Contact": {"ContactID": _customer_id(client)},
        "Reference": reference,
        "LineItems": [line],
        **fields,
    }


def test_line_without_tax_type_takes_the_accounts_and_unitdp_4_shapes_the_answer(open_xero):
    account = next(
        a for a in _tenant(open_xero).collection("Accounts").records() if a["Code"] == "200"
    )
    assert account["TaxType"] == "OUTPUT"  # 10% in the first organisation (GST)
    answer = _put(open_xero, "/Invoices", {"Invoices": [_invoice(open_xero, "tax")]}, unitdp=4)
    assert answer.status_code == 200, answer.text
    invoice = answer.json()["Invoices"][0]
    line = invoice["LineItems"][0]
    assert line["TaxType"] == "OUTPUT"
    assert Decimal(str(line["UnitAmount"])) == Decimal("10.1234")
    assert Decimal(str(line["TaxAmount"])) == Decimal("2.53")
    assert Decimal(str(invoice["SubTotal"])) == Decimal("25.31")
    assert Decimal(str(invoice["TotalTax"])) == Decimal("2.53")
    assert Decimal(str(invoice["Total"])) == Decimal("27.84")
    assert invoice["StatusAttributeString"] == "OK"
    two_places = _put(open_xero, "/Invoices", {"Invoices": [_invoice(open_xero, "2dp")]})
    assert two_places.json()["Invoices"][0]["LineItems"][0]["UnitAmount"] == 10.12


def test_summarize_errors_false_answers_200_with_each_element(open_xero):
    good, bad = _invoice(open_xero, "summarize-ok"), _invoice(open_xero, "summarize-bad")
    del bad["Contact"]
    answer = _put(
        open_xero, "/Invoices", {"Invoices": [good, bad]}, summarizeErrors="false", unitdp=4
    )
    assert answer.status_code == 200, answer.text
    created, refused = answer.json()["Invoices"]
    assert created["StatusAttributeString"] == "OK" and "ValidationErrors" not in created
    stored = _tenant(open_xero).collection("Invoices").get(created["InvoiceID"])
    assert stored["Reference"] == "summarize-ok"
    assert refused["InvoiceID"] == ZERO_GUID and refused["Reference"] == "summarize-bad"
    assert refused["StatusAttributeString"] == "ERROR"
    assert "Contact" in refused["ValidationErrors"][0]["Message"]
    references = [i.get("Reference") for i in _tenant(open_xero).collection("Invoices").records()]
    assert references.count("summarize-ok") == 1 and "summarize-bad" not in references


def test_a_refused_element_is_echoed_in_the_400(open_xero):
    answer = _put(open_xero, "/Accounts", {"Code": "200", "Name": "Twice", "Type": "EXPENSE"})
    assert answer.status_code == 400
    element = answer.json()["Elements"][0]
    assert element["AccountID"] == ZERO_GUID
    assert (element["Code"], element["Name"], element["Type"]) == ("200", "Twice", "EXPENSE")
    assert element["ValidationErrors"][0]["Message"]
    bad = _invoice(open_xero, "echo")
    del bad["Contact"]
    echoed = _put(open_xero, "/Invoices", {"Invoices": [bad]}).json()["Elements"][0]
    assert echoed["InvoiceID"] == ZERO_GUID and echoed["Reference"] == "echo"
    assert echoed["LineItems"][0]["UnitAmount"] == 10.1234
