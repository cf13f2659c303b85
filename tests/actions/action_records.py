"""Records of a generated organisation that an action test needs."""

from __future__ import annotations

from decimal import Decimal

import pytest


def first(org, collection: str, predicate) -> dict:
    found = next((r for r in org.collection(collection).records() if predicate(r)), None)
    if found is None:
        pytest.skip(f"no suitable record in {collection} of the generated organisation")
    return found


def open_receivable(org, minimum: Decimal = Decimal("10"), exclude: str = "") -> dict:
    """An AUTHORISED sales invoice with nothing paid or credited yet (not `exclude`)."""
    return first(
        org,
        "Invoices",
        lambda r: (
            r["Type"] == "ACCREC"
            and r["InvoiceID"] != exclude
            and r["Status"] == "AUTHORISED"
            and r["AmountDue"] >= minimum
            and not r["Payments"]
            and not r.get("CreditNotes")
        ),
    )


def bank_code(org) -> str:
    return first(org, "Accounts", lambda r: r["Type"] == "BANK")["Code"]


def revenue_account(org) -> dict:
    return first(
        org, "Accounts", lambda r: r["Type"] == "REVENUE" and r.get("Status") == "ACTIVE"
    )


def customer(org) -> dict:
    return first(
        org,
        "Contacts",
        lambda r: r.get("IsCustomer") and r.get("EmailAddress") and r["ContactStatus"] == "ACTIVE",
    )


def sales_invoice(contact_id: str, account_code: str, amount: str = "100.00", **extra) -> dict:
    """An AUTHORISED sales invoice of one line (no TaxType: it comes from the account)."""
    return {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "Date": "2026-10-01",
        "DueDate": "2026-10-31",
        "Status": "AUTHORISED",
        "LineItems": [
            {"Description": "Consulting", "Quantity": 1, "UnitAmount": Decimal(amount),
             "AccountCode": account_code}
        ],
        **extra,
    }  # fmt: skip
