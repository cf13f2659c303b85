"""Deterministic generation of Xero organisations, and the bookkeeping rules both generation and
the sandbox's writes follow (document totals, payments, allocations, journals).

Everything is derived from (seed, tenant index) and the anchor date: the same inputs give the
same records, byte for byte. Document dates lie before the anchor; every timestamp lies before
the anchor's midnight (UTC), so writes made later through the clock come after them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.model import Sandbox, Tenant

CENT = Decimal("0.01")
UNIT4 = Decimal("0.0001")
RATE6 = Decimal("0.000001")
ZERO = Decimal("0.00")
ONE_RATE = Decimal("1.000000")

SCALE_ROWS = {"small": None, "medium": 50_000, "large": 1_100_000}
SMALL_ROWS_PER_TENANT = 420
# top-level rows per invoice, over all collections (measured on generated data)
ROWS_PER_INVOICE = 4.3


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def rate6(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(RATE6, rounding=ROUND_HALF_UP)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# Organisation profiles (config as data)
# --------------------------------------------------------------------------------------------
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


PROFILES: tuple[OrgProfile, ...] = (
    OrgProfile(
        "Harbour Bridge Trading",
        "Harbour Bridge Trading Pty Ltd",
        "AUD",
        "Australia/Sydney",
        "AUSEASTERNSTANDARDTIME",
        "AU",
        "AU",
        ("USD", "NZD", "EUR"),
        TaxSpec("OUTPUT", "GST on Income", Decimal("10.0000"), "OUTPUT", "sales"),
        TaxSpec("INPUT", "GST on Expenses", Decimal("10.0000"), "INPUT", "purchases"),
        TaxSpec("EXEMPTOUTPUT", "GST Free Income", Decimal("0.0000"), "EXEMPTOUTPUT", "both"),
        (TaxSpec("BASEXCLUDED", "BAS Excluded", Decimal("0.0000"), "BASEXCLUDED", "both"),),
        "Sydney",
        "NSW",
        "2000",
        "51 824 753 556",
    ),
    OrgProfile(
        "Kōwhai Design Studio",
        "Kōwhai Design Studio Limited",
        "NZD",
        "Pacific/Auckland",
        "NEWZEALANDSTANDARDTIME",
        "NZ",
        "NZ",
        ("AUD", "USD"),
        TaxSpec("OUTPUT2", "15% GST on Income", Decimal("15.0000"), "OUTPUT", "sales"),
        TaxSpec("INPUT2", "15% GST on Expenses", Decimal("15.0000"), "INPUT", "purchases"),
        TaxSpec("NONE", "No GST", Decimal("0.0000"), "NONE", "both"),
        (TaxSpec("ZERORATED", "Zero Rated", Decimal("0.0000"), "ZERORATEDOUTPUT", "sales"),),
        "Auckland",
        "",
        "1010",
        "123-456-789",
        "PAYMENTS",
        "TWOMONTHS",
        (31, 3),
    ),
    OrgProfile(
        "Thames & Tweed Supplies",
        "Thames & Tweed Supplies Ltd",
        "GBP",
        "Europe/London",
        "GMTSTANDARDTIME",
        "GB",
        "UK",
        ("EUR", "USD"),
        TaxSpec("OUTPUT2", "20% (VAT on Income)", Decimal("20.0000"), "OUTPUT", "sales"),
        TaxSpec("INPUT2", "20% (VAT on Expenses)", Decimal("20.0000"), "INPUT", "purchases"),
        TaxSpec("NONE", "No VAT", Decimal("0.0000"), "NONE", "both"),
        (TaxSpec("RROUTPUT", "5% (VAT on Income)", Decimal("5.0000"), "OUTPUT", "sales"),),
        "London",
        "",
        "EC1A 1BB",
        "GB123456789",
        "ACCRUAL",
        "QUARTERLY1",
        (31, 3),
    ),
    OrgProfile(
        "Prairie Lantern Co",
        "Prairie Lantern Co LLC",
        "USD",
        "America/Chicago",
        "CENTRALSTANDARDTIME",
        "US",
        "US",
        ("CAD", "EUR", "MXN"),
        TaxSpec("TAX001", "Sales Tax", Decimal("8.2500"), "OUTPUT", "sales"),
        TaxSpec("INPUT", "Tax on Purchases", Decimal("0.0000"), "INPUT", "purchases"),
        TaxSpec("NONE", "Tax Exempt", Decimal("0.0000"), "NONE", "both"),
        (),
        "Chicago",
        "IL",
        "60601",
        "12-3456789",
        "ACCRUAL",
        "MONTHLY",
        (31, 12),
    ),
    OrgProfile(
        "Maple Ridge Outfitters",
        "Maple Ridge Outfitters Inc.",
        "CAD",
        "America/Toronto",
        "EASTERNSTANDARDTIME",
        "CA",
        "GLOBAL",
        ("USD", "GBP"),
        TaxSpec("OUTPUT", "GST/HST on Sales", Decimal("13.0000"), "OUTPUT", "sales"),
        TaxSpec("INPUT", "GST/HST on Purchases", Decimal("13.0000"), "INPUT", "purchases"),
        TaxSpec("NONE", "No Tax", Decimal("0.0000"), "NONE", "both"),
        (),
        "Toronto",
        "ON",
        "M5H 2N2",
        "123456789RT0001",
    ),
    OrgProfile(
        "Merlion Logistics",
        "Merlion Logistics Pte. Ltd.",
        "SGD",
        "Asia/Singapore",
        "SINGAPORESTANDARDTIME",
        "SG",
        "GLOBAL",
        ("USD", "AUD", "JPY"),
        TaxSpec("OUTPUT", "GST on Sales", Decimal("9.0000"), "OUTPUT", "sales"),
        TaxSpec("INPUT", "GST on Purchases", Decimal("9.0000"), "INPUT", "purchases"),
        TaxSpec("NONE", "No GST", Decimal("0.0000"), "NONE", "both"),
        (),
        "Singapore",
        "",
        "018956",
        "201912345K",
    ),
)

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
CURRENCY_NAMES = {
    "USD": "United States Dollar",
    "AUD": "Australian Dollar",
    "NZD": "New Zealand Dollar",
    "GBP": "British Pound",
    "EUR": "Euro",
    "CAD": "Canadian Dollar",
    "MXN": "Mexican Peso",
    "SGD": "Singapore Dollar",
    "JPY": "Japanese Yen",
}

# (code, name, type, system account, bank account type) -- a typical Xero chart
CHART: tuple[tuple[str, str, str, str | None], ...] = (
    ("090", "Business Bank Account", "BANK", None),
    ("091", "Business Savings Account", "BANK", None),
    ("200", "Sales", "REVENUE", None),
    ("260", "Other Revenue", "REVENUE", None),
    ("270", "Interest Income", "REVENUE", None),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", None),
    ("400", "Advertising", "EXPENSE", None),
    ("404", "Bank Fees", "EXPENSE", None),
    ("408", "Cleaning", "EXPENSE", None),
    ("412", "Consulting & Accounting", "EXPENSE", None),
    ("420", "Entertainment", "EXPENSE", None),
    ("425", "Freight & Courier", "EXPENSE", None),
    ("429", "General Expenses", "EXPENSE", None),
    ("433", "Insurance", "EXPENSE", None),
    ("445", "Light, Power, Heating", "EXPENSE", None),
    ("461", "Printing & Stationery", "EXPENSE", None),
    ("469", "Rent", "EXPENSE", None),
    ("473", "Repairs and Maintenance", "EXPENSE", None),
    ("485", "Subscriptions", "EXPENSE", None),
    ("489", "Telephone & Internet", "EXPENSE", None),
    ("493", "Travel - National", "EXPENSE", None),
    ("494", "Travel - International", "EXPENSE", None),
    ("497", "Bank Revaluations", "EXPENSE", "BANKCURRENCYGAIN"),
    ("498", "Unrealised Currency Gains", "EXPENSE", "UNREALISEDCURRENCYGAIN"),
    ("499", "Realised Currency Gains", "EXPENSE", "REALISEDCURRENCYGAIN"),
    ("610", "Accounts Receivable", "CURRENT", "DEBTORS"),
    ("620", "Prepayments", "CURRENT", None),
    ("630", "Inventory", "INVENTORY", None),
    ("710", "Office Equipment", "FIXED", None),
    ("720", "Computer Equipment", "FIXED", None),
    ("800", "Accounts Payable", "CURRLIAB", "CREDITORS"),
    ("801", "Unpaid Expense Claims", "CURRLIAB", "UNPAIDEXPCLM"),
    ("820", "Sales Tax", "CURRLIAB", "GST"),
    ("840", "Historical Adjustment", "CURRLIAB", "HISTORICAL"),
    ("860", "Rounding", "CURRLIAB", "ROUNDING"),
    ("877", "Tracking Transfers", "CURRLIAB", "TRACKINGTRANSFERS"),
    ("900", "Loan", "TERMLIAB", None),
    ("960", "Retained Earnings", "EQUITY", "RETAINEDEARNINGS"),
    ("970", "Owner A Funds Introduced", "EQUITY", None),
    ("980", "Owner A Drawings", "EQUITY", None),
)
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
PURCHASE_ACCOUNTS = ("310", "400", "408", "412", "425", "429", "433", "445", "461", "469", "489")
SPEND_ACCOUNTS = ("404", "420", "429", "461", "485", "489", "493", "494")

# Contact names in several scripts; Latin names are also built from the word lists below.
INTERNATIONAL_NAMES = (
    "Café Zürich GmbH",
    "Ångström Łódź Sp. z o.o.",
    "Société d'Études Bérénice",
    "Peña & Muñoz S.L.",
    "Đặng Nguyễn Trading",
    "Ørsted Bygg AS",
    "Bäckerei Müller & Söhne",
    "Crème Brûlée Pâtisserie",
    "São João Exportadora Ltda",
    "Žižkov Dílna s.r.o.",
    "ООО «Ромашка»",
    "Иванов и Партнёры",
    "Торговый дом Север",
    "Αθηναϊκή Εμπορική Α.Ε.",
    "Ελληνικά Τρόφιμα Ο.Ε.",
    "株式会社山田商事",
    "北京星光科技有限公司",
    "서울무역 주식회사",
    "شركة النور للتجارة",
    "مؤسسة الخليج للمقاولات",
)
NAME_FIRST = (
    "Blue",
    "Harbour",
    "Summit",
    "Golden",
    "Silver",
    "Northern",
    "Coastal",
    "Red",
    "Evergreen",
    "Iron",
    "Maple",
    "Cedar",
    "Granite",
    "Lakeside",
    "Sunrise",
    "Pioneer",
)
NAME_SECOND = (
    "Fern",
    "Anchor",
    "Ridge",
    "Valley",
    "River",
    "Forge",
    "Lantern",
    "Meadow",
    "Harvest",
    "Compass",
    "Beacon",
    "Orchard",
)
NAME_SUFFIX = (
    "Traders",
    "Holdings",
    "Supplies",
    "Consulting",
    "Logistics",
    "Bakery",
    "Electrical",
    "Plumbing",
    "Studios",
    "Partners",
    "Co",
    "Group",
)
FIRST_NAMES = (
    "Amelia",
    "Noah",
    "Olivia",
    "Liam",
    "Aroha",
    "Mateo",
    "Zoë",
    "Chloé",
    "Søren",
    "Yuki",
)
LAST_NAMES = ("Smith", "Ngata", "García", "Müller", "O'Brien", "Nguyen", "Kowalski", "Dubois")
PRODUCT_WORDS = (
    (
        "Consulting hours",
        "Design retainer",
        "Site visit",
        "Annual support plan",
        "Training session",
    ),
    ("Widget", "Gasket", "Cable", "Lantern", "Valve", "Bracket", "Panel", "Sensor"),
)

INVOICE_STATUS_CYCLE = (
    "PAID",
    "AUTHORISED",
    "PAID",
    "DRAFT",
    "PAID",
    "AUTHORISED",
    "PAID",
    "VOIDED",
    "PAID",
    "AUTHORISED",
    "SUBMITTED",
    "PAID",
    "AUTHORISED",
    "DELETED",
    "PAID",
    "AUTHORISED",
    "PAID",
    "AUTHORISED",
    "PAID",
    "AUTHORISED",
)
BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")
# days overdue at the anchor for each bucket (inclusive ranges)
BUCKET_DAYS = {
    "current": (-30, 0),
    "1_30": (1, 30),
    "31_60": (31, 60),
    "61_90": (61, 90),
    "over_90": (91, 600),
}
HISTORY_DAYS = 730
# collections whose generated records are final when emitted
STORED_AT_ONCE = (
    "Invoices",
    "Payments",
    "Journals",
    "BankTransactions",
    "BankTransfers",
    "BatchPayments",
    "CreditNotes",
    "Overpayments",
    "Prepayments",
    "ManualJournals",
    "Quotes",
    "PurchaseOrders",
    "Receipts",
    "ExpenseClaims",
    "LinkedTransactions",
)


def below(rng: random.Random, n: int) -> int:
    """0 <= k < n (faster than randrange; the generator only needs determinism)."""
    return int(rng.random() * n)


def randint(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def pick(rng: random.Random, options):
    return options[int(rng.random() * len(options))]


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


# --------------------------------------------------------------------------------------------
# The ledger: per-tenant bookkeeping state and rules
# --------------------------------------------------------------------------------------------
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

    def __init__(self, tenant: Tenant, profile: OrgProfile, rng: random.Random, anchor: date):
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
        bank = bank or _bank_for(self, currency)
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


def _bank_for(ledger: Ledger, currency: str) -> dict:
    return ledger.foreign_bank.get(currency) or ledger.bank_accounts[0]


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------
def rows_per_tenant(scale: str | int, tenants: int) -> list[int]:
    if isinstance(scale, int):
        total = scale
    elif scale == "small":
        return [SMALL_ROWS_PER_TENANT] * tenants
    elif scale in SCALE_ROWS:
        total = SCALE_ROWS[scale]
    else:
        raise ValueError(f"unknown scale {scale!r}: small, medium, large or an int")
    share = max(total // max(tenants, 1), 150)
    return [share] * tenants


def generate_sandbox(sandbox: Sandbox, tenants: int, scale: str | int, seed: int, anchor: date):
    from sandbox.model import Tenant

    if tenants < 1:
        raise ValueError("a sandbox needs at least one tenant")
    for index, rows in enumerate(rows_per_tenant(scale, tenants)):
        rng = random.Random(f"xero-sandbox:{seed}:{index}")
        profile = PROFILES[index % len(PROFILES)]
        name = (
            profile.name
            if index < len(PROFILES)
            else f"{profile.name} {index // len(PROFILES) + 1}"
        )
        tenant = Tenant(
            sandbox,
            tenant_id=new_uuid(rng),
            name=name,
            base_currency=profile.base_currency,
            timezone=profile.timezone,
            connection_id=new_uuid(rng),
            profile=profile,
        )
        TenantGenerator(tenant, profile, rng, anchor, rows).run()
        sandbox.add_tenant(tenant)


class TenantGenerator:
    """Fills one tenant's collections."""

    def __init__(
        self, tenant: Tenant, profile: OrgProfile, rng: random.Random, anchor: date, rows: int
    ):
        self.tenant = tenant
        self.profile = profile
        self.rng = rng
        self.anchor = anchor
        self.rows = rows
        self.ledger = Ledger(tenant, profile, rng, anchor)
        tenant.ledger = self.ledger
        self.out: dict[str, list[dict]] = {}
        self.last_day = anchor - timedelta(days=1)
        self.first_day = anchor - timedelta(days=HISTORY_DAYS)
        self.horizon = midnight(anchor) - timedelta(seconds=1)
        self.customers: list[dict] = []
        self.suppliers: list[dict] = []
        self.items: list[dict] = []
        self.invoice_count = max(int(rows / ROWS_PER_INVOICE), 60)
        self.last_sale: dict | None = None

    # -- helpers -----------------------------------------------------------------------------------
    def emit(self, collection: str, record: dict) -> dict:
        """Hand a finished record over. Transactions are stored at once (compactly); settings
        and contacts stay as dicts until the end of the run, as later steps still edit them."""
        if collection in STORED_AT_ONCE:
            self.tenant.collection(collection)._append(record)
        else:
            self.out.setdefault(collection, []).append(record)
        return record

    def currency_of(self, contact: dict) -> str:
        return contact.get("DefaultCurrency", self.profile.base_currency)

    def day_between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=randint(self.rng, 0, (end - start).days))

    def stamp(self, day: date, *, late: bool = False) -> datetime:
        """A timestamp during `day` (business hours UTC), never past the horizon."""
        seconds = randint(self.rng, 6 * 3600, (22 if late else 18) * 3600)
        value = midnight(day) + timedelta(seconds=seconds, milliseconds=randint(self.rng, 0, 999))
        return min(value, self.horizon)

    def updated(self, stamp: datetime) -> datetime:
        """Some records were touched by a bulk update: they share one second (cursor edges)."""
        if self.ledger.batch_stamps and self.rng.random() < 0.06:
            for batch in self.ledger.batch_stamps:
                if batch >= stamp:
                    return batch if self.rng.random() < 0.5 else batch.replace(microsecond=737000)
        return stamp

    def money_amount(self, low: int, high: int) -> Decimal:
        return money(Decimal(randint(self.rng, low * 100, high * 100)) / 100)

    # -- the run -----------------------------------------------------------------------------------
    def run(self) -> None:
        # bulk updates that touched many records at once, spread over the history
        self.ledger.batch_stamps = sorted(
            midnight(self.anchor - timedelta(days=d)) + timedelta(hours=3)
            for d in (600, 400, 200, 90, 30, 5)
        )
        self.organisation()
        self.settings()
        self.accounts()
        self.contacts()
        self.items_()
        self.budgets()
        self.documents()
        self.emit_journals()
        for name, records in self.out.items():
            self.tenant.collection(name)._bulk_load(records)
        self.out = {}
        for name in STORED_AT_ONCE:
            self.tenant.collection(name)._sort()

    # -- settings ----------------------------------------------------------------------------------
    def organisation(self) -> None:
        p = self.profile
        created = self.stamp(self.first_day - timedelta(days=400))
        self.emit(
            "Organisations",
            {
                "OrganisationID": self.tenant.tenant_id,
                "APIKey": "",
                "Name": self.tenant.name,
                "LegalName": p.legal_name,
                "PaysTax": True,
                "Version": p.version,
                "OrganisationType": "COMPANY",
                "BaseCurrency": p.base_currency,
                "CountryCode": p.country,
                "IsDemoCompany": False,
                "OrganisationStatus": "ACTIVE",
                "RegistrationNumber": p.tax_number,
                "TaxNumber": p.tax_number,
                "FinancialYearEndDay": p.financial_year_end[0],
                "FinancialYearEndMonth": p.financial_year_end[1],
                "SalesTaxBasis": p.sales_tax_basis,
                "SalesTaxPeriod": p.sales_tax_period,
                "DefaultSalesTax": "Tax Exclusive",
                "DefaultPurchasesTax": "Tax Inclusive",
                "PeriodLockDate": self.first_day - timedelta(days=1),
                "EndOfYearLockDate": self.first_day - timedelta(days=1),
                "CreatedDateUTC": created,
                "OrganisationEntityType": "COMPANY",
                "Timezone": p.xero_timezone,
                "ShortCode": "!"
                + "".join(pick(self.rng, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(5)),
                "Class": "PREMIUM",
                "Edition": "BUSINESS",
                "LineOfBusiness": "Wholesale trade",
                "Addresses": [
                    {
                        "AddressType": "STREET",
                        "AddressLine1": "1 Market Street",
                        "City": p.city,
                        "Region": p.region,
                        "PostalCode": p.postcode,
                        "Country": p.country,
                    }
                ],
                "Phones": [{"PhoneType": "OFFICE", "PhoneNumber": "5550100"}],
                "ExternalLinks": [],
                "PaymentTerms": {
                    "Bills": {"Day": 20, "Type": "OFFOLLOWINGMONTH"},
                    "Sales": {"Day": 30, "Type": "DAYSAFTERBILLDATE"},
                },
            },
        )

    def settings(self) -> None:
        p = self.profile
        ledger = self.ledger
        base_day = self.first_day - timedelta(days=30)
        for code in (p.base_currency, *p.foreign_currencies):
            self.emit("Currencies", {"Code": code, "Description": CURRENCY_NAMES[code]})
        for spec in (p.sales_tax, p.purchase_tax, p.zero_tax, *p.extra_taxes):
            if spec.tax_type in ledger.taxes:
                continue
            ledger.taxes[spec.tax_type] = spec
            self.emit(
                "TaxRates",
                {
                    "Name": spec.name,
                    "TaxType": spec.tax_type,
                    "ReportTaxType": spec.report_type,
                    "CanApplyToAssets": True,
                    "CanApplyToEquity": True,
                    "CanApplyToExpenses": spec.applies_to != "sales",
                    "CanApplyToLiabilities": True,
                    "CanApplyToRevenue": spec.applies_to != "purchases",
                    "DisplayTaxRate": spec.rate,
                    "EffectiveRate": spec.rate,
                    "Status": "ACTIVE",
                    "TaxComponents": [
                        {
                            "Name": spec.name.split(" ")[0],
                            "Rate": spec.rate,
                            "IsCompound": False,
                            "IsNonRecoverable": False,
                        }
                    ],
                },
            )
        # users
        for first, last, role, subscriber in (
            ("Amelia", "Hart", "FINANCIALADVISER", True),
            ("Noah", "Tāwhiri", "STANDARD", False),
            ("Chloé", "Lefèvre", "READONLY", False),
            ("Kenji", "Watanabe", "INVOICEONLY", False),
        ):
            self.emit(
                "Users",
                {
                    "UserID": ledger.new_id(),
                    "EmailAddress": f"{first.lower()}.{last.lower()}@example.com",
                    "FirstName": first,
                    "LastName": last,
                    "UpdatedDateUTC": self.stamp(self.day_between(base_day, self.last_day)),
                    "IsSubscriber": subscriber,
                    "OrganisationRole": role,
                },
            )
        # tracking categories with options (one archived option, one archived category)
        for name, options, status in (
            ("Region", ("North", "South", "East", "West", "Online"), "ACTIVE"),
            ("Department", ("Sales", "Operations", "Admin"), "ACTIVE"),
            ("Legacy Project", ("Alpha", "Beta"), "ARCHIVED"),
        ):
            category_id = ledger.new_id()
            opts = [
                {
                    "TrackingOptionID": ledger.new_id(),
                    "Name": option,
                    "Status": "ARCHIVED"
                    if (status == "ARCHIVED" or option == "East")
                    else "ACTIVE",
                    "TrackingCategoryID": category_id,
                }
                for option in options
            ]
            category = {
                "TrackingCategoryID": category_id,
                "Name": name,
                "Status": status,
                "Options": opts,
            }
            self.emit("TrackingCategories", category)
            if status == "ACTIVE":
                ledger.tracking.append((category, [o for o in opts if o["Status"] == "ACTIVE"]))
        for order, name in enumerate(("Standard", "Special projects", "Very orange invoice!")):
            self.emit(
                "BrandingThemes",
                {
                    "BrandingThemeID": ledger.new_id(),
                    "Name": name,
                    "LogoUrl": f"https://in.xero.com/logo?id={order}" if order else None,
                    "Type": "INVOICE",
                    "SortOrder": order,
                    "CreatedDateUTC": self.stamp(base_day - timedelta(days=order)),
                },
            )
        for record in self.out["BrandingThemes"]:
            if record["LogoUrl"] is None:
                del record["LogoUrl"]
        self.emit("InvoiceReminders", {"Enabled": self.rng.random() < 0.7})
        for action, allowed in (
            ("UseMulticurrency", True),
            ("EnableVisualRecordKeeping", False),
            ("CreateApprovedInvoice", True),
            ("ApproveInvoices", True),
            ("PayInvoices", True),
            ("CreateBankTransaction", True),
            ("ViewReports", True),
            ("ManageUsers", False),
        ):
            self.emit(
                "Actions", {"Name": action, "Status": "ALLOWED" if allowed else "NOT-ALLOWED"}
            )
        for name, kind in (
            ("Stripe", "Stripe"),
            ("PayPal", "PayPal"),
            ("Custom pay link", "Custom"),
        ):
            self.emit(
                "PaymentServices",
                {
                    "PaymentServiceID": ledger.new_id(),
                    "PaymentServiceName": name,
                    "PaymentServiceUrl": f"https://pay.example.com/{kind.lower()}?invoice=[INVOICENUMBER]",
                    "PayNowText": "Pay now",
                    "PaymentServiceType": kind,
                },
            )

    def accounts(self) -> None:
        ledger = self.ledger
        p = self.profile
        chart = list(CHART)
        for currency in p.foreign_currencies[:1]:
            chart.insert(2, ("092", f"{currency} Business Account", "BANK", None))
        for code, name, kind, system in chart:
            account = {
                "AccountID": ledger.new_id(),
                "Code": code,
                "Name": name,
                "Status": "ACTIVE",
                "Type": kind,
                "TaxType": self._account_tax(kind),
                "Class": ACCOUNT_CLASS[kind],
                "EnablePaymentsToAccount": kind == "BANK",
                "ShowInExpenseClaims": kind == "EXPENSE",
                "ReportingCode": f"{ACCOUNT_CLASS[kind][:3]}.{code}",
                "ReportingCodeName": name,
                "HasAttachments": False,
                "UpdatedDateUTC": self.stamp(self.day_between(self.first_day, self.last_day)),
                "AddToWatchlist": code in ("090", "610", "800"),
            }
            if kind == "BANK":
                account["BankAccountNumber"] = "-".join(
                    str(randint(self.rng, low, low * 10 - 1)) for low in (10, 1000, 1000000)
                )
                account["BankAccountType"] = "BANK"
                account["CurrencyCode"] = p.base_currency
                if code == "092":
                    account["CurrencyCode"] = p.foreign_currencies[0]
                    ledger.foreign_bank[p.foreign_currencies[0]] = account
                else:
                    ledger.bank_accounts.append(account)
            if system:
                account["SystemAccount"] = system
            if kind in ("EXPENSE", "REVENUE"):
                account["Description"] = f"{name} ({ACCOUNT_CLASS[kind].lower()})"
            ledger.accounts_by_code[code] = account
            self.emit("Accounts", account)
        # an archived account and a credit card account
        for code, name, kind, status in (
            ("450", "Freight (old)", "EXPENSE", "ARCHIVED"),
            ("095", "Company Credit Card", "BANK", "ACTIVE"),
        ):
            account = {
                "AccountID": ledger.new_id(),
                "Code": code,
                "Name": name,
                "Status": status,
                "Type": kind,
                "TaxType": self._account_tax(kind),
                "Class": ACCOUNT_CLASS[kind],
                "EnablePaymentsToAccount": False,
                "ShowInExpenseClaims": False,
                "HasAttachments": False,
                "UpdatedDateUTC": self.stamp(self.day_between(self.first_day, self.last_day)),
                "AddToWatchlist": False,
            }
            if kind == "BANK":
                account["BankAccountType"] = "CREDITCARD"
                account["BankAccountNumber"] = "4111"
                account["CurrencyCode"] = p.base_currency
            ledger.accounts_by_code[code] = account
            self.emit("Accounts", account)

    def _account_tax(self, kind: str) -> str:
        p = self.profile
        if kind in ("REVENUE", "SALES"):
            return p.sales_tax.tax_type
        if kind in ("EXPENSE", "DIRECTCOSTS", "OVERHEADS", "FIXED", "INVENTORY"):
            return p.purchase_tax.tax_type
        return p.zero_tax.tax_type

    # -- contacts and items ------------------------------------------------------------------------
    def contacts(self) -> None:
        ledger = self.ledger
        p = self.profile
        count = max(24, self.invoice_count // 12)
        used: set[str] = set()
        group_members: dict[int, list[dict]] = {0: [], 1: [], 2: []}
        for n in range(count):
            if n < len(INTERNATIONAL_NAMES) and n % 2 == 0 or n < 6:
                name = INTERNATIONAL_NAMES[(n * 7) % len(INTERNATIONAL_NAMES)]
            else:
                name = " ".join(
                    (
                        pick(self.rng, NAME_FIRST),
                        pick(self.rng, NAME_SECOND),
                        pick(self.rng, NAME_SUFFIX),
                    )
                )
            base_name, k = name, 1
            while name in used:
                k += 1
                name = f"{base_name} ({k})"
            used.add(name)
            is_customer = n % 3 != 2
            is_supplier = n % 3 != 0
            foreign = n % 7 == 3 and p.foreign_currencies
            currency = (
                p.foreign_currencies[(n // 7) % len(p.foreign_currencies)]
                if foreign
                else p.base_currency
            )
            first, last = pick(self.rng, FIRST_NAMES), pick(self.rng, LAST_NAMES)
            archived = n % 17 == 11
            stamp = self.stamp(self.day_between(self.first_day, self.last_day))
            contact = {
                "ContactID": ledger.new_id(),
                "ContactNumber": f"C{n + 1:05d}" if n % 4 else None,
                "AccountNumber": f"ACC-{n + 1:04d}" if n % 5 == 0 else None,
                "ContactStatus": "ARCHIVED" if archived else "ACTIVE",
                "Name": name,
                "FirstName": first,
                "LastName": last,
                "EmailAddress": f"{first.lower()}.{n}@example.org".replace("ë", "e")
                .replace("é", "e")
                .replace("ø", "o"),
                "BankAccountDetails": f"{randint(self.rng, 10, 99)}-{randint(self.rng, 1000, 9999)}"
                if is_supplier
                else "",
                "TaxNumber": f"{randint(self.rng, 10**8, 10**9 - 1)}" if n % 3 == 0 else None,
                "AccountsReceivableTaxType": p.sales_tax.tax_type if is_customer else None,
                "AccountsPayableTaxType": p.purchase_tax.tax_type if is_supplier else None,
                "Addresses": [
                    {
                        "AddressType": "POBOX",
                        "AddressLine1": f"PO Box {100 + n}",
                        "City": p.city,
                        "Region": p.region,
                        "PostalCode": p.postcode,
                        "Country": p.country,
                    },
                    {"AddressType": "STREET"},
                ],
                "Phones": [
                    {
                        "PhoneType": "DEFAULT",
                        "PhoneNumber": f"555{n:04d}",
                        "PhoneAreaCode": "02",
                        "PhoneCountryCode": "61",
                    },
                    {"PhoneType": "DDI"},
                    {"PhoneType": "FAX"},
                    {"PhoneType": "MOBILE"},
                ],
                "UpdatedDateUTC": self.updated(stamp),
                "ContactGroups": [],
                "IsSupplier": is_supplier,
                "IsCustomer": is_customer,
                "DefaultCurrency": currency,
                "ContactPersons": (
                    [
                        {
                            "FirstName": pick(self.rng, FIRST_NAMES),
                            "LastName": last,
                            "EmailAddress": f"accounts.{n}@example.org",
                            "IncludeInEmails": True,
                        }
                    ]
                    if n % 4 == 1
                    else []
                ),
                "HasAttachments": False,
                "HasValidationErrors": False,
            }
            if is_customer:
                contact["SalesDefaultAccountCode"] = "200"
                contact["PaymentTerms"] = {
                    "Sales": {"Day": (7, 14, 30)[n % 3], "Type": "DAYSAFTERBILLDATE"}
                }
            if is_supplier:
                contact["PurchasesDefaultAccountCode"] = PURCHASE_ACCOUNTS[
                    n % len(PURCHASE_ACCOUNTS)
                ]
            contact.update(self.contact_extras(n, contact))
            for key in [k for k, v in contact.items() if v is None]:
                del contact[key]
            if n % 6 == 0:
                group_members[n % 3].append(contact)
            self.emit("Contacts", contact)
            if is_customer:
                self.customers.append(contact)
            if is_supplier:
                self.suppliers.append(contact)
        for index, (name, status) in enumerate(
            (("Preferred customers", "ACTIVE"), ("Wholesale", "ACTIVE"), ("Old list", "DELETED"))
        ):
            group_id = ledger.new_id()
            members = group_members.get(index, []) if status == "ACTIVE" else []
            for member in members:
                member["ContactGroups"].append(
                    {"ContactGroupID": group_id, "Name": name, "Status": status, "Contacts": []}
                )
            self.emit(
                "ContactGroups",
                {
                    "ContactGroupID": group_id,
                    "Name": name,
                    "Status": status,
                    "Contacts": [{"ContactID": m["ContactID"], "Name": m["Name"]} for m in members],
                },
            )

    def contact_extras(self, n: int, contact: dict) -> dict:
        """The read-only contact fields Xero's examples show: website, discount, branding
        theme and the bank details for batch payments (drawn from `n`, not the random stream)."""
        extras: dict = {}
        if n % 3 == 0:
            slug = "".join(c for c in contact["Name"].lower() if c.isascii() and c.isalnum())
            extras["Website"] = f"https://www.{slug or 'contact'}.example"
        if contact["IsCustomer"]:
            theme = self.out["BrandingThemes"][n % 2]
            extras["BrandingTheme"] = {
                "BrandingThemeID": theme["BrandingThemeID"],
                "Name": theme["Name"],
            }
            if n % 5 == 1:
                extras["Discount"] = money((n % 4 + 1) * Decimal("2.50"))
        if contact["IsSupplier"]:
            extras["BatchPayments"] = {
                "BankAccountNumber": contact["BankAccountDetails"],
                "BankAccountName": contact["Name"][:30],
                "Details": f"Supplier {n + 1}",
                "Code": "",
                "Reference": "",
            }
        return extras

    def items_(self) -> None:
        ledger = self.ledger
        p = self.profile
        count = max(12, min(400, self.invoice_count // 40))
        for n in range(count):
            words = PRODUCT_WORDS[n % 2]
            name = f"{words[n % len(words)]} {n // len(words) + 1}"
            four_dp = n % 5 == 1
            price = Decimal(randint(self.rng, 500, 90000)) / (10000 if four_dp else 100)
            price = price.quantize(UNIT4 if four_dp else CENT)
            tracked = n % 6 == 2
            item = {
                "ItemID": ledger.new_id(),
                "Code": f"ITM-{n + 1:03d}",
                "Name": name,
                "Description": f"{name} (sales)",
                "PurchaseDescription": f"{name} (purchase)",
                "IsSold": True,
                "IsPurchased": n % 4 != 3,
                "IsTrackedAsInventory": tracked,
                "SalesDetails": {
                    "UnitPrice": price,
                    "AccountCode": "200",
                    "TaxType": p.sales_tax.tax_type,
                },
                "PurchaseDetails": {
                    "UnitPrice": money(price * Decimal("0.6")),
                    "AccountCode": "310" if not tracked else None,
                    "COGSAccountCode": "310" if tracked else None,
                    "TaxType": p.purchase_tax.tax_type,
                },
                "UpdatedDateUTC": self.updated(
                    self.stamp(self.day_between(self.first_day, self.last_day))
                ),
            }
            for key in [k for k, v in item["PurchaseDetails"].items() if v is None]:
                del item["PurchaseDetails"][key]
            if tracked:
                item["InventoryAssetAccountCode"] = "630"
                item["TotalCostPool"] = money(price * 6)
                item["QuantityOnHand"] = Decimal("10.0000")
            self.items.append(item)
            self.emit("Items", item)

    # -- transactions ------------------------------------------------------------------------------
    def documents(self) -> None:
        counters = {"ACCREC": 0, "ACCPAY": 0}
        buckets = {"ACCREC": 0, "ACCPAY": 0}
        for i in range(self.invoice_count):
            kind = "ACCPAY" if i % 3 == 2 else "ACCREC"
            status = INVOICE_STATUS_CYCLE[counters[kind] % len(INVOICE_STATUS_CYCLE)]
            counters[kind] += 1
            bucket = None
            if status == "AUTHORISED":
                bucket = BUCKETS[buckets[kind] % len(BUCKETS)]
                buckets[kind] += 1
            self.invoice(kind, status, bucket)
            if i % 9 == 4:
                self.bank_transaction()
            if i % 9 == 7:
                self.bank_transaction()
            if i % 25 == 3:
                self.standalone_credit_note(kind)
            if i % 45 == 10:
                self.bank_transfer()
            if i % 50 == 20:
                self.manual_journal()
            if i % 60 == 30:
                self.standalone_overpayment(kind)
            if i % 70 == 35:
                self.batch_payment()
            if i % 20 == 5:
                self.quote()
            if i % 20 == 15:
                self.purchase_order()
            if i % 40 == 8 and len(self.out.get("RepeatingInvoices", ())) < 300:
                self.repeating_invoice()
            if i % 60 == 12:
                self.expense_claim()

    def pick_contact(self, kind: str) -> dict:
        pool = self.customers if kind in ("ACCREC", "ACCRECCREDIT", "RECEIVE") else self.suppliers
        return pool[below(self.rng, len(pool))]

    def line_specs(self, kind: str, contact: dict, count: int | None = None) -> list[dict]:
        sales = kind in ("ACCREC", "ACCRECCREDIT", "RECEIVE")
        tax_type = (self.profile.sales_tax if sales else self.profile.purchase_tax).tax_type
        specs = []
        for _ in range(count or pick(self.rng, (1, 1, 2, 2, 3, 4))):
            roll = self.rng.random()
            spec: dict = {"TaxType": tax_type}
            if roll < 0.3 and self.items:
                item = self.items[below(self.rng, len(self.items))]
                details = item["SalesDetails"] if sales else item["PurchaseDetails"]
                spec.update(
                    Description=item["Description"] if sales else item["PurchaseDescription"],
                    Quantity=Decimal(randint(self.rng, 1, 20)),
                    UnitAmount=details["UnitPrice"],
                    AccountCode=details.get("AccountCode")
                    or details.get("COGSAccountCode")
                    or "310",
                    ItemCode=item["Code"],
                    Item={"ItemID": item["ItemID"], "Name": item["Name"], "Code": item["Code"]},
                )
            else:
                four_dp = roll > 0.85
                unit = Decimal(randint(self.rng, 1000, 250000)) / (10000 if four_dp else 100)
                spec.update(
                    Description=pick(self.rng, PRODUCT_WORDS[0] if sales else PRODUCT_WORDS[1]),
                    Quantity=Decimal(pick(self.rng, (1, 1, 1, 2, 3, 5, "1.5", "0.25"))),
                    UnitAmount=unit,
                    AccountCode=(
                        contact.get("SalesDefaultAccountCode", "200")
                        if sales
                        else contact.get("PurchasesDefaultAccountCode", "429")
                    ),
                )
            if self.ledger.tracking and self.rng.random() < 0.25:
                category, options = self.ledger.tracking[below(self.rng, len(self.ledger.tracking))]
                option = options[below(self.rng, len(options))]
                spec["Tracking"] = [
                    {
                        "TrackingCategoryID": category["TrackingCategoryID"],
                        "TrackingOptionID": option["TrackingOptionID"],
                        "Name": category["Name"],
                        "Option": option["Name"],
                    }
                ]
            if self.rng.random() < 0.05:
                spec["DiscountRate"] = Decimal(pick(self.rng, (5, 10, 15)))
            specs.append(spec)
        return specs

    def after(self, previous: datetime, day: date) -> datetime:
        stamp = self.stamp(day)
        if stamp <= previous:
            stamp = min(previous + timedelta(seconds=randint(self.rng, 1, 900)), self.horizon)
        return stamp

    def later(self, previous: datetime, day: date, within: int | None = None) -> datetime:
        """A stamp after `previous` on a day from `day` to the last day (or `within` days)."""
        end = self.last_day if within is None else min(day + timedelta(days=within), self.last_day)
        return self.after(previous, self.day_between(day, end))

    def invoice(self, kind: str, status: str, bucket: str | None) -> dict:
        ledger = self.ledger
        rng = self.rng
        contact = self.pick_contact(kind)
        terms = (7, 14, 30, 30, 45)[below(rng, 5)]
        if bucket is not None:
            low, high = BUCKET_DAYS[bucket]
            due = self.anchor - timedelta(days=randint(rng, low, high))
            day = due - timedelta(days=terms)
            if day > self.last_day:
                day = self.last_day
            if day < self.first_day:
                day = self.first_day
                due = max(due, day)
        else:
            day = self.day_between(self.first_day, self.last_day)
            due = day + timedelta(days=terms)
        currency = self.currency_of(contact)
        rate = ledger.currency_rate(currency, day)
        line_amount_types = ("Exclusive", "Exclusive", "Exclusive", "Inclusive", "NoTax")[
            below(rng, 5)
        ]
        created = self.stamp(day)
        number = None
        if kind == "ACCREC":
            number = f"INV-{ledger.next_number('INV'):05d}"
        elif rng.random() < 0.9:
            number = f"{contact['Name'][:3].upper()}-{randint(rng, 1000, 99999)}"
        invoice = ledger.invoice_record(
            kind=kind,
            contact=contact,
            day=day,
            due=due,
            status="AUTHORISED" if status in ("PAID", "VOIDED") else status,
            currency=currency,
            rate=rate,
            specs=self.line_specs(kind, contact),
            line_amount_types=line_amount_types,
            number=number,
            reference=f"PO {randint(rng, 100, 9999)}" if rng.random() < 0.6 else "",
            stamp=created,
        )
        invoice["SentToContact"] = kind == "ACCREC" and status not in ("DRAFT", "DELETED")
        if kind == "ACCREC":
            themes = self.out["BrandingThemes"]
            invoice["BrandingThemeID"] = themes[0 if rng.random() < 0.8 else 1]["BrandingThemeID"]
        if status in ("AUTHORISED", "PAID", "VOIDED"):
            ledger.post_invoice(invoice, created)
        last = created
        if status == "VOIDED":
            last = self.later(created, day)
            invoice["Status"] = "VOIDED"
            ledger.refresh_invoice(invoice)
            ledger.post_invoice(invoice, last, reverse=True)
        elif status == "DELETED":
            last = self.later(created, day, 20)
            invoice["Status"] = "DELETED"
            ledger.refresh_invoice(invoice)
        elif status == "PAID":
            last = self.settle_fully(invoice, contact, created)
        elif status == "AUTHORISED":
            last = self.settle_partly(invoice, contact, created)
        invoice["UpdatedDateUTC"] = self.updated(last)
        self.emit("Invoices", invoice)
        if kind == "ACCREC" and status in ("AUTHORISED", "PAID"):
            self.last_sale = invoice
        elif kind == "ACCPAY" and status in ("AUTHORISED", "PAID") and self.rng.random() < 0.12:
            self.linked_transaction(invoice, self.last_sale if self.rng.random() < 0.5 else None)
        return invoice

    def settle_fully(self, invoice: dict, contact: dict, created: datetime) -> datetime:
        rng = self.rng
        day = invoice["Date"]
        final_day = invoice["DueDate"] + timedelta(days=randint(rng, -25, 45))
        final_day = min(max(final_day, day), self.last_day)
        last = created
        roll = rng.random()
        if roll < 0.12:
            credit_day = self.day_between(day, final_day)
            last = self.credit_and_allocate(
                invoice, contact, credit_day, last, Decimal(randint(rng, 15, 60)) / 100
            )
        elif roll < 0.17:
            last = self.overpay_and_allocate(
                invoice, contact, self.day_between(day, final_day), last, full=rng.random() < 0.5
            )
        elif roll < 0.22:
            last = self.prepay_and_allocate(
                invoice, contact, self.day_between(day, final_day), last
            )
        elif roll < 0.40 and invoice["AmountDue"] > 1:
            first_day = self.day_between(day, final_day)
            amount = money(invoice["AmountDue"] * Decimal(randint(rng, 20, 70)) / 100)
            last = self.pay(invoice, amount, first_day, last)
        if invoice["AmountDue"] > 0:
            last = self.pay(invoice, invoice["AmountDue"], final_day, last)
        return last

    def settle_partly(self, invoice: dict, contact: dict, created: datetime) -> datetime:
        rng = self.rng
        day = invoice["Date"]
        roll = rng.random()
        if invoice["AmountDue"] < 2:
            return created
        if roll < 0.35:
            amount = money(invoice["AmountDue"] * Decimal(randint(rng, 10, 70)) / 100)
            return self.pay(invoice, amount, self.day_between(day, self.last_day), created)
        if roll < 0.45:
            fraction = Decimal(randint(rng, 10, 40)) / 100
            return self.credit_and_allocate(
                invoice, contact, self.day_between(day, self.last_day), created, fraction
            )
        if roll < 0.50:
            return self.overpay_and_allocate(
                invoice, contact, self.day_between(day, self.last_day), created, full=False
            )
        return created

    def pay(self, invoice: dict, amount: Decimal, day: date, previous: datetime) -> datetime:
        stamp = self.after(previous, day)
        payment = self.ledger.apply_payment(
            invoice,
            "Invoice",
            amount,
            day,
            stamp,
            reference=pick(self.rng, ("", "Thank you", "EFT", "Direct debit", "Cheque 1042")),
            is_reconciled=self.rng.random() < 0.8,
        )
        payment["UpdatedDateUTC"] = self.updated(stamp)
        self.emit("Payments", payment)
        return stamp

    def credit_and_allocate(
        self, invoice: dict, contact: dict, day: date, previous: datetime, fraction: Decimal
    ) -> datetime:
        ledger = self.ledger
        amount = money(invoice["AmountDue"] * fraction)
        if amount <= 0:
            return previous
        stamp = self.after(previous, day)
        first_line = invoice["LineItems"][0]
        credit = ledger.credit_note_record(
            kind="ACCRECCREDIT" if invoice["Type"] == "ACCREC" else "ACCPAYCREDIT",
            contact=contact,
            day=day,
            status="AUTHORISED",
            currency=invoice["CurrencyCode"],
            rate=invoice["CurrencyRate"],
            specs=[
                {
                    "Description": f"Credit for {invoice.get('InvoiceNumber') or 'bill'}",
                    "Quantity": Decimal(1),
                    "UnitAmount": amount,
                    "AccountCode": first_line.get("AccountCode"),
                    "TaxType": first_line.get("TaxType"),
                }
            ],
            line_amount_types="Inclusive" if invoice["LineAmountTypes"] != "NoTax" else "NoTax",
            reference=invoice.get("InvoiceNumber") or "",
            stamp=stamp,
        )
        ledger.post_credit_note(credit, stamp)
        allocation_stamp = stamp
        applied = min(credit["RemainingCredit"], invoice["AmountDue"])
        ledger.apply_allocation(credit, "CreditNotes", invoice, applied, day, allocation_stamp)
        credit["UpdatedDateUTC"] = self.updated(allocation_stamp)
        self.emit("CreditNotes", credit)
        return allocation_stamp

    def overpay_and_allocate(
        self, invoice: dict, contact: dict, day: date, previous: datetime, *, full: bool
    ) -> datetime:
        ledger = self.ledger
        due = invoice["AmountDue"]
        applied = due if full else money(due * Decimal(randint(self.rng, 20, 60)) / 100)
        if applied <= 0:
            return previous
        extra = (
            money(Decimal(randint(self.rng, 0, 5000)) / 100) if self.rng.random() < 0.5 else ZERO
        )
        stamp = self.after(previous, day)
        overpayment = self.credit_document(
            "Overpayments", invoice, contact, day, applied + extra, stamp
        )
        ledger.apply_allocation(overpayment, "Overpayments", invoice, applied, day, stamp)
        overpayment["UpdatedDateUTC"] = self.updated(stamp)
        self.emit("Overpayments", overpayment)
        return stamp

    def prepay_and_allocate(
        self, invoice: dict, contact: dict, day: date, previous: datetime
    ) -> datetime:
        ledger = self.ledger
        prepay_day = self.day_between(
            max(invoice["Date"] - timedelta(days=30), self.first_day), invoice["Date"]
        )
        stamp = self.after(previous, day)
        applied = invoice["AmountDue"]
        prepayment = self.credit_document(
            "Prepayments", invoice, contact, prepay_day, applied, self.stamp(prepay_day)
        )
        ledger.apply_allocation(prepayment, "Prepayments", invoice, applied, day, stamp)
        prepayment["UpdatedDateUTC"] = self.updated(max(stamp, prepayment["UpdatedDateUTC"]))
        self.emit("Prepayments", prepayment)
        return stamp

    def credit_document(
        self,
        collection: str,
        invoice: dict,
        contact: dict,
        day: date,
        amount: Decimal,
        stamp: datetime,
    ) -> dict:
        """An overpayment or prepayment through the bank, with its bank transaction.
        `invoice` gives the Type, CurrencyCode and CurrencyRate."""
        ledger = self.ledger
        bank = _bank_for(ledger, invoice["CurrencyCode"])
        record = ledger.prepayment_record(
            collection,
            receive=invoice["Type"] == "ACCREC",
            contact=contact,
            day=day,
            currency=invoice["CurrencyCode"],
            rate=invoice["CurrencyRate"],
            amount=amount,
            stamp=stamp,
            bank=bank,
        )
        self.emit("BankTransactions", ledger.bank_transaction_for(record, collection, bank))
        return record

    def standalone_credit_note(self, kind: str) -> None:
        """Credit notes that stay open, were refunded, or never got approved."""
        ledger = self.ledger
        contact = self.pick_contact(kind)
        day = self.day_between(self.first_day, self.last_day)
        currency = self.currency_of(contact)
        status = ("AUTHORISED", "DRAFT", "AUTHORISED", "VOIDED", "PAID", "DELETED", "SUBMITTED")[
            ledger.next_number("standalone-cn") % 7
        ]
        stamp = self.stamp(day)
        credit = ledger.credit_note_record(
            kind="ACCRECCREDIT" if kind == "ACCREC" else "ACCPAYCREDIT",
            contact=contact,
            day=day,
            status="AUTHORISED" if status in ("PAID", "VOIDED") else status,
            currency=currency,
            rate=ledger.currency_rate(currency, day),
            specs=self.line_specs(kind, contact, 1),
            line_amount_types="Exclusive",
            reference="Goodwill credit",
            stamp=stamp,
        )
        last = stamp
        if status in ("AUTHORISED", "PAID", "VOIDED"):
            ledger.post_credit_note(credit, stamp)
        if status == "VOIDED":
            last = self.later(stamp, day)
            credit["Status"] = "VOIDED"
            credit["RemainingCredit"] = ZERO
            ledger.post_credit_note(credit, last, reverse=True)
        elif status == "PAID":
            refund_day = self.day_between(day, self.last_day)
            last = self.after(stamp, refund_day)
            payment = ledger.apply_payment(
                credit,
                "CreditNote",
                credit["RemainingCredit"],
                refund_day,
                last,
                reference="Refund",
            )
            payment["UpdatedDateUTC"] = self.updated(last)
            self.emit("Payments", payment)
        elif status == "DELETED":
            last = self.later(stamp, day, 10)
            credit["Status"] = "DELETED"
        credit["UpdatedDateUTC"] = self.updated(last)
        self.emit("CreditNotes", credit)

    def standalone_overpayment(self, kind: str) -> None:
        contact = self.pick_contact(kind)
        day = self.day_between(self.first_day, self.last_day)
        amount = self.money_amount(20, 900)
        currency = self.currency_of(contact)
        terms = {
            "Type": kind,
            "CurrencyCode": currency,
            "CurrencyRate": self.ledger.currency_rate(currency, day),
        }
        collection = ("Prepayments", "Overpayments")[self.ledger.next_number("standalone-op") % 2]
        record = self.credit_document(collection, terms, contact, day, amount, self.stamp(day))
        self.emit(collection, record)

    def bank_transaction(self) -> None:
        ledger = self.ledger
        rng = self.rng
        receive = rng.random() < 0.35
        kind = "RECEIVE" if receive else "SPEND"
        contact = (
            self.pick_contact("ACCREC" if receive else "ACCPAY") if rng.random() < 0.8 else None
        )
        day = self.day_between(self.first_day, self.last_day)
        foreign = rng.random() < 0.1 and ledger.foreign_bank
        if foreign:
            currency, bank = next(iter(ledger.foreign_bank.items()))
        else:
            currency, bank = (
                self.profile.base_currency,
                ledger.bank_accounts[below(rng, len(ledger.bank_accounts))],
            )
            if not receive and rng.random() < 0.2:
                bank = ledger.account("095")
        specs = self.line_specs("RECEIVE" if receive else "SPEND", contact or {}, None)
        if not receive:
            for spec in specs:
                if "ItemCode" not in spec:
                    spec["AccountCode"] = SPEND_ACCOUNTS[below(rng, len(SPEND_ACCOUNTS))]
        status = ("AUTHORISED",) * 12 + ("DELETED", "VOIDED")
        status = status[below(rng, len(status))]
        stamp = self.stamp(day)
        record = ledger.bank_transaction_record(
            kind=kind,
            contact=contact,
            bank=bank,
            day=day,
            currency=currency,
            rate=ledger.currency_rate(currency, day),
            specs=specs,
            line_amount_types=("Exclusive", "Inclusive", "Inclusive", "NoTax")[below(rng, 4)],
            reference=pick(
                rng, ("", "Card purchase", "Direct credit", "Office supplies", "Refund")
            ),
            stamp=stamp,
            is_reconciled=rng.random() < 0.7,
        )
        last = stamp
        if status != "DELETED" or rng.random() < 0.5:
            ledger.post_bank_transaction(record, stamp)
            if status != "AUTHORISED":
                last = self.later(stamp, day)
                ledger.post_bank_transaction(record, last, reverse=True)
        record["Status"] = status
        record["UpdatedDateUTC"] = self.updated(last)
        self.emit("BankTransactions", record)

    def bank_transfer(self) -> None:
        ledger = self.ledger
        source, target = ledger.bank_accounts[0], ledger.bank_accounts[1]
        if self.rng.random() < 0.5:
            source, target = target, source
        day = self.day_between(self.first_day, self.last_day)
        amount = self.money_amount(100, 20000)
        stamp = self.stamp(day)
        deleted = self.rng.random() < 0.1
        transfer_id = ledger.new_id()
        pair = ledger.transfer_pair(
            source, target, amount, day, stamp, "Transfer", is_reconciled=True
        )
        status = "DELETED" if deleted else "AUTHORISED"
        for record in pair:
            record["Status"] = status
            self.emit("BankTransactions", record)
        transfer = ledger.transfer_record(
            transfer_id,
            pair,
            amount,
            stamp,
            from_reconciled=True,
            to_reconciled=self.rng.random() < 0.8,
            status=status,
        )
        ledger.post_transfer(transfer, source, target, stamp)
        if deleted:
            ledger.post_transfer(
                transfer, source, target, stamp + timedelta(seconds=5), reverse=True
            )
        self.emit("BankTransfers", transfer)

    def manual_journal(self) -> None:
        ledger = self.ledger
        rng = self.rng
        day = self.day_between(self.first_day, self.last_day)
        amount = self.money_amount(50, 5000)
        debit, credit = pick(rng, (("420", "090"), ("710", "900"), ("469", "800"), ("433", "620")))
        status = ("POSTED",) * 6 + ("DRAFT", "VOIDED", "DELETED", "ARCHIVED")
        status = status[below(rng, len(status))]
        stamp = self.stamp(day)
        split = money(amount * Decimal("0.4"))
        lines = [
            ledger.manual_journal_line(ledger.account(debit), amount - split, "Accrual"),
            ledger.manual_journal_line(ledger.account(debit), split, "Accrual (part 2)"),
            ledger.manual_journal_line(ledger.account(credit), -amount, "Accrual"),
        ]
        journal_id = ledger.new_id()
        narration = pick(
            rng,
            (
                "Month-end accrual",
                "Depreciation",
                "Reclassify expense",
                "Opening balance — révision",
            ),
        )
        record = ledger.manual_journal_record(
            journal_id, narration, lines, day, status, cash_basis=rng.random() < 0.5
        )
        record["UpdatedDateUTC"] = stamp
        last = stamp
        if status in ("POSTED", "VOIDED", "ARCHIVED"):
            ledger.post_manual_journal(record, stamp)
        if status == "VOIDED":
            last = self.later(stamp, day)
            ledger.post_manual_journal(record, last, reverse=True)
        elif status in ("DELETED", "ARCHIVED"):
            last = self.later(stamp, day)
        record["UpdatedDateUTC"] = self.updated(last)
        self.emit("ManualJournals", record)

    def batch_payment(self) -> None:
        """Two to four supplier bills paid together in one bank line."""
        ledger = self.ledger
        day = self.day_between(self.first_day + timedelta(days=60), self.last_day)
        batch_id = ledger.new_id()
        bank = ledger.bank_accounts[0]
        stamp = self.stamp(day)
        payments = []
        for _ in range(randint(self.rng, 2, 4)):
            contact = self.pick_contact("ACCPAY")
            if self.currency_of(contact) != self.profile.base_currency:
                continue
            invoice_day = day - timedelta(days=randint(self.rng, 5, 50))
            created = self.stamp(invoice_day)
            invoice = ledger.invoice_record(
                kind="ACCPAY",
                contact=contact,
                day=invoice_day,
                due=invoice_day + timedelta(days=30),
                status="AUTHORISED",
                currency=self.profile.base_currency,
                rate=ONE_RATE,
                specs=self.line_specs("ACCPAY", contact),
                line_amount_types="Exclusive",
                number=f"BP-{randint(self.rng, 10000, 99999)}",
                reference="",
                stamp=created,
            )
            ledger.post_invoice(invoice, created)
            payment = ledger.apply_payment(
                invoice,
                "Invoice",
                invoice["AmountDue"],
                day,
                stamp,
                reference="Batch",
                is_reconciled=True,
                batch_id=batch_id,
            )
            invoice["UpdatedDateUTC"] = stamp
            self.emit("Invoices", invoice)
            self.emit("Payments", payment)
            payments.append(payment)
        if not payments:
            return
        total = sum((p["Amount"] for p in payments), ZERO)
        self.emit(
            "BatchPayments",
            {
                "Account": {"AccountID": bank["AccountID"]},
                "Reference": f"Supplier run {ledger.next_number('BATCH')}",
                "Particulars": "",
                "Code": "",
                "Details": "",
                "Narrative": "Supplier payments",
                "BatchPaymentID": batch_id,
                "Date": day,
                "Amount": total,
                "Payments": [
                    {
                        "PaymentID": p["PaymentID"],
                        "Amount": p["Amount"],
                        "Invoice": {
                            "InvoiceID": p["Invoice"]["InvoiceID"],
                            "InvoiceNumber": p["Invoice"].get("InvoiceNumber", ""),
                        },
                        "BankAccountNumber": "",
                        "Details": "",
                    }
                    for p in payments
                ],
                "Type": "PAYBATCH",
                "Status": "AUTHORISED",
                "TotalAmount": total,
                "UpdatedDateUTC": self.updated(stamp),
                "IsReconciled": True,
            },
        )

    def emit_journals(self) -> None:
        for record in self.ledger.finalise_journals():
            self.emit("Journals", record)

    # -- quotes, orders, templates, claims ---------------------------------------------------------
    def quote(self) -> None:
        ledger = self.ledger
        rng = self.rng
        contact = self.pick_contact("ACCREC")
        day = self.day_between(self.first_day, self.last_day)
        currency = self.currency_of(contact)
        line_amount_types = ("Exclusive", "Inclusive", "NoTax")[below(rng, 3)]
        lines, sub_total, total_tax, total = ledger.build_lines(
            self.line_specs("ACCREC", contact), line_amount_types
        )
        status = ("DRAFT", "SENT", "SENT", "ACCEPTED", "DECLINED", "INVOICED", "DELETED")[
            below(rng, 7)
        ]
        stamp = self.stamp(day)
        last = stamp if status in ("DRAFT", "SENT") else self.later(stamp, day)
        self.emit(
            "Quotes",
            {
                "QuoteID": ledger.new_id(),
                "QuoteNumber": f"QU-{ledger.next_number('QU'):04d}",
                "Reference": pick(rng, ("", "Fit-out", "Annual service", "Phase 2")),
                "Terms": "Valid for 30 days. Prices include delivery.",
                "Contact": contact_ref(contact),
                "LineItems": lines,
                "Date": day,
                "ExpiryDate": day + timedelta(days=30),
                "Status": status,
                "CurrencyCode": currency,
                "CurrencyRate": ledger.currency_rate(currency, day),
                "SubTotal": sub_total,
                "TotalTax": total_tax,
                "Total": total,
                "TotalDiscount": ZERO,
                "Title": "Quote",
                "Summary": pick(rng, ("", "As discussed on site", "Supply and install")),
                "UpdatedDateUTC": self.updated(last),
                "LineAmountTypes": line_amount_types.upper(),
            },
        )

    def purchase_order(self) -> None:
        ledger = self.ledger
        rng = self.rng
        contact = self.pick_contact("ACCPAY")
        day = self.day_between(self.first_day, self.last_day)
        currency = self.currency_of(contact)
        lines, sub_total, total_tax, total = ledger.build_lines(
            self.line_specs("ACCPAY", contact), "Exclusive"
        )
        status = ("DRAFT", "SUBMITTED", "AUTHORISED", "AUTHORISED", "BILLED", "BILLED", "DELETED")[
            below(rng, 7)
        ]
        stamp = self.stamp(day)
        last = stamp if status == "DRAFT" else self.later(stamp, day)
        self.emit(
            "PurchaseOrders",
            {
                "Contact": contact_ref(contact),
                "LineItems": lines,
                "Date": day,
                "DeliveryDate": day + timedelta(days=randint(rng, 3, 30)),
                "LineAmountTypes": "Exclusive",
                "PurchaseOrderNumber": f"PO-{ledger.next_number('PO'):04d}",
                "Reference": "",
                "CurrencyCode": currency,
                "Status": status,
                "SentToContact": status != "DRAFT",
                "DeliveryAddress": f"1 Market Street, {self.profile.city}",
                "AttentionTo": "Receiving",
                "Telephone": "5550100",
                "DeliveryInstructions": "Loading dock at rear",
                "ExpectedArrivalDate": day + timedelta(days=randint(rng, 5, 40)),
                "PurchaseOrderID": ledger.new_id(),
                "CurrencyRate": ledger.currency_rate(currency, day),
                "SubTotal": sub_total,
                "TotalTax": total_tax,
                "Total": total,
                "TotalDiscount": ZERO,
                "UpdatedDateUTC": self.updated(last),
                "HasAttachments": False,
            },
        )

    def repeating_invoice(self) -> None:
        ledger = self.ledger
        rng = self.rng
        kind = "ACCREC" if rng.random() < 0.7 else "ACCPAY"
        contact = self.pick_contact(kind)
        start = self.day_between(self.first_day, self.last_day)
        unit = "MONTHLY" if rng.random() < 0.8 else "WEEKLY"
        period = pick(rng, (1, 1, 3)) if unit == "MONTHLY" else pick(rng, (1, 2))
        step = timedelta(days=30 * period if unit == "MONTHLY" else 7 * period)
        next_day = start
        while next_day <= self.anchor:
            next_day += step
        lines, sub_total, total_tax, total = ledger.build_lines(
            self.line_specs(kind, contact), "Exclusive"
        )
        status = ("AUTHORISED", "AUTHORISED", "DRAFT", "DELETED")[below(rng, 4)]
        template_id = ledger.new_id()
        schedule = {
            "Period": period,
            "Unit": unit,
            "DueDate": 20,
            "DueDateType": "DAYSAFTERBILLDATE",
            "StartDate": start,
            "NextScheduledDate": next_day,
        }
        if rng.random() < 0.3:
            schedule["EndDate"] = start + timedelta(days=365)
        self.emit(
            "RepeatingInvoices",
            {
                "Type": kind,
                "Contact": contact_ref(contact),
                "Schedule": schedule,
                "LineItems": lines,
                "LineAmountTypes": "Exclusive",
                "Reference": pick(rng, ("Monthly retainer", "Hosting", "Lease", "")),
                "CurrencyCode": self.currency_of(contact),
                "Status": status,
                "SubTotal": sub_total,
                "TotalTax": total_tax,
                "Total": total,
                "RepeatingInvoiceID": template_id,
                "ID": template_id,
                "HasAttachments": False,
                "ApprovedForSending": kind == "ACCREC" and status == "AUTHORISED",
                "SendCopy": False,
                "MarkAsSent": False,
                "IncludePDF": True,
            },
        )

    def linked_transaction(self, bill: dict, sale: dict | None) -> None:
        """A billable expense: a supplier bill line to be charged on to a customer."""
        ledger = self.ledger
        customer = self.pick_contact("ACCREC")
        stamp = bill["UpdatedDateUTC"]
        record = {
            "SourceTransactionID": bill["InvoiceID"],
            "SourceLineItemID": bill["LineItems"][0]["LineItemID"],
            "ContactID": customer["ContactID"],
            "LinkedTransactionID": ledger.new_id(),
            "Status": "APPROVED",
            "Type": "BILLABLEEXPENSE",
            "UpdatedDateUTC": stamp,
            "SourceTransactionTypeCode": "ACCPAY",
        }
        if sale is not None:
            record["ContactID"] = sale["Contact"]["ContactID"]
            record["TargetTransactionID"] = sale["InvoiceID"]
            record["TargetLineItemID"] = sale["LineItems"][0]["LineItemID"]
            record["Status"] = "BILLED"
            record["UpdatedDateUTC"] = max(stamp, sale["UpdatedDateUTC"])
        self.emit("LinkedTransactions", record)

    def expense_claim(self) -> None:
        """Receipts claimed by a user; authorised claims post, some are paid back."""
        ledger = self.ledger
        rng = self.rng
        users = self.out["Users"]
        user = users[below(rng, len(users))]
        user_ref = {
            "UserID": user["UserID"],
            "FirstName": user["FirstName"],
            "LastName": user["LastName"],
            "EmailAddress": user["EmailAddress"],
        }
        day = self.day_between(self.first_day, self.last_day - timedelta(days=20))
        status = ("SUBMITTED", "AUTHORISED", "PAID", "PAID", "VOIDED", "DELETED")[below(rng, 6)]
        claim_id = ledger.new_id()
        receipt_status = {"DELETED": "DRAFT", "PAID": "AUTHORISED"}.get(status, status)
        receipts = []
        for n in range(randint(rng, 1, 3)):
            contact = self.pick_contact("ACCPAY")
            receipt_day = day - timedelta(days=n)
            specs = self.line_specs("SPEND", contact, 1)
            specs[0]["AccountCode"] = SPEND_ACCOUNTS[below(rng, len(SPEND_ACCOUNTS))]
            specs[0].pop("ItemCode", None)
            specs[0].pop("Item", None)
            lines, sub_total, total_tax, total = ledger.build_lines(specs, "Inclusive")
            receipt = {
                "Date": receipt_day,
                "Contact": contact_ref(contact),
                "LineItems": lines,
                "User": user_ref,
                "Reference": pick(rng, ("Taxi", "Lunch with client", "Parking", "Stationery")),
                "LineAmountTypes": "Inclusive",
                "SubTotal": sub_total,
                "TotalTax": total_tax,
                "Total": total,
                "ReceiptID": ledger.new_id(),
                "Status": receipt_status,
                "ReceiptNumber": str(ledger.next_number("RECEIPT")),
                "UpdatedDateUTC": self.stamp(receipt_day),
                "HasAttachments": False,
            }
            receipts.append(receipt)
        total = sum((r["Total"] for r in receipts), ZERO)
        stamp = self.after(max(r["UpdatedDateUTC"] for r in receipts), day)
        last = stamp
        claim = {
            "ExpenseClaimID": claim_id,
            "Status": "AUTHORISED" if status == "PAID" else status,
            "Payments": [],
            "User": user_ref,
            "Receipts": [
                {"ReceiptID": r["ReceiptID"], "Total": r["Total"], "Status": r["Status"]}
                for r in receipts
            ],
            "UpdatedDateUTC": stamp,
            "Total": total,
            "AmountDue": total if status in ("SUBMITTED", "AUTHORISED", "PAID") else ZERO,
            "AmountPaid": ZERO,
            "PaymentDueDate": day + timedelta(days=14),
            "ReportingDate": day,
        }
        if status in ("AUTHORISED", "PAID", "VOIDED"):
            journal_lines = []
            for receipt in receipts:
                journal_lines += ledger.document_journal_lines(receipt, "801", -1)
            ledger.post(stamp, day, claim_id, "EXPCLAIM", "", journal_lines)
            if status == "VOIDED":
                last = self.later(stamp, day)
                reversed_lines = ledger.reverse_lines(journal_lines)
                ledger.post(last, day, claim_id, "EXPCLAIM", "", reversed_lines)
        if status == "PAID":
            pay_day = self.day_between(day, self.last_day)
            last = self.after(stamp, pay_day)
            bank = ledger.bank_accounts[0]
            payment_id = ledger.new_id()
            claim["Payments"].append(
                {
                    "PaymentID": payment_id,
                    "Date": pay_day,
                    "Amount": total,
                    "Reference": "Expense reimbursement",
                    "CurrencyRate": ONE_RATE,
                    "HasAccount": True,
                    "HasValidationErrors": False,
                }
            )
            claim.update(Status="PAID", AmountDue=ZERO, AmountPaid=total)
            ledger.post(
                last,
                pay_day,
                payment_id,
                "EXPPAYMENT",
                "Expense reimbursement",
                [
                    (ledger.account("801"), total, ZERO, None, "Expense claim"),
                    (bank, -total, ZERO, None, "Expense claim"),
                ],
            )
        claim["UpdatedDateUTC"] = self.updated(last)
        for receipt in receipts:
            self.emit("Receipts", receipt)
        self.emit("ExpenseClaims", claim)

    def budgets(self) -> None:
        ledger = self.ledger
        start = date(self.anchor.year, 1, 1)
        periods = [
            date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 1)
            for m in range(12)
        ]
        region, options = ledger.tracking[0] if ledger.tracking else (None, [])
        for kind, description in (("OVERALL", "Overall Budget"), ("TRACKING", "Budget by region")):
            if kind == "TRACKING" and region is None:
                continue
            lines = []
            for code in ("200", "400", "469", "489"):
                base = self.money_amount(500, 20000)
                lines.append(
                    {
                        "AccountID": ledger.account(code)["AccountID"],
                        "AccountCode": code,
                        "BudgetBalances": [
                            {
                                "Period": period,
                                "Amount": money(base * (1 + Decimal(i % 4) / 10)),
                                "Notes": "Seasonal peak" if i == 11 else "",
                            }
                            for i, period in enumerate(periods)
                        ],
                    }
                )
            record = {
                "BudgetID": ledger.new_id(),
                "Type": kind,
                "Description": description,
                "UpdatedDateUTC": self.stamp(self.day_between(self.first_day, self.last_day)),
                "BudgetLines": lines,
                "Tracking": [],
            }
            if kind == "TRACKING":
                record["Tracking"] = [
                    {
                        "TrackingCategoryID": region["TrackingCategoryID"],
                        "Name": region["Name"],
                        "Option": options[0]["Name"],
                        "TrackingOptionID": options[0]["TrackingOptionID"],
                    }
                ]
            self.emit("Budgets", record)
