"""What the sandbox knows about each Accounting API collection, as one table of data.

Every row mirrors the official OpenAPI spec (xero_accounting.yaml): path, envelope key, primary
key, which query parameters the collection honours, whether its envelope carries `pagination`,
and the read scope it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

API_PREFIX = "/api.xro/2.0"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
JOURNALS_PER_CALL = 100


@dataclass(frozen=True)
class Endpoint:
    key: str  # envelope key, e.g. "Invoices"
    path: str  # collection path below /api.xro/2.0, e.g. "/Invoices"
    primary_key: str | None
    scope: str  # broad read scope (the write scope of the same name also grants it)
    ims: bool = False  # honours If-Modified-Since
    page: bool = False  # honours `page`
    page_size: bool = False  # honours `pageSize` (else a page holds 100)
    pagination: bool = False  # envelope has a `pagination` object
    where: bool = False  # honours `where`
    order: bool = False  # honours `order`
    unitdp: bool = False  # honours `unitdp`
    by_id: bool = True  # GET {path}/{id} exists
    alt_key: str | None = None  # the by-id slot also accepts this field (numbers)
    lines: tuple[str, ...] = ()  # line arrays left out of unpaged list calls
    archived: tuple[str, str] | None = None  # (field, value) hidden unless includeArchived
    deleted: tuple[str, str] | None = None  # (field, value) hidden unless includeDeleted
    first_page_only: bool = False  # without `page`, the first page (else everything)
    singleton: bool = False  # one object, not a keyed collection


_TX = "accounting.transactions.read"
_SET = "accounting.settings.read"
_CON = "accounting.contacts.read"
_PAGED = {"ims": True, "page": True, "page_size": True, "pagination": True}
_LISTED = {"where": True, "order": True}

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("Accounts", "/Accounts", "AccountID", _SET, ims=True, **_LISTED),
    Endpoint(
        "BankTransactions",
        "/BankTransactions",
        "BankTransactionID",
        _TX,
        unitdp=True,
        lines=("LineItems",),
        **_PAGED,
        **_LISTED,
    ),
    Endpoint(
        "BankTransfers",
        "/BankTransfers",
        "BankTransferID",
        _TX,
        ims=True,
        deleted=("Status", "DELETED"),
        **_LISTED,
    ),
    Endpoint("BatchPayments", "/BatchPayments", "BatchPaymentID", _TX, ims=True, **_LISTED),
    Endpoint("BrandingThemes", "/BrandingThemes", "BrandingThemeID", _SET),
    Endpoint("Budgets", "/Budgets", "BudgetID", "accounting.budgets.read"),
    Endpoint("ContactGroups", "/ContactGroups", "ContactGroupID", _CON, **_LISTED),
    Endpoint(
        "Contacts",
        "/Contacts",
        "ContactID",
        _CON,
        alt_key="ContactNumber",
        archived=("ContactStatus", "ARCHIVED"),
        **_PAGED,
        **_LISTED,
    ),
    Endpoint(
        "CreditNotes",
        "/CreditNotes",
        "CreditNoteID",
        _TX,
        unitdp=True,
        lines=("LineItems",),
        **_PAGED,
        **_LISTED,
    ),
    Endpoint("Currencies", "/Currencies", "Code", _SET, by_id=False, **_LISTED),
    Endpoint("ExpenseClaims", "/ExpenseClaims", "ExpenseClaimID", _TX, ims=True, **_LISTED),
    Endpoint(
        "InvoiceReminders", "/InvoiceReminders/Settings", None, _SET, by_id=False, singleton=True
    ),
    Endpoint(
        "Invoices",
        "/Invoices",
        "InvoiceID",
        _TX,
        unitdp=True,
        alt_key="InvoiceNumber",
        lines=("LineItems",),
        archived=("Status", "ARCHIVED"),
        **_PAGED,
        **_LISTED,
    ),
    Endpoint("Items", "/Items", "ItemID", _SET, ims=True, unitdp=True, **_LISTED),
    Endpoint(
        "Journals",
        "/Journals",
        "JournalID",
        "accounting.journals.read",
        ims=True,
        alt_key="JournalNumber",
    ),
    Endpoint(
        "LinkedTransactions",
        "/LinkedTransactions",
        "LinkedTransactionID",
        _TX,
        page=True,
        first_page_only=True,
    ),
    Endpoint(
        "ManualJournals",
        "/ManualJournals",
        "ManualJournalID",
        _TX,
        lines=("JournalLines",),
        **_PAGED,
        **_LISTED,
    ),
    Endpoint("Organisations", "/Organisation", "OrganisationID", _SET, by_id=False),
    Endpoint("Actions", "/Organisation/Actions", "Name", _SET, by_id=False),
    Endpoint(
        "Overpayments",
        "/Overpayments",
        "OverpaymentID",
        _TX,
        unitdp=True,
        lines=("LineItems",),
        **_PAGED,
        **_LISTED,
    ),
    Endpoint(
        "PaymentServices", "/PaymentServices", "PaymentServiceID", "paymentservices", by_id=False
    ),
    Endpoint("Payments", "/Payments", "PaymentID", _TX, **_PAGED, **_LISTED),
    Endpoint(
        "Prepayments",
        "/Prepayments",
        "PrepaymentID",
        _TX,
        unitdp=True,
        lines=("LineItems",),
        **_PAGED,
        **_LISTED,
    ),
    Endpoint(
        "PurchaseOrders",
        "/PurchaseOrders",
        "PurchaseOrderID",
        _TX,
        alt_key="PurchaseOrderNumber",
        lines=("LineItems",),
        order=True,
        **_PAGED,
    ),
    Endpoint(
        "Quotes", "/Quotes", "QuoteID", _TX, ims=True, page=True, order=True, lines=("LineItems",)
    ),
    Endpoint("Receipts", "/Receipts", "ReceiptID", _TX, ims=True, unitdp=True, **_LISTED),
    Endpoint("RepeatingInvoices", "/RepeatingInvoices", "RepeatingInvoiceID", _TX, **_LISTED),
    Endpoint("TaxRates", "/TaxRates", "TaxType", _SET, **_LISTED),
    Endpoint(
        "TrackingCategories",
        "/TrackingCategories",
        "TrackingCategoryID",
        _SET,
        archived=("Status", "ARCHIVED"),
        **_LISTED,
    ),
    Endpoint("Users", "/Users", "UserID", _SET, ims=True, **_LISTED),
)

BY_KEY = {e.key: e for e in ENDPOINTS}

# Explicit filter parameters (lower-cased names) -> (field path, how the value matches).
# "csv": comma-separated list of exact values; "eq": one exact value; "from"/"to": date bounds.
FILTERS: dict[str, dict[str, tuple[str, str]]] = {
    "Invoices": {
        "ids": ("InvoiceID", "csv"),
        "invoicenumbers": ("InvoiceNumber", "csv"),
        "contactids": ("Contact.ContactID", "csv"),
        "statuses": ("Status", "csv"),
    },
    "Contacts": {"ids": ("ContactID", "csv")},
    "Budgets": {"ids": ("BudgetID", "csv")},
    "Overpayments": {"references": ("Reference", "csv")},
    "PurchaseOrders": {
        "status": ("Status", "eq"),
        "datefrom": ("Date", "from"),
        "dateto": ("Date", "to"),
    },
    "Quotes": {
        "datefrom": ("Date", "from"),
        "dateto": ("Date", "to"),
        "expirydatefrom": ("ExpiryDate", "from"),
        "expirydateto": ("ExpiryDate", "to"),
        "contactid": ("Contact.ContactID", "eq"),
        "status": ("Status", "eq"),
        "quotenumber": ("QuoteNumber", "eq"),
    },
    "LinkedTransactions": {
        "linkedtransactionid": ("LinkedTransactionID", "eq"),
        "sourcetransactionid": ("SourceTransactionID", "eq"),
        "targettransactionid": ("TargetTransactionID", "eq"),
        "contactid": ("ContactID", "eq"),
        "status": ("Status", "eq"),
    },
}

# searchTerm: case-insensitive substring over these fields.
SEARCH_FIELDS = {
    "Contacts": ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress"),
    "Invoices": ("InvoiceNumber", "Reference"),
}

# summaryOnly=true leaves these heavy fields out.
SUMMARY_DROPS = {
    "Contacts": (
        "Addresses",
        "Phones",
        "ContactPersons",
        "ContactGroups",
        "Balances",
        "PaymentTerms",
        "BatchPayments",
        "SalesTrackingCategories",
        "PurchasesTrackingCategories",
        "BrandingTheme",
        "Attachments",
    ),
    "Invoices": (
        "LineItems",
        "Payments",
        "CreditNotes",
        "Prepayments",
        "Overpayments",
        "Attachments",
        "InvoiceAddresses",
    ),
}
BY_PATH = {e.path.lower(): e for e in ENDPOINTS}

# by-id reads expand these nested references to the whole record, as the spec's by-id
# examples show: envelope key -> ((field, the collection it refers to), ...)
_CONTACT = (("Contact", "Contacts"),)
EXPANDED_BY_ID: dict[str, tuple[tuple[str, str], ...]] = {
    "Invoices": _CONTACT,
    "CreditNotes": _CONTACT,
    "BankTransactions": _CONTACT,
    "Overpayments": _CONTACT,
    "Prepayments": _CONTACT,
    "PurchaseOrders": _CONTACT,
    "Quotes": _CONTACT,
    "Receipts": _CONTACT,
    "Payments": (("Invoice", "Invoices"),),
}

# write answers that carry StatusAttributeString ("OK", or "ERROR" on a refused element)
STATUS_ATTRIBUTE = frozenset(
    {"BankTransactions", "CreditNotes", "ExpenseClaims", "Invoices", "PurchaseOrders", "Quotes"}
)

# Read scopes of the 2026 granular model that also grant a broad read scope.
GRANULAR_SCOPES = {
    _TX: (
        "accounting.invoices",
        "accounting.payments",
        "accounting.banktransactions",
        "accounting.manualjournals",
        "accounting.classicexpenses",
    ),
    "accounting.reports.read": tuple(
        f"accounting.reports.{name}"
        for name in ("aged", "balancesheet", "profitandloss", "trialbalance", "banksummary",
                     "budgetsummary", "executivesummary")
    ),  # fmt: skip
}

ALL_READ_SCOPES = tuple(sorted({e.scope for e in ENDPOINTS}))


def scope_grants(granted: frozenset[str] | set[str], needed: str) -> bool:
    """True when the granted scopes allow reading with `needed` (read or read-write form)."""
    write_form = needed.removesuffix(".read")
    if needed in granted or write_form in granted:
        return True
    for granular in GRANULAR_SCOPES.get(needed, ()):
        if granular in granted or f"{granular}.read" in granted:
            return True
    return False


def openapi_dir() -> Path:
    """The bundled copy of Xero's OpenAPI specs (used by the conformance tests)."""
    return Path(__file__).with_name("openapi")
