"""Write-through on DuckDB and PostgreSQL: after `xero-warehouse action ...` the warehouse
holds what Xero now holds for every record the write touched (the payment and the invoice it
pays, the credit note and the invoice it is allocated to), once each, money to the cent;
with --no-sync it is left alone."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from action_records import bank_code, open_receivable, revenue_account
from tests_query import query

from pipelines.cli import main


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def destination(request, tmp_path) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")


def invoice_row(destination: str, invoice_id: str) -> list[tuple]:
    return query(destination, "select amount_due, amount_paid, status from xero.invoices "
                 "where invoice_id = %s", invoice_id)  # fmt: skip


def action(capsys, *argv: str) -> tuple[list, str]:
    with pytest.raises(SystemExit) as exited:
        main(["action", *argv])
    out, err = capsys.readouterr()
    assert exited.value.code == 0, err
    return json.loads(out), err


def test_actions_update_the_warehouse_at_once(xero, org, destination, capsys):
    """One scenario per warehouse (each write-through is a targeted sync): pay, reverse,
    allocate credit, create and delete an item, and a write with --no-sync."""
    invoice = open_receivable(org)
    due = invoice["AmountDue"]
    records, err = action(
        capsys, "payments.create", "--tenant", org.tenant_id, "--destination", destination,
        "--field", f"Invoice.InvoiceID={invoice['InvoiceID']}",
        "--field", f"Account.Code={bank_code(org)}", "--field", "Amount=10.05",
        "--field", "Date=2026-10-20",
    )  # fmt: skip
    payment_id = records[0]["PaymentID"]
    assert "warehouse updated (payments 1, invoices 1)" in err
    assert invoice_row(destination, invoice["InvoiceID"]) == [
        (due - Decimal("10.05"), Decimal("10.05"), "AUTHORISED")
    ]
    paid = query(destination, "select amount, status from xero.payments where payment_id = %s",
                 payment_id)  # fmt: skip
    assert paid == [(Decimal("10.05"), "AUTHORISED")]

    action(capsys, "payments.reverse", "--tenant", org.tenant_id, "--id", payment_id,
           "--destination", destination)  # fmt: skip
    assert invoice_row(destination, invoice["InvoiceID"]) == [(due, Decimal("0.00"), "AUTHORISED")]
    reversed_ = query(destination, "select status from xero.payments where payment_id = %s",
                      payment_id)  # fmt: skip
    assert reversed_ == [("DELETED",)]

    allocate_credit(capsys, org, destination, invoice)
    assert invoice_row(destination, invoice["InvoiceID"])[0][0] == due - Decimal("4.50")

    item, _ = action(capsys, "items.create", "--tenant", org.tenant_id, "--destination",
                     destination, "--field", "Code=WT-1", "--field", "Name=Write-through widget")
    item_id = item[0]["ItemID"]
    action(capsys, "items.delete", "--tenant", org.tenant_id, "--id", item_id,
           "--destination", destination)  # fmt: skip
    deleted = query(destination, "select name, _deleted_at is not null from xero.items "
                    "where item_id = %s", item_id)  # fmt: skip
    assert deleted == [("Write-through widget", True)]

    other = open_receivable(org, exclude=invoice["InvoiceID"])
    action(capsys, "invoices.void", "--tenant", org.tenant_id, "--id", other["InvoiceID"],
           "--destination", destination, "--no-sync")  # fmt: skip
    assert org.collection("Invoices").get(other["InvoiceID"])["Status"] == "VOIDED"
    assert invoice_row(destination, other["InvoiceID"]) == []


def allocate_credit(capsys, org, destination: str, invoice: dict) -> None:
    """Create a credit note of 4.50 (--no-sync) and allocate it all to `invoice`."""
    note, _ = action(
        capsys, "credit-notes.create", "--tenant", org.tenant_id, "--no-sync",
        "--json", json.dumps({
            "Type": "ACCRECCREDIT", "Status": "AUTHORISED", "LineAmountTypes": "NoTax",
            "Contact": {"ContactID": invoice["Contact"]["ContactID"]},
            "CurrencyCode": invoice["CurrencyCode"],
            "LineItems": [{"Description": "Goodwill", "Quantity": 1, "UnitAmount": 4.5,
                           "AccountCode": revenue_account(org)["Code"]}],
        }),
    )  # fmt: skip
    note_id = note[0]["CreditNoteID"]
    _, err = action(capsys, "credit-notes.allocate", "--tenant", org.tenant_id, "--id", note_id,
                    "--field", f"Invoice.InvoiceID={invoice['InvoiceID']}",
                    "--field", "Amount=4.50", "--destination", destination)  # fmt: skip
    assert "credit_notes 1, invoices 1" in err
    remaining = query(destination, "select remaining_credit from xero.credit_notes "
                      "where credit_note_id = %s", note_id)  # fmt: skip
    assert remaining == [(Decimal("0.00"),)]
