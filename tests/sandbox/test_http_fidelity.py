"""The sandbox answers as Xero does where two outside clients (xero-python, tap-xero) and the
spec's examples found it differed (the findings of shared/reference/sandbox-fidelity.md)."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from xero_http import open_sandbox_client

from sandbox import ground_truth, spec


@pytest.fixture(scope="module")
def open_xero():
    """One sandbox for the module's read-only tests, rate limits off."""
    with open_sandbox_client() as client:
        yield client


def _tenant(client):
    return client.server.sandbox.tenant(client.tenant_id)


def test_without_accept_xero_answers_xml(open_xero):
    path = "/api.xro/2.0/Currencies"
    headers = open_xero.headers()
    for accept in (None, "*/*", "application/xml"):
        if accept is None:
            del headers["Accept"]
        else:
            headers["Accept"] = accept
        answer = open_xero.http.get(path, headers=headers)
        assert answer.status_code == 200, accept
        assert answer.headers["content-type"].startswith("text/xml")
        root = ElementTree.fromstring(answer.content)
        codes = [c.findtext("Code") for c in root.find("Currencies").findall("Currency")]
        assert sorted(codes) == sorted(
            ground_truth.collection_truth(_tenant(open_xero), "Currencies").ids
        )
    refused = open_xero.http.get(path, headers=open_xero.headers(Accept="image/png"))
    assert refused.status_code == 406


def test_every_collection_answers_xml_with_its_records(open_xero):
    for endpoint in spec.ENDPOINTS:
        params = {"page": 1} if endpoint.page else None
        records = open_xero.ok(endpoint.path, params)[endpoint.key]
        headers = open_xero.headers()
        del headers["Accept"]
        answer = open_xero.http.get("/api.xro/2.0" + endpoint.path, params=params, headers=headers)
        assert answer.status_code == 200, endpoint.path
        collection = ElementTree.fromstring(answer.content).find(endpoint.key)
        assert len(collection) == len(records), endpoint.path


def test_organisations_plural_answers_like_organisation(open_xero):
    plural = open_xero.ok("/Organisations")["Organisations"]
    singular = open_xero.ok("/Organisation")["Organisations"]
    assert [o["OrganisationID"] for o in plural] == [o["OrganisationID"] for o in singular]
    assert plural[0]["OrganisationID"] == open_xero.tenant_id


def test_not_found_is_xeros_line_of_text(open_xero):
    for path in ("/Invoices/00000000-0000-0000-0000-000000000000", "/NoSuchThing"):
        answer = open_xero.get(path)
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.text == "The resource you're looking for cannot be found"


def test_injected_expiry_answers_token_expired(open_xero):
    from xero_http import refresh_access_token

    open_xero.server.faults.add("expire_token")
    answer = open_xero.get("/Organisation")
    assert answer.status_code == 401
    assert answer.json()["Detail"].startswith("TokenExpired: token expired at ")
    assert "invalid_token" in answer.headers["WWW-Authenticate"]
    open_xero.token = refresh_access_token(open_xero.server)["access_token"]
    assert open_xero.get("/Organisation").status_code == 200


def _records(client, path: str, key: str) -> list[dict]:
    return client.ok(path, {"page": 1})[key]


def test_quotes_purchase_orders_and_items_write_unit_prices_with_four_decimals(open_xero):
    fine = [
        line["UnitAmount"]
        for quote in _tenant(open_xero).collection("Quotes").records()
        for line in quote["LineItems"]
        if line["UnitAmount"].as_tuple().exponent < -2
    ]
    assert fine, "the generated quotes have 4-decimal unit prices"
    raw = open_xero.get("/Quotes", {"page": 1}).text
    assert all(f'"UnitAmount":{amount}' in raw for amount in fine)
    orders = open_xero.get("/PurchaseOrders", {"page": 1}).text
    items = open_xero.get("/Items").text
    for text, field in ((orders, "UnitAmount"), (items, "UnitPrice")):
        amounts = re.findall(rf'"{field}":(-?\d+(?:\.\d+)?)', text)
        assert amounts and all(len(a.split(".")[1]) == 4 for a in amounts), (field, amounts[:5])


def test_string_siblings_and_fields_xero_sends(open_xero):
    expected = {
        "/BankTransactions": ("BankTransactions", {"DateString"}),
        "/BankTransfers": ("BankTransfers", {"DateString", "CreatedDateUTCString"}),
        "/Overpayments": ("Overpayments", {"DateString", "ID"}),
        "/Prepayments": ("Prepayments", {"DateString", "ID"}),
        "/PurchaseOrders": (
            "PurchaseOrders",
            {"DateString", "DeliveryDateString", "HasErrors", "IsDiscounted", "Type"},
        ),
        "/CreditNotes": ("CreditNotes", {"ID", "DateString", "UpdatedDateUTCString"}),
        "/Receipts": ("Receipts", {"ID"}),
        "/ContactGroups": ("ContactGroups", {"HasValidationErrors"}),
        "/Budgets": ("Budgets", {"Status"}),
    }
    for path, (key, fields) in expected.items():
        records = _records(open_xero, path, key)
        assert records, path
        for record in records:
            assert fields <= set(record), (path, fields - set(record))
    for note in _records(open_xero, "/CreditNotes", "CreditNotes"):
        assert note["ID"] == note["CreditNoteID"]
        assert not {"DueDate", "DueDateString", "SentToContact"} & set(note)
    assert {o["Type"] for o in _records(open_xero, "/PurchaseOrders", "PurchaseOrders")} == {
        "PURCHASEORDER"
    }


def test_envelopes_carry_no_warnings(open_xero):
    for path in ("/Invoices", "/Journals", "/Contacts"):
        assert "Warnings" not in open_xero.ok(path, {"page": 1})


def _receivables(tenant, today) -> dict[str, tuple[Decimal, Decimal]]:
    """ContactID -> (outstanding, overdue) of its AUTHORISED sales invoices, base currency."""
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for invoice in tenant.collection("Invoices").records():
        if invoice["Type"] != "ACCREC" or invoice["Status"] != "AUTHORISED":
            continue
        amount = invoice["AmountDue"] / invoice.get("CurrencyRate", Decimal(1))
        late = amount if invoice.get("DueDate", invoice["Date"]) < today else Decimal(0)
        owed, overdue = sums.get(invoice["Contact"]["ContactID"], (Decimal(0), Decimal(0)))
        sums[invoice["Contact"]["ContactID"]] = (owed + amount, overdue + late)
    cent = Decimal("0.01")
    return {k: (owed.quantize(cent), late.quantize(cent)) for k, (owed, late) in sums.items()}


def test_contacts_carry_balances_and_the_fields_xero_shows(open_xero):
    today = open_xero.server.sandbox.clock.now().date()
    truth = _receivables(_tenant(open_xero), today)
    assert any(late > 0 for _, late in truth.values())
    contacts = open_xero.ok("/Contacts", {"page": 1, "includeArchived": "true"})["Contacts"]
    with_balance = [c for c in contacts if "Balances" in c]
    assert {c["ContactID"] for c in with_balance} >= {k for k, v in truth.items() if v[0] > 0}
    for contact in with_balance:
        receivable = contact["Balances"]["AccountsReceivable"]
        expected = truth.get(contact["ContactID"], (Decimal("0.00"), Decimal("0.00")))
        got = (Decimal(str(receivable["Outstanding"])), Decimal(str(receivable["Overdue"])))
        assert got == expected, contact["Name"]
    for field in ("Website", "BrandingTheme", "BatchPayments", "Discount"):
        assert any(field in c for c in contacts), field
    by_id = open_xero.ok(f"/Contacts/{with_balance[0]['ContactID']}")["Contacts"][0]
    assert by_id["Balances"] == with_balance[0]["Balances"]
    summary = open_xero.ok("/Contacts", {"page": 1, "summaryOnly": "true"})["Contacts"]
    assert not any("Balances" in c for c in summary)


def test_by_id_reads_expand_the_contact_and_the_paid_invoice(open_xero):
    tenant = _tenant(open_xero)
    invoice = next(i for i in tenant.collection("Invoices").records() if i.get("LineItems"))
    contact = tenant.collection("Contacts").get(invoice["Contact"]["ContactID"])
    read = open_xero.ok(f"/Invoices/{invoice['InvoiceID']}")["Invoices"][0]
    assert read["Contact"]["ContactID"] == contact["ContactID"]
    for field in ("ContactStatus", "UpdatedDateUTC", "IsCustomer", "IsSupplier", "Addresses"):
        assert field in read["Contact"], field
    assert all(line["ValidationErrors"] == [] for line in read["LineItems"])
    listed = open_xero.ok("/Invoices", {"page": 1, "IDs": invoice["InvoiceID"]})["Invoices"][0]
    assert "ContactStatus" not in listed["Contact"]
    payment = next(
        p
        for p in tenant.collection("Payments").records()
        if (p.get("Invoice") or {}).get("InvoiceID")
    )
    paid = open_xero.ok(f"/Payments/{payment['PaymentID']}")["Payments"][0]["Invoice"]
    stored = tenant.collection("Invoices").get(payment["Invoice"]["InvoiceID"])
    assert paid["InvoiceID"] == stored["InvoiceID"] and paid["Status"] == stored["Status"]
    assert Decimal(str(paid["Total"])) == stored["Total"] and paid["DueDate"].startswith("/Date(")
    assert paid["LineItems"] and "Payments" in paid


def test_documents_carry_their_branding_theme(open_xero):
    themes = {t["BrandingThemeID"] for t in open_xero.ok("/BrandingThemes")["BrandingThemes"]}
    for path, key in (
        ("/CreditNotes", "CreditNotes"),
        ("/PurchaseOrders", "PurchaseOrders"),
        ("/Quotes", "Quotes"),
        ("/RepeatingInvoices", "RepeatingInvoices"),
    ):
        records = open_xero.ok(path, {"page": 1})[key]
        assert records and all(r["BrandingThemeID"] in themes for r in records), path
