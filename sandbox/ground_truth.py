"""What a correct warehouse must hold, computed from the sandbox's own documents.

Nothing here reads the warehouse or shares code with the SQL models: aging is rebuilt from the
invoices, payments and the allocations of credit notes, overpayments and prepayments, so it can
check them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.model import Tenant

ZERO = Decimal("0.00")
BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")
OPEN_STATUSES = ("AUTHORISED", "PAID")
CREDIT_COLLECTIONS = ("CreditNotes", "Overpayments", "Prepayments")

# top-level x-is-money fields of each collection's item schema (xero_accounting.yaml)
MONEY_FIELDS: dict[str, tuple[str, ...]] = {
    "BankTransactions": ("CurrencyRate", "SubTotal", "TotalTax", "Total"),
    "BankTransfers": ("Amount", "CurrencyRate"),
    "BatchPayments": ("Amount", "TotalAmount"),
    "Contacts": ("Discount",),
    "CreditNotes": (
        "SubTotal",
        "TotalTax",
        "Total",
        "CISDeduction",
        "CISRate",
        "CurrencyRate",
        "RemainingCredit",
        "AppliedAmount",
    ),
    "ExpenseClaims": ("Total", "AmountDue", "AmountPaid"),
    "Invoices": (
        "CurrencyRate",
        "CISDeduction",
        "CISRate",
        "SubTotal",
        "TotalTax",
        "Total",
        "TotalDiscount",
        "AmountDue",
        "AmountPaid",
        "AmountCredited",
    ),
    "Items": ("TotalCostPool", "QuantityOnHand"),
    "Overpayments": ("SubTotal", "TotalTax", "Total", "CurrencyRate", "RemainingCredit"),
    "Payments": ("CurrencyRate", "Amount", "BankAmount"),
    "Prepayments": ("SubTotal", "TotalTax", "Total", "CurrencyRate", "RemainingCredit"),
    "PurchaseOrders": ("CurrencyRate", "SubTotal", "TotalTax", "Total", "TotalDiscount"),
    "Quotes": ("SubTotal", "TotalTax", "Total", "TotalDiscount"),
    "Receipts": ("SubTotal", "TotalTax", "Total"),
    "RepeatingInvoices": ("SubTotal", "TotalTax", "Total"),
    "TaxRates": ("DisplayTaxRate", "EffectiveRate"),
}


@dataclass(frozen=True)
class CollectionTruth:
    ids: set[str]
    count: int
    money: dict[str, Decimal]  # field -> sum over the records that carry it


@dataclass(frozen=True)
class AgingRow:
    invoice_id: str
    invoice_number: str | None
    contact_id: str
    currency_code: str
    invoice_date: date
    due_date: date
    amount_due: Decimal
    days_overdue: int
    bucket: str


def collection_truth(tenant: Tenant, collection: str) -> CollectionTruth:
    """Every record a full sync must hold (archived, deleted and voided ones included; hard
    deleted ones are gone), with the sums of its top-level money fields."""
    coll = tenant.collection(collection)
    fields = MONEY_FIELDS.get(collection, ())
    ids: set[str] = set()
    sums: dict[str, Decimal] = {}
    for record in coll.records():
        ids.add(coll._record_id(record))
        for field in fields:
            value = record.get(field)
            if value is not None:
                sums[field] = sums.get(field, ZERO) + value
    return CollectionTruth(ids=ids, count=len(ids), money=sums)


def bucket_for(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "1_30"
    if days_overdue <= 60:
        return "31_60"
    if days_overdue <= 90:
        return "61_90"
    return "over_90"


def _settled_as_of(tenant: Tenant, as_of: date) -> dict[str, Decimal]:
    """invoice id -> payments plus credit allocations dated on or before `as_of`."""
    settled: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for payment in tenant.collection("Payments").records():
        invoice = payment.get("Invoice")
        if not invoice or payment.get("Status") == "DELETED" or payment["Date"] > as_of:
            continue
        settled[invoice["InvoiceID"]] += payment["Amount"]
    for collection in CREDIT_COLLECTIONS:
        for credit in tenant.collection(collection).records():
            if credit.get("Status") in ("VOIDED", "DELETED") or credit["Date"] > as_of:
                continue
            for allocation in credit.get("Allocations") or ():
                if allocation.get("IsDeleted") or allocation["Date"] > as_of:
                    continue
                settled[allocation["Invoice"]["InvoiceID"]] += allocation["Amount"]
    return settled


def _aging(tenant: Tenant, kind: str, as_of: date) -> list[AgingRow]:
    settled = _settled_as_of(tenant, as_of)
    rows = []
    for invoice in tenant.collection("Invoices").records():
        if invoice["Type"] != kind or invoice["Status"] not in OPEN_STATUSES:
            continue
        if invoice["Date"] > as_of:
            continue
        amount_due = invoice["Total"] - settled.get(invoice["InvoiceID"], ZERO)
        if amount_due <= 0:
            continue
        due = invoice.get("DueDate") or invoice["Date"]
        days = (as_of - due).days
        rows.append(
            AgingRow(
                invoice_id=invoice["InvoiceID"],
                invoice_number=invoice.get("InvoiceNumber"),
                contact_id=invoice["Contact"]["ContactID"],
                currency_code=invoice["CurrencyCode"],
                invoice_date=invoice["Date"],
                due_date=due,
                amount_due=amount_due,
                days_overdue=days,
                bucket=bucket_for(days),
            )
        )
    rows.sort(key=lambda row: (row.due_date, row.invoice_id))
    return rows


def ar_aging(tenant: Tenant, as_of: date) -> list[AgingRow]:
    """Open sales invoices (ACCREC) as of the end of `as_of`, oldest due first."""
    return _aging(tenant, "ACCREC", as_of)


def ap_aging(tenant: Tenant, as_of: date) -> list[AgingRow]:
    """Open bills (ACCPAY) as of the end of `as_of`, oldest due first."""
    return _aging(tenant, "ACCPAY", as_of)


def totals_by_currency(rows: Iterable[AgingRow]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row.currency_code] = totals.get(row.currency_code, ZERO) + row.amount_due
    return totals


def totals_by_bucket(rows: Iterable[AgingRow]) -> dict[str, Decimal]:
    totals = dict.fromkeys(BUCKETS, ZERO)
    for row in rows:
        totals[row.bucket] += row.amount_due
    return totals


def aged_receivables_total(tenant: Tenant, as_of: date) -> dict[str, Decimal]:
    """Outstanding receivables per invoice currency as of `as_of`."""
    return totals_by_currency(ar_aging(tenant, as_of))


def aged_payables_total(tenant: Tenant, as_of: date) -> dict[str, Decimal]:
    """Outstanding payables per invoice currency as of `as_of`."""
    return totals_by_currency(ap_aging(tenant, as_of))
