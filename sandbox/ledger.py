"""The bookkeeping rules of a Xero organisation, shared by the generator and the sandbox's
writes: line items and document totals, taxes, currency rates, numbering, payments,
allocations and the journals they post.

A `Ledger` holds one tenant's bookkeeping state (accounts by code, taxes, bank accounts,
counters, pending journals) and stores what it posts through the tenant (any object with the
`Books` shape: sandbox.model.Tenant).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol


class Books(Protocol):
    """What the ledger needs of a tenant: its id and collections, and a way to store a record
    (and tell the sandbox's listeners)."""

    tenant_id: str

    def collection(self, name: str) -> Any: ...

    def _store(self, collection: str, record: dict, event: str | None) -> None: ...


CENT = Decimal("0.01")


UNIT4 = Decimal("0.0001")


RATE6 = Decimal("0.000001")


ZERO = Decimal("0.00")


ONE_RATE = Decimal("1.000000")


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def rate6(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(RATE6, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TaxSpec:
    tax_type: str
    name: str
    rate: Decimal  # percent
    report_type: str
    applies_to: str  # "sales" | "purchases" | "both"


@dataclass(frozen=True)
class OrgProfile:
    name: str
    legal_name: str
    base_currency: str
    timezone: str  # IANA
    xero_timezone: str  # Organisation.Timezone enum
    country: str
    version: str
    foreign_currencies: tuple[str, ...]
    sales_tax: TaxSpec
    purchase_tax: TaxSpec
    zero_tax: TaxSpec
    extra_taxes: tuple[TaxSpec, ...] = ()
    city: str = ""
    region: str = ""
    postcode: str = ""
    tax_number: str = ""
    sales_tax_basis: str = "ACCRUALS"
    sales_tax_period: str = "QUARTERLY1"
    financial_year_end: tuple[int, int] = (30, 6)


# units of foreign currency per unit of USD (rough), to derive cross rates
USD_RATES = {
    "USD": Decimal("1"),
    "AUD": Decimal("1.52"),
    "NZD": Decimal("1.68"),
    "GBP": Decimal("0.79"),
    "EUR": Decimal("0.92"),
    "CAD": Decimal("1.37"),
    "MXN": Decimal("17.10"),
    "SGD": Decimal("1.34"),
    "JPY": Decimal("151.20"),
}


ACCOUNT_CLASS = {
    "BANK": "ASSET",
    "CURRENT": "ASSET",
    "FIXED": "ASSET",
    "INVENTORY": "ASSET",
    "NONCURRENT": "ASSET",
    "PREPAYMENT": "ASSET",
    "CURRLIAB": "LIABILITY",
    "LIABILITY": "LIABILITY",
    "TERMLIAB": "LIABILITY",
    "PAYG": "LIABILITY",
    "EQUITY": "EQUITY",
    "REVENUE": "REVENUE",
    "SALES": "REVENUE",
    "OTHERINCOME": "REVENUE",
    "EXPENSE": "EXPENSE",
    "DIRECTCOSTS": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "DEPRECIATN": "EXPENSE",
}


SALES_ACCOUNTS = ("200", "260")


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng` (same value as uuid.UUID(int=..., version=4))."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def account_ref(account: dict) -> dict:
    return {"AccountID": account["AccountID"], "Code": account["Code"], "Name": account["Name"]}


def contact_ref(contact: dict) -> dict:
    return {
        "ContactID": contact["ContactID"],
        "Name": contact["Name"],
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "ContactPersons": [],
        "HasValidationErrors": False,
    }


CREDIT_SUMMARIES = ("CreditNotes", "Overpayments", "Prepayments")


CREDIT_KEYS = {
    "CreditNotes": "CreditNoteID",
    "Overpayments": "OverpaymentID",
    "Prepayments": "PrepaymentID",
}


# document Type -> (PaymentType, control account, +1 money in / -1 money out)
PAYMENT_TYPES = {
    "ACCREC": ("ACCRECPAYMENT", "610", 1),
    "ACCPAY": ("ACCPAYPAYMENT", "800", -1),
    "ACCRECCREDIT": ("ARCREDITPAYMENT", "610", -1),
    "ACCPAYCREDIT": ("APCREDITPAYMENT", "800", 1),
    "RECEIVE-OVERPAYMENT": ("AROVERPAYMENTPAYMENT", "610", -1),
    "SPEND-OVERPAYMENT": ("APOVERPAYMENTPAYMENT", "800", 1),
    "RECEIVE-PREPAYMENT": ("ARPREPAYMENTPAYMENT", "610", -1),
    "SPEND-PREPAYMENT": ("APPREPAYMENTPAYMENT", "800", 1),
}


def invoice_ref(invoice: dict) -> dict:
    ref = {
        "Type": invoice["Type"],
        "InvoiceID": invoice["InvoiceID"],
        "InvoiceNumber": invoice.get("InvoiceNumber", ""),
        "Contact": {
            "ContactID": invoice["Contact"]["ContactID"],
            "Name": invoice["Contact"]["Name"],
        },
        "CurrencyCode": invoice["CurrencyCode"],
        "IsDiscounted": False,
        "HasErrors": False,
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "LineItems": [],
    }
    return ref


def credit_ref(credit: dict, kind: str) -> dict:
    key = {
        "CreditNote": "CreditNoteID",
        "Overpayment": "OverpaymentID",
        "Prepayment": "PrepaymentID",
    }[kind]
    ref = {
        key: credit[key],
        "Type": credit["Type"],
        "Contact": {"ContactID": credit["Contact"]["ContactID"], "Name": credit["Contact"]["Name"]},
        "CurrencyCode": credit["CurrencyCode"],
        "LineItems": [],
    }
    if kind == "CreditNote":
        ref["CreditNoteNumber"] = credit["CreditNoteNumber"]
    return ref


@dataclass(slots=True)
class JournalEntry:
    created: datetime
    journal_date: date
    source_id: str
    source_type: str
    reference: str
    lines: list[tuple[dict, Decimal, Decimal, str | None, str]]  # account, net, tax, taxtype, desc


class Ledger:
    """Bookkeeping state of one tenant: accounts, taxes, numbering, journals."""

    def __init__(self, tenant: Books, profile: OrgProfile, rng: random.Random, anchor: date):
        self.tenant = tenant
        self.profile = profile
        self.rng = rng
        self.anchor = anchor
        self.accounts_by_code: dict[str, dict] = {}
        self.taxes: dict[str, TaxSpec] = {}
        self.bank_accounts: list[dict] = []
        self.foreign_bank: dict[str, dict] = {}
        self.counters: dict[str, int] = {}
        self.pending_journals: list[JournalEntry] | None = []  # None once finalised
        self.last_journal_number = 0
        self.last_journal_created = datetime(2000, 1, 1, tzinfo=UTC)
        self.batch_stamps: list[datetime] = []
        self.tracking: list[tuple[dict, list[dict]]] = []
        self.contact_names: dict[str, list[str]] | None = None  # built on first use
        self.deleted_accounts: dict[str, dict] = {}

    # -- basics ------------------------------------------------------------------------------------
    def new_id(self) -> str:
        return new_uuid(self.rng)

    def next_number(self, series: str) -> int:
        self.counters[series] = self.counters.get(series, 0) + 1
        return self.counters[series]

    def account(self, code: str) -> dict:
        """The account with this code; a deleted one still answers for older documents."""
        account = self.accounts_by_code.get(code) or self.deleted_accounts.get(code)
        if account is None:
            raise KeyError(f"no account with code {code!r}")
        return account

    def tax_rate(self, tax_type: str | None) -> Decimal:
        spec = self.taxes.get(tax_type or "")
        return spec.rate / 100 if spec else Decimal(0)

    def currency_rate(self, currency: str, day: date) -> Decimal:
        """Units of `currency` per unit of base currency on `day` (Xero's CurrencyRate)."""
        base = self.profile.base_currency
        if currency == base:
            return ONE_RATE
        wobble = Decimal(1) + Decimal((day.toordinal() * 7919) % 200 - 100) / Decimal(2000)
        return rate6(USD_RATES[currency] / USD_RATES[base] * wobble)

    # -- line items and totals ---------------------------------------------------------------------
    def build_lines(
        self, specs: list[dict], line_amount_types: str, *, keep_ids: bool = False
    ) -> tuple[list[dict], Decimal, Decimal, Decimal]:
        """Complete line items; returns (lines, sub_total, total_tax, total).

        A spec holds Description, Quantity, UnitAmount, AccountCode, TaxType and optionally
        ItemCode, Tracking, LineItemID, DiscountRate, or a LineAmount without a UnitAmount.
        """
        lines = []
        sub_total = total_tax = total = Decimal(0)
        for spec in specs:
            quantity = Decimal(spec.get("Quantity", 1) or 1).quantize(UNIT4)
            if spec.get("UnitAmount") is None and spec.get("LineAmount") is not None:
                unit = (Decimal(spec["LineAmount"]) / quantity).quantize(UNIT4)
            else:
                unit = Decimal(spec.get("UnitAmount") or 0)
                unit = unit.quantize(UNIT4 if unit.as_tuple().exponent < -2 else CENT)
            gross_line = quantity * unit
            discount = spec.get("DiscountRate")
            if discount:
                gross_line = gross_line * (Decimal(100) - Decimal(discount)) / Decimal(100)
            line_amount = money(gross_line)
            tax_type = spec.get("TaxType")
            if line_amount_types == "NoTax":
                tax_type = tax_type or self.profile.zero_tax.tax_type
            rate = Decimal(0) if line_amount_types == "NoTax" else self.tax_rate(tax_type)
            if spec.get("TaxAmount") is not None and line_amount_types != "NoTax":
                tax = money(spec["TaxAmount"])
            elif line_amount_types == "Inclusive":
                tax = money(line_amount * rate / (1 + rate))
            else:
                tax = money(line_amount * rate)
            net = line_amount - tax if line_amount_types == "Inclusive" else line_amount
            sub_total += net
            total_tax += tax
            total += net + tax
            account_code = spec.get("AccountCode")
            line = {
                "LineItemID": spec.get("LineItemID") or self.new_id(),
                "Description": spec.get("Description", ""),
                "Quantity": quantity,
                "UnitAmount": unit,
                "AccountCode": account_code,
                "TaxType": tax_type,
                "TaxAmount": tax,
                "LineAmount": line_amount,
                "Tracking": list(spec.get("Tracking") or []),
            }
            if account_code in self.accounts_by_code:
                line["AccountID"] = self.accounts_by_code[account_code]["AccountID"]
            if spec.get("ItemCode"):
                line["ItemCode"] = spec["ItemCode"]
                line["Item"] = spec.get("Item") or {"Code": spec["ItemCode"]}
            if discount:
                line["DiscountRate"] = Decimal(discount).quantize(CENT)
            lines.append(line)
        return lines, money(sub_total), money(total_tax), money(total)

    def set_lines(self, record: dict, specs: list[dict], line_amount_types: str) -> None:
        """Replace a document's LineItems and its SubTotal, TotalTax and Total."""
        lines, sub_total, total_tax, total = self.build_lines(specs, line_amount_types)
        record.update(LineItems=lines, SubTotal=sub_total, TotalTax=total_tax, Total=total)

    def line_block(
        self, specs: list[dict], line_amount_types: str, status: str, stamp: datetime, currency: str
    ) -> dict:
        """The middle of an invoice, credit note or prepayment: status, lines and totals."""
        lines, sub_total, total_tax, total = self.build_lines(specs, line_amount_types)
        return {
            "Status": status,
            "LineAmountTypes": line_amount_types,
            "LineItems": lines,
            "SubTotal": sub_total,
            "TotalTax": total_tax,
            "Total": total,
            "UpdatedDateUTC": stamp,
            "CurrencyCode": currency,
        }

    # -- journals ----------------------------------------------------------------------------------
    def post(
        self,
        created: datetime,
        journal_date: date,
        source_id: str,
        source_type: str,
        reference: str,
        lines: list[tuple[dict, Decimal, Decimal, str | None, str]],
    ) -> dict | None:
        """Record a journal. During generation it is queued (numbered at the end, in
        CreatedDateUTC order); afterwards it is numbered and stored at once."""
        entry = JournalEntry(created, journal_date, source_id, source_type, reference, lines)
        if self.pending_journals is not None:
            self.pending_journals.append(entry)
            return None
        entry.created = max(created, self.last_journal_created)
        record = self.journal_record(entry)
        self.tenant._store("Journals", record, "CREATE")
        return record

    def journal_record(self, entry: JournalEntry) -> dict:
        self.last_journal_number += 1
        self.last_journal_created = entry.created
        journal_lines = []
        for account, net, tax, tax_type, description in entry.lines:
            line = {
                "JournalLineID": self.new_id(),
                "AccountID": account["AccountID"],
                "AccountCode": account["Code"],
                "AccountType": account["Type"],
                "AccountName": account["Name"],
                "Description": description,
                "NetAmount": net,
                "GrossAmount": net + tax,
                "TaxAmount": tax,
                "TrackingCategories": [],
            }
            if tax_type:
                line["TaxType"] = tax_type
                spec = self.taxes.get(tax_type)
                if spec:
                    line["TaxName"] = spec.name
            journal_lines.append(line)
        return {
            "JournalID": self.new_id(),
            "JournalDate": entry.journal_date,
            "JournalNumber": self.last_journal_number,
            "CreatedDateUTC": entry.created,
            "Reference": entry.reference,
            "SourceID": entry.source_id,
            "SourceType": entry.source_type,
            "JournalLines": journal_lines,
        }

    def finalise_journals(self) -> Iterator[dict]:
        """Number the queued journals in CreatedDateUTC order and build their records."""
        pending = self.pending_journals or []
        self.pending_journals = None
        order = sorted(range(len(pending)), key=lambda i: (pending[i].created, i))
        for i in order:
            entry = pending[i]
            pending[i] = None  # type: ignore[call-overload]
            yield self.journal_record(entry)

    def to_base(self, amount: Decimal, rate: Decimal) -> Decimal:
        return money(amount / rate) if rate and rate != 1 else amount

    def document_journal_lines(
        self, doc: dict, control_code: str, sign: int
    ) -> list[tuple[dict, Decimal, Decimal, str | None, str]]:
        """Lines of a posted invoice/credit note/bank transaction/prepayment.

        sign=+1: the document's line accounts are credited (sales, money received) and the
        control account debited; sign=-1 the reverse.
        """
        rate = doc.get("CurrencyRate") or ONE_RATE
        out = []
        tax_total = Decimal(0)
        for line in doc["LineItems"]:
            account = self.accounts_by_code.get(line.get("AccountCode") or "")
            if account is None:
                account = self.account(SALES_ACCOUNTS[0] if sign > 0 else "429")
            tax = self.to_base(line["TaxAmount"], rate)
            if doc.get("LineAmountTypes") == "Inclusive":
                net = self.to_base(line["LineAmount"], rate) - tax
            else:
                net = self.to_base(line["LineAmount"], rate)
            tax_total += tax
            out.append(
                (account, -sign * net, -sign * tax, line.get("TaxType"), line["Description"])
            )
        if tax_total:
            out.append((self.account("820"), -sign * tax_total, ZERO, None, "Sales Tax"))
        balance = -sum((line[1] for line in out), Decimal(0))
        control = self.account(control_code)
        out.append((control, balance, ZERO, None, doc.get("Reference") or ""))
        return [line for line in out if line[1] or line[2]]

    def reverse_lines(self, lines):
        return [(a, -net, -tax, t, d) for a, net, tax, t, d in lines]

    def settlement_journal_lines(
        self,
        bank: dict,
        control_code: str,
        amount: Decimal,
        pay_rate: Decimal,
        doc_rate: Decimal,
        sign: int,
        description: str,
    ) -> list[tuple[dict, Decimal, Decimal, str | None, str]]:
        """Money in (sign=+1: Dr bank, Cr control) or out (sign=-1), with realised FX gain."""
        bank_amount = self.to_base(amount, pay_rate)
        control_amount = self.to_base(amount, doc_rate)
        lines = [
            (bank, sign * bank_amount, ZERO, None, description),
            (self.account(control_code), -sign * control_amount, ZERO, None, description),
        ]
        difference = sign * (control_amount - bank_amount)
        if difference:
            lines.append((self.account("499"), difference, ZERO, None, "Realised currency gain"))
        return lines

    # -- documents ---------------------------------------------------------------------------------
    def invoice_record(
        self,
        *,
        kind: str,
        contact: dict,
        day: date,
        due: date | None,
        status: str,
        currency: str,
        rate: Decimal,
        specs: list[dict],
        line_amount_types: str,
        number: str | None,
        reference: str,
        stamp: datetime,
        invoice_id: str | None = None,
    ) -> dict:
        block = self.line_block(specs, line_amount_types, status, stamp, currency)
        record = {
            "Type": kind,
            "InvoiceID": invoice_id or self.new_id(),
            "InvoiceNumber": number,
            "Reference": reference,
            "Payments": [],
            "CreditNotes": [],
            "Prepayments": [],
            "Overpayments": [],
            "AmountDue": block["Total"],
            "AmountPaid": ZERO,
            "AmountCredited": ZERO,
            "CurrencyRate": rate,
            "IsDiscounted": False,
            "HasAttachments": False,
            "HasErrors": False,
            "Contact": contact_ref(contact),
            "Date": day,
            "DueDate": due,
            **block,
        }
        if number is None:
            del record["InvoiceNumber"]
        if due is None:
            del record["DueDate"]
        self.refresh_invoice(record)
        return record

    def refresh_invoice(self, invoice: dict) -> None:
        """Recompute AmountPaid/AmountCredited/AmountDue, PAID <-> AUTHORISED, FullyPaidOnDate."""
        paid = sum((p["Amount"] for p in invoice["Payments"]), ZERO)
        credited = sum(
            (c["AppliedAmount"] for key in CREDIT_SUMMARIES for c in invoice[key]),
            ZERO,
        )
        invoice["AmountPaid"] = money(paid)
        invoice["AmountCredited"] = money(credited)
        status = invoice["Status"]
        if status in ("VOIDED", "DELETED"):
            invoice["AmountDue"] = ZERO
        else:
            invoice["AmountDue"] = money(invoice["Total"] - paid - credited)
        if status == "AUTHORISED" and invoice["AmountDue"] == 0 and invoice["Total"] > 0:
            invoice["Status"] = "PAID"
        elif status == "PAID" and invoice["AmountDue"] > 0:
            invoice["Status"] = "AUTHORISED"
        if invoice["Status"] == "PAID":
            dates = [p["Date"] for p in invoice["Payments"]]
            dates += [c["Date"] for key in CREDIT_SUMMARIES for c in invoice[key]]
            invoice["FullyPaidOnDate"] = max(dates) if dates else invoice["Date"]
        else:
            invoice.pop("FullyPaidOnDate", None)

    def credit_note_record(
        self,
        *,
        kind: str,
        contact: dict,
        day: date,
        status: str,
        currency: str,
        rate: Decimal,
        specs: list[dict],
        line_amount_types: str,
        reference: str,
        stamp: datetime,
        number: str | None = None,
        credit_note_id: str | None = None,
    ) -> dict:
        block = self.line_block(specs, line_amount_types, status, stamp, currency)
        if number is None:
            series = "CN" if kind == "ACCRECCREDIT" else "SCN"
            number = f"{series}-{self.next_number(series):05d}"
        return {
            "Type": kind,
            "Contact": contact_ref(contact),
            "Date": day,
            **block,
            "CreditNoteID": credit_note_id or self.new_id(),
            "CreditNoteNumber": number,
            "Reference": reference,
            "CurrencyRate": rate,
            "RemainingCredit": block["Total"] if status not in ("VOIDED", "DELETED") else ZERO,
            "Allocations": [],
            "Payments": [],
            "HasAttachments": False,
            "HasErrors": False,
        }

    def prepayment_record(
        self,
        collection: str,
        *,
        receive: bool,
        contact: dict,
        day: date,
        currency: str,
        rate: Decimal,
        amount: Decimal,
        stamp: datetime,
        bank: dict,
    ) -> dict:
        """An overpayment (NoTax, to the control account) or prepayment (taxed income/expense)."""
        overpayment = collection == "Overpayments"
        direction = "RECEIVE" if receive else "SPEND"
        if overpayment:
            specs = [
                {
                    "Description": "Overpayment",
                    "Quantity": 1,
                    "UnitAmount": amount,
                    "AccountCode": "610" if receive else "800",
                }
            ]
            line_amount_types = "NoTax"
        else:
            tax = self.profile.sales_tax if receive else self.profile.purchase_tax
            specs = [
                {
                    "Description": "Prepayment",
                    "Quantity": 1,
                    "UnitAmount": amount,
                    "AccountCode": "200" if receive else "429",
                    "TaxType": tax.tax_type,
                }
            ]
            line_amount_types = "Inclusive"
        block = self.line_block(specs, line_amount_types, "AUTHORISED", stamp, currency)
        key = CREDIT_KEYS[collection]
        record = {
            "Type": f"{direction}-{'OVERPAYMENT' if overpayment else 'PREPAYMENT'}",
            "Contact": contact_ref(contact),
            "Date": day,
            **block,
            key: self.new_id(),
            "CurrencyRate": rate,
            "RemainingCredit": block["Total"],
            "Allocations": [],
            "Payments": [],
            "HasAttachments": False,
        }
        if overpayment:
            record["Reference"] = ""
        source_type = ("AR" if receive else "AP") + ("OVERPAYMENT" if overpayment else "PREPAYMENT")
        sign = 1 if receive else -1
        if overpayment:
            lines = self.settlement_journal_lines(
                bank, "610" if receive else "800", block["Total"], rate, rate, sign, "Overpayment"
            )
        else:
            lines = self.document_journal_lines(record, bank["Code"], sign)
        self.post(stamp, day, record[key], source_type, "", lines)
        return record

    def bank_transaction_for(self, credit: dict, collection: str, bank: dict) -> dict:
        key = CREDIT_KEYS[collection]
        record = {
            "Type": credit["Type"],
            "Contact": credit["Contact"],
            "LineItems": [dict(line) for line in credit["LineItems"]],
            "BankAccount": account_ref(bank),
            "IsReconciled": True,
            "Date": credit["Date"],
            "Reference": "",
            "CurrencyCode": credit["CurrencyCode"],
            "CurrencyRate": credit["CurrencyRate"],
            "Status": "AUTHORISED",
            "LineAmountTypes": credit["LineAmountTypes"],
            "SubTotal": credit["SubTotal"],
            "TotalTax": credit["TotalTax"],
            "Total": credit["Total"],
            "BankTransactionID": self.new_id(),
            key: credit[key],
            "UpdatedDateUTC": credit["UpdatedDateUTC"],
            "HasAttachments": False,
        }
        for line in record["LineItems"]:
            line["LineItemID"] = self.new_id()
        return record

    def bank_transaction_record(
        self,
        *,
        kind: str,
        contact: dict | None,
        bank: dict,
        day: date,
        currency: str,
        rate: Decimal,
        specs: list[dict],
        line_amount_types: str,
        reference: str,
        stamp: datetime,
        is_reconciled: bool,
        bank_transaction_id: str | None = None,
    ) -> dict:
        lines, sub_total, total_tax, total = self.build_lines(specs, line_amount_types)
        record = {
            "Type": kind,
            "Contact": contact_ref(contact) if contact else None,
            "LineItems": lines,
            "BankAccount": account_ref(bank),
            "IsReconciled": is_reconciled,
            "Date": day,
            "Reference": reference,
            "CurrencyCode": currency,
            "CurrencyRate": rate,
            "Status": "AUTHORISED",
            "LineAmountTypes": line_amount_types,
            "SubTotal": sub_total,
            "TotalTax": total_tax,
            "Total": total,
            "BankTransactionID": bank_transaction_id or self.new_id(),
            "UpdatedDateUTC": stamp,
            "HasAttachments": False,
        }
        if contact is None:
            del record["Contact"]
        return record

    def transfer_pair(
        self,
        source: dict,
        target: dict,
        amount: Decimal,
        day: date,
        stamp: datetime,
        reference: str,
        *,
        is_reconciled: bool,
    ) -> list[dict]:
        """The SPEND-TRANSFER and RECEIVE-TRANSFER bank transactions of a bank transfer."""
        pair = []
        for kind, bank, other in (
            ("SPEND-TRANSFER", source, target),
            ("RECEIVE-TRANSFER", target, source),
        ):
            spec = {
                "Description": "Bank transfer",
                "Quantity": 1,
                "UnitAmount": amount,
                "AccountCode": other["Code"],
            }
            record = self.bank_transaction_record(
                kind=kind,
                contact=None,
                bank=bank,
                day=day,
                currency=bank.get("CurrencyCode") or self.profile.base_currency,
                rate=ONE_RATE,
                specs=[spec],
                line_amount_types="NoTax",
                reference=reference,
                stamp=stamp,
                is_reconciled=is_reconciled,
            )
            pair.append(record)
        return pair

    def transfer_record(
        self,
        transfer_id: str,
        pair: list[dict],
        amount: Decimal,
        stamp: datetime,
        *,
        from_reconciled: bool,
        to_reconciled: bool,
        status: str = "AUTHORISED",
    ) -> dict:
        spend, receive = pair
        return {
            "BankTransferID": transfer_id,
            "FromBankAccount": dict(spend["BankAccount"]),
            "ToBankAccount": dict(receive["BankAccount"]),
            "Amount": amount,
            "Date": spend["Date"],
            "CurrencyRate": ONE_RATE,
            "FromBankTransactionID": spend["BankTransactionID"],
            "ToBankTransactionID": receive["BankTransactionID"],
            "FromIsReconciled": from_reconciled,
            "ToIsReconciled": to_reconciled,
            "Reference": spend["Reference"],
            "HasAttachments": False,
            "CreatedDateUTC": stamp,
            "Status": status,
        }

    def manual_journal_line(
        self,
        account: dict,
        amount: Decimal,
        description: str,
        tax_type: str | None = None,
        tracking: list | None = None,
    ) -> dict:
        return {
            "LineAmount": amount,
            "AccountCode": account["Code"],
            "AccountID": account["AccountID"],
            "Description": description,
            "TaxType": tax_type or self.profile.zero_tax.tax_type,
            "TaxAmount": ZERO,
            "IsBlank": False,
            "Tracking": list(tracking or []),
        }

    def manual_journal_record(
        self,
        journal_id: str,
        narration: str,
        lines: list[dict],
        day: date,
        status: str,
        *,
        cash_basis: bool,
        line_amount_types: str = "NoTax",
    ) -> dict:
        return {
            "ManualJournalID": journal_id,
            "Narration": narration,
            "JournalLines": lines,
            "Date": day,
            "LineAmountTypes": line_amount_types,
            "Status": status,
            "ShowOnCashBasisReports": cash_basis,
            "HasAttachments": False,
        }

    # -- posting -----------------------------------------------------------------------------------
    def post_transfer(
        self, transfer: dict, source: dict, target: dict, stamp: datetime, *, reverse: bool = False
    ) -> None:
        amount = -transfer["Amount"] if reverse else transfer["Amount"]
        lines = [
            (target, amount, ZERO, None, "Bank transfer"),
            (source, -amount, ZERO, None, "Bank transfer"),
        ]
        self.post(
            stamp,
            transfer["Date"],
            transfer["BankTransferID"],
            "TRANSFER",
            transfer["Reference"],
            lines,
        )

    def post_invoice(self, invoice: dict, stamp: datetime, *, reverse: bool = False) -> None:
        sign = 1 if invoice["Type"] == "ACCREC" else -1
        control = "610" if sign > 0 else "800"
        lines = self.document_journal_lines(invoice, control, sign)
        if reverse:
            lines = self.reverse_lines(lines)
        reference = invoice.get("InvoiceNumber") or invoice.get("Reference") or ""
        self.post(stamp, invoice["Date"], invoice["InvoiceID"], invoice["Type"], reference, lines)

    def post_credit_note(self, credit: dict, stamp: datetime, *, reverse: bool = False) -> None:
        sign = -1 if credit["Type"] == "ACCRECCREDIT" else 1
        control = "610" if sign < 0 else "800"
        lines = self.document_journal_lines(credit, control, sign)
        if reverse:
            lines = self.reverse_lines(lines)
        self.post(
            stamp,
            credit["Date"],
            credit["CreditNoteID"],
            credit["Type"],
            credit["CreditNoteNumber"],
            lines,
        )

    def post_bank_transaction(
        self, record: dict, stamp: datetime, *, reverse: bool = False
    ) -> None:
        sign = 1 if record["Type"].startswith("RECEIVE") else -1
        lines = self.document_journal_lines(record, record["BankAccount"]["Code"], sign)
        if reverse:
            lines = self.reverse_lines(lines)
        source_type = "CASHREC" if sign > 0 else "CASHPAID"
        self.post(
            stamp,
            record["Date"],
            record["BankTransactionID"],
            source_type,
            record.get("Reference", ""),
            lines,
        )

    def post_manual_journal(self, record: dict, stamp: datetime, *, reverse: bool = False) -> None:
        lines = [
            (
                self.account(line["AccountCode"]),
                line["LineAmount"],
                ZERO,
                line.get("TaxType"),
                line.get("Description", ""),
            )
            for line in record["JournalLines"]
        ]
        if reverse:
            lines = self.reverse_lines(lines)
        self.post(
            stamp,
            record["Date"],
            record["ManualJournalID"],
            "MANJOURNAL",
            record.get("Narration", ""),
            lines,
        )

    # -- settlement --------------------------------------------------------------------------------
    def apply_payment(
        self,
        target: dict,
        target_kind: str,
        amount: Decimal,
        day: date,
        stamp: datetime,
        *,
        reference: str = "",
        is_reconciled: bool = False,
        bank: dict | None = None,
        rate: Decimal | None = None,
        batch_id: str | None = None,
        payment_id: str | None = None,
    ) -> dict:
        """Pay an invoice (or refund a credit note / overpayment / prepayment): returns the Payment
        record, updates the target's Payments summary and amounts, posts the journal."""
        amount = money(amount)
        currency = target["CurrencyCode"]
        doc_rate = target.get("CurrencyRate") or ONE_RATE
        if rate is None:
            rate = self.currency_rate(currency, day)
        bank = bank or bank_for(self, currency)
        bank_amount = amount if bank.get("CurrencyCode") == currency else self.to_base(amount, rate)
        kind = target["Type"]
        payment_type, control, sign = PAYMENT_TYPES[kind]
        payment = {
            "PaymentID": payment_id or self.new_id(),
            "Date": day,
            "BankAmount": bank_amount,
            "Amount": amount,
            "Reference": reference,
            "CurrencyRate": rate,
            "PaymentType": payment_type,
            "Status": "AUTHORISED",
            "UpdatedDateUTC": stamp,
            "HasAccount": True,
            "IsReconciled": is_reconciled,
            "Account": {"AccountID": bank["AccountID"], "Code": bank["Code"]},
            "HasValidationErrors": False,
        }
        if batch_id:
            payment["BatchPaymentID"] = batch_id
            payment["BatchPayment"] = {
                "Account": {"AccountID": bank["AccountID"]},
                "BatchPaymentID": batch_id,
                "Date": day,
                "Type": "PAYBATCH" if sign < 0 else "RECBATCH",
                "Status": "AUTHORISED",
                "TotalAmount": amount,
                "UpdatedDateUTC": stamp,
                "IsReconciled": is_reconciled,
            }
        summary = {
            "PaymentID": payment["PaymentID"],
            "Date": day,
            "Amount": amount,
            "CurrencyRate": rate,
            "Reference": reference,
            "HasAccount": True,
            "HasValidationErrors": False,
        }
        if target_kind == "Invoice":
            payment["Invoice"] = invoice_ref(target)
            target["Payments"].append(summary)
            self.refresh_invoice(target)
            number = target.get("InvoiceNumber") or ""
        else:
            payment[target_kind] = credit_ref(target, target_kind)
            target["Payments"].append(summary)
            target["RemainingCredit"] = money(target["RemainingCredit"] - amount)
            if target["RemainingCredit"] == 0:
                target["Status"] = "PAID"
            number = target.get("CreditNoteNumber") or ""
        lines = self.settlement_journal_lines(bank, control, amount, rate, doc_rate, sign, number)
        self.post(stamp, day, payment["PaymentID"], payment_type, reference, lines)
        return payment

    def apply_allocation(
        self,
        credit: dict,
        collection: str,
        invoice: dict,
        amount: Decimal,
        day: date,
        stamp: datetime,
        allocation_id: str | None = None,
    ) -> dict:
        """Allocate part of a credit note / overpayment / prepayment to an invoice."""
        amount = money(amount)
        key = CREDIT_KEYS[collection]
        allocation = {
            "AllocationID": allocation_id or self.new_id(),
            "Amount": amount,
            "Date": day,
            "Invoice": {
                "InvoiceID": invoice["InvoiceID"],
                "InvoiceNumber": invoice.get("InvoiceNumber", ""),
                "Payments": [],
                "CreditNotes": [],
                "Prepayments": [],
                "Overpayments": [],
                "HasErrors": False,
                "IsDiscounted": False,
                "LineItems": [],
            },
            "IsDeleted": False,
        }
        credit["Allocations"].append(allocation)
        credit["RemainingCredit"] = money(credit["RemainingCredit"] - amount)
        if credit["RemainingCredit"] == 0:
            credit["Status"] = "PAID"
        summaries = invoice[collection]
        for summary in summaries:
            if summary[key] == credit[key]:
                summary["AppliedAmount"] = money(summary["AppliedAmount"] + amount)
                break
        else:
            summary = {
                key: credit[key],
                "AppliedAmount": amount,
                "Date": credit["Date"],
                "Total": credit["Total"],
                "LineItems": [],
            }
            if collection == "CreditNotes":
                summary["CreditNoteNumber"] = credit["CreditNoteNumber"]
                summary["HasErrors"] = False
            summaries.append(summary)
        self.refresh_invoice(invoice)
        return allocation

    def refresh_bank_accounts(self) -> None:
        self.bank_accounts = [
            a
            for a in self.accounts_by_code.values()
            if a["Type"] == "BANK"
            and a.get("BankAccountType") == "BANK"
            and a.get("CurrencyCode") == self.profile.base_currency
            and a["Status"] == "ACTIVE"
        ] or self.bank_accounts

    def payment_reversal_lines(self, payment: dict, target: dict):
        _, control, sign = PAYMENT_TYPES[target["Type"]]
        bank = (
            self.accounts_by_code.get(payment["Account"].get("Code") or "") or self.bank_accounts[0]
        )
        lines = self.settlement_journal_lines(
            bank,
            control,
            payment["Amount"],
            payment["CurrencyRate"],
            target.get("CurrencyRate") or ONE_RATE,
            sign,
            "Payment deleted",
        )
        return self.reverse_lines(lines)

    def remove_allocation(self, credit: dict, collection: str, allocation: dict, invoices) -> None:
        allocation["IsDeleted"] = True
        credit["Allocations"] = [a for a in credit["Allocations"] if a is not allocation] + [
            allocation
        ]
        credit["RemainingCredit"] = money(credit["RemainingCredit"] + allocation["Amount"])
        if credit["Status"] == "PAID" and credit["RemainingCredit"] > 0:
            credit["Status"] = "AUTHORISED"

    def unapply_from_invoice(
        self, invoice: dict, collection: str, credit: dict, amount: Decimal
    ) -> None:
        key = CREDIT_KEYS[collection]
        kept = []
        for summary in invoice[collection]:
            if summary[key] == credit[key]:
                summary["AppliedAmount"] = money(summary["AppliedAmount"] - amount)
                if summary["AppliedAmount"] <= 0:
                    continue
            kept.append(summary)
        invoice[collection] = kept
        self.refresh_invoice(invoice)


def bank_for(ledger: Ledger, currency: str) -> dict:
    """The bank account a payment in `currency` goes through."""
    return ledger.foreign_bank.get(currency) or ledger.bank_accounts[0]
