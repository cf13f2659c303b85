"""The 30 Accounting collections and how each one is read: one frozen table, no logic.

Strategies (see the Xero notes, incremental-sync classification):
- PAGED_IMS: If-Modified-Since + `page` (+ `pageSize`); page 1 tells the page count when the
  envelope has a `pagination` object, otherwise pages are read until a short one.
- UNPAGED_IMS: If-Modified-Since, one call returns the whole changed set.
- JOURNALS: `offset` = last JournalNumber, 100 per call, append-only.
- PAGED_CLIENT_FILTER: paged, no If-Modified-Since: every page is read, rows filtered on the
  cursor client-side (and every run sees every id, so hard deletes are found each run).
- FULL_REFRESH: small reference data, read whole, at most every XERO_REFERENCE_REFRESH_HOURS
  (default 24; see `cadence.py`) and on every full refresh.
"""

from __future__ import annotations

from dataclasses import dataclass

PAGED_IMS = "paged_ims"
UNPAGED_IMS = "unpaged_ims"
JOURNALS = "journals_offset"
PAGED_CLIENT_FILTER = "paged_client_filter"
FULL_REFRESH = "full_refresh"

MAX_PAGE_SIZE = 1000  # Xero's maximum pageSize
DEFAULT_PAGE_SIZE = 100  # what Xero returns per page without pageSize
JOURNALS_PER_CALL = 100
MAX_IDS_PER_REQUEST = 50  # 53 GUIDs in IDs= overflow Xero's URL limit


@dataclass(frozen=True)
class Collection:
    name: str  # dlt resource and table name
    envelope: str  # key of the payload array in the response
    path: str  # relative to /api.xro/2.0
    primary_key: str | None  # None: a singleton per tenant
    strategy: str
    cursor: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    page_size: int | None = None  # pageSize to send on paged collections; None: Xero's 100
    optional: bool = False  # 401/403 skips it with a warning (premium feature, extra scope)
    hard_deletes: bool = False  # Xero deletes rows outright: only a full read can see it
    ids_param: str | None = None  # query parameter taking a CSV list of ids, if any
    where: bool = True  # the GET takes a `where` filter (targeted syncs OR their ids in it)
    by_id: bool = True  # GET {path}/{id} exists

    @property
    def reference(self) -> bool:
        """Reference data: no If-Modified-Since, read whole on its cadence (`cadence.py`)."""
        return self.strategy == FULL_REFRESH


_ARCHIVED = (("includeArchived", "true"),)
_UNITDP = (("unitdp", "4"),)
_UPDATED = "UpdatedDateUTC"


# fmt: off
COLLECTIONS: tuple[Collection, ...] = (
    # Paged with If-Modified-Since
    Collection("bank_transactions", "BankTransactions", "/BankTransactions", "BankTransactionID",
               PAGED_IMS, _UPDATED, _UNITDP, MAX_PAGE_SIZE),
    Collection("contacts", "Contacts", "/Contacts", "ContactID",
               PAGED_IMS, _UPDATED, _ARCHIVED, MAX_PAGE_SIZE, ids_param="IDs"),
    Collection("credit_notes", "CreditNotes", "/CreditNotes", "CreditNoteID",
               PAGED_IMS, _UPDATED, _UNITDP, MAX_PAGE_SIZE),
    Collection("invoices", "Invoices", "/Invoices", "InvoiceID",
               PAGED_IMS, _UPDATED, _ARCHIVED + _UNITDP, MAX_PAGE_SIZE, ids_param="IDs"),
    Collection("manual_journals", "ManualJournals", "/ManualJournals", "ManualJournalID",
               PAGED_IMS, _UPDATED, (), MAX_PAGE_SIZE),
    Collection("overpayments", "Overpayments", "/Overpayments", "OverpaymentID",
               PAGED_IMS, _UPDATED, _UNITDP, MAX_PAGE_SIZE),
    Collection("payments", "Payments", "/Payments", "PaymentID",
               PAGED_IMS, _UPDATED, (), MAX_PAGE_SIZE),
    Collection("prepayments", "Prepayments", "/Prepayments", "PrepaymentID",
               PAGED_IMS, _UPDATED, _UNITDP, MAX_PAGE_SIZE),
    Collection("purchase_orders", "PurchaseOrders", "/PurchaseOrders", "PurchaseOrderID",
               PAGED_IMS, _UPDATED, (), MAX_PAGE_SIZE, where=False),
    # Quotes take `page` but declare no pageSize and return no pagination object
    Collection("quotes", "Quotes", "/Quotes", "QuoteID", PAGED_IMS, _UPDATED, where=False),
    # If-Modified-Since, one call
    Collection("accounts", "Accounts", "/Accounts", "AccountID",
               UNPAGED_IMS, _UPDATED, hard_deletes=True),
    Collection("bank_transfers", "BankTransfers", "/BankTransfers", "BankTransferID",
               UNPAGED_IMS, "CreatedDateUTC", (("includeDeleted", "true"),)),
    Collection("batch_payments", "BatchPayments", "/BatchPayments", "BatchPaymentID",
               UNPAGED_IMS, _UPDATED),
    Collection("expense_claims", "ExpenseClaims", "/ExpenseClaims", "ExpenseClaimID",
               UNPAGED_IMS, _UPDATED),
    Collection("items", "Items", "/Items", "ItemID",
               UNPAGED_IMS, _UPDATED, _UNITDP, hard_deletes=True),
    Collection("receipts", "Receipts", "/Receipts", "ReceiptID", UNPAGED_IMS, _UPDATED, _UNITDP),
    Collection("users", "Users", "/Users", "UserID", UNPAGED_IMS, _UPDATED),
    # Journals: offset by JournalNumber; a premium feature since 2026
    Collection("journals", "Journals", "/Journals", "JournalID",
               JOURNALS, "JournalNumber", optional=True, where=False),
    # Paged without If-Modified-Since
    Collection("linked_transactions", "LinkedTransactions", "/LinkedTransactions",
               "LinkedTransactionID", PAGED_CLIENT_FILTER, _UPDATED, hard_deletes=True,
               where=False),
    # Reference data, no If-Modified-Since: re-read on its cadence
    Collection("branding_themes", "BrandingThemes", "/BrandingThemes", "BrandingThemeID",
               FULL_REFRESH, where=False),
    Collection("budgets", "Budgets", "/Budgets", "BudgetID", FULL_REFRESH, optional=True,
               where=False),
    Collection("contact_groups", "ContactGroups", "/ContactGroups", "ContactGroupID",
               FULL_REFRESH),
    Collection("currencies", "Currencies", "/Currencies", "Code", FULL_REFRESH, by_id=False),
    Collection("invoice_reminders", "InvoiceReminders", "/InvoiceReminders/Settings", None,
               FULL_REFRESH, by_id=False, where=False),
    Collection("organisations", "Organisations", "/Organisation", "OrganisationID",
               FULL_REFRESH, by_id=False, where=False),
    Collection("organisation_actions", "Actions", "/Organisation/Actions", "Name",
               FULL_REFRESH, by_id=False, where=False),
    Collection("payment_services", "PaymentServices", "/PaymentServices", "PaymentServiceID",
               FULL_REFRESH, optional=True, by_id=False, where=False),
    Collection("repeating_invoices", "RepeatingInvoices", "/RepeatingInvoices",
               "RepeatingInvoiceID", FULL_REFRESH),
    Collection("tax_rates", "TaxRates", "/TaxRates", "TaxType", FULL_REFRESH),
    Collection("tracking_categories", "TrackingCategories", "/TrackingCategories",
               "TrackingCategoryID", FULL_REFRESH, params=_ARCHIVED, hard_deletes=True),
)
# fmt: on

BY_NAME: dict[str, Collection] = {c.name: c for c in COLLECTIONS}
RESOURCE_NAMES: tuple[str, ...] = tuple(sorted(BY_NAME))


def collection(name: str) -> Collection:
    return BY_NAME[name]
