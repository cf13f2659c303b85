"""The action catalogue: every read and write the product offers on Xero, as one table.

A row says how to call Xero (method, path below /api.xro/2.0), what the user gives (the
fields; `{id}` in the path is the record's id), what the action sets itself (`preset`, e.g.
Status VOIDED), how the body is sent, the write scope it needs, and what it touches: the
warehouse tables whose rows must be re-fetched afterwards (write-through), with where each
id is found (`{id}`: the id given; `InvoiceID` or `Invoice.InvoiceID`: in each record the
write returned).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

TRANSACTIONS = "accounting.transactions"
CONTACTS = "accounting.contacts"
SETTINGS = "accounting.settings"
ATTACHMENTS = "accounting.attachments"

# body forms
ENVELOPE = "envelope"  # {"Invoices": [fields]}; summarizeErrors=false on batch writes
OBJECT = "object"  # the fields as one object (PUT /Accounts, POST /Payments/{id})
EMPTY = "empty"  # {} (POST /Invoices/{id}/Email)
FILE = "file"  # a file's bytes (attachments)
NONE = "none"  # no body (GET, DELETE)


@dataclass(frozen=True)
class Action:
    name: str  # e.g. "invoices.void"
    method: str
    path: str  # below /api.xro/2.0; "{id}" is the record id, "{FileName}" a field
    summary: str
    fields: tuple[str, ...] = ()  # the fields it takes (Xero's names); more pass through
    required: tuple[str, ...] = ()
    body: str = NONE
    envelope: str | None = None  # the answer's (and an ENVELOPE body's) list key
    preset: Mapping[str, object] = field(default_factory=dict)
    touches: tuple[tuple[str, str], ...] = ()  # (warehouse table, where its ids are)
    scope: str | None = None  # the write scope; None for reads
    params: Mapping[str, str] = field(default_factory=dict)  # query parameters always sent

    @property
    def needs_id(self) -> bool:
        return "{id}" in self.path

    @property
    def writes(self) -> bool:
        return self.method != "GET"


def _frozen(**values: object) -> Mapping[str, object]:
    return MappingProxyType(values)


UNITDP = _frozen(unitdp="4")
BATCH = _frozen(summarizeErrors="false", unitdp="4")
NO_SUMMARY = _frozen(summarizeErrors="false")

INVOICE_FIELDS = ("Type", "Contact", "LineItems", "Date", "DueDate", "Reference",
                  "InvoiceNumber", "Status", "CurrencyCode", "LineAmountTypes")
CONTACT_FIELDS = ("Name", "EmailAddress", "FirstName", "LastName", "AccountNumber",
                  "ContactNumber", "TaxNumber", "Phones", "Addresses", "IsCustomer",
                  "IsSupplier")
ACCOUNT_FIELDS = ("Code", "Name", "Type", "TaxType", "Description", "BankAccountNumber",
                  "EnablePaymentsToAccount")
ITEM_FIELDS = ("Code", "Name", "Description", "SalesDetails", "PurchaseDetails",
               "IsTrackedAsInventory", "IsSold", "IsPurchased")
CREDIT_NOTE_FIELDS = ("Type", "Contact", "LineItems", "Date", "Reference", "Status",
                      "CreditNoteNumber", "CurrencyCode", "LineAmountTypes")
PAYMENT_FIELDS = ("Invoice", "CreditNote", "Account", "Amount", "Date", "Reference",
                  "CurrencyRate")

ACCOUNT_IDS = (("accounts", "AccountID"),)
CONTACT_IDS = (("contacts", "ContactID"),)
INVOICE_IDS = (("invoices", "InvoiceID"),)
ITEM_IDS = (("items", "ItemID"),)
INVOICE_BY_ID = (("invoices", "{id}"),)
# a payment changes what it pays; a reversal too
PAYMENT_TOUCHES = (
    ("payments", "PaymentID"),
    ("invoices", "Invoice.InvoiceID"),
    ("credit_notes", "CreditNote.CreditNoteID"),
)
# fmt: off
BASE_ACTIONS: tuple[Action, ...] = (
    # accounts
    Action("accounts.list", "GET", "/Accounts", "list the chart of accounts",
           ("where", "order"), envelope="Accounts"),
    Action("accounts.get", "GET", "/Accounts/{id}", "get one account", envelope="Accounts"),
    Action("accounts.create", "PUT", "/Accounts", "create an account", ACCOUNT_FIELDS,
           ("Code", "Name", "Type"), OBJECT, "Accounts", touches=ACCOUNT_IDS, scope=SETTINGS),
    Action("accounts.update", "POST", "/Accounts/{id}", "update an account", ACCOUNT_FIELDS,
           body=ENVELOPE, envelope="Accounts", touches=ACCOUNT_IDS, scope=SETTINGS),
    Action("accounts.archive", "POST", "/Accounts/{id}", "archive an account",
           body=ENVELOPE, envelope="Accounts", preset=_frozen(Status="ARCHIVED"),
           touches=ACCOUNT_IDS, scope=SETTINGS),
    Action("accounts.delete", "DELETE", "/Accounts/{id}",
           "delete an account that has never been used", envelope="Accounts",
           touches=(("accounts", "{id}"),), scope=SETTINGS),
    # contacts
    Action("contacts.list", "GET", "/Contacts", "list contacts",
           ("where", "order", "page", "searchTerm", "includeArchived"), envelope="Contacts"),
    Action("contacts.get", "GET", "/Contacts/{id}", "get one contact", envelope="Contacts"),
    Action("contacts.create", "PUT", "/Contacts", "create a contact", CONTACT_FIELDS,
           ("Name",), ENVELOPE, "Contacts", touches=CONTACT_IDS, scope=CONTACTS,
           params=NO_SUMMARY),
    Action("contacts.update", "POST", "/Contacts/{id}", "update a contact", CONTACT_FIELDS,
           body=ENVELOPE, envelope="Contacts", touches=CONTACT_IDS, scope=CONTACTS),
    Action("contacts.archive", "POST", "/Contacts/{id}", "archive a contact",
           body=ENVELOPE, envelope="Contacts", preset=_frozen(ContactStatus="ARCHIVED"),
           touches=CONTACT_IDS, scope=CONTACTS),
    # invoices
    Action("invoices.list", "GET", "/Invoices", "list invoices",
           ("where", "order", "page", "Statuses", "ContactIDs", "searchTerm"),
           envelope="Invoices", params=UNITDP),
    Action("invoices.get", "GET", "/Invoices/{id}", "get one invoice", envelope="Invoices",
           params=UNITDP),
    Action("invoices.create", "PUT", "/Invoices", "create a sales invoice or a bill",
           INVOICE_FIELDS, ("Type", "Contact", "LineItems"), ENVELOPE, "Invoices",
           touches=INVOICE_IDS + (("contacts", "Contact.ContactID"),),
           scope=TRANSACTIONS, params=BATCH),
    Action("invoices.update", "POST", "/Invoices/{id}", "update an invoice", INVOICE_FIELDS,
           body=ENVELOPE, envelope="Invoices", touches=INVOICE_IDS, scope=TRANSACTIONS,
           params=UNITDP),
    Action("invoices.void", "POST", "/Invoices/{id}",
           "void an approved invoice without payments", body=ENVELOPE, envelope="Invoices",
           preset=_frozen(Status="VOIDED"), touches=INVOICE_IDS, scope=TRANSACTIONS),
    Action("invoices.delete", "POST", "/Invoices/{id}", "delete a draft or submitted invoice",
           body=ENVELOPE, envelope="Invoices", preset=_frozen(Status="DELETED"),
           touches=INVOICE_IDS, scope=TRANSACTIONS),
    Action("invoices.email", "POST", "/Invoices/{id}/Email",
           "email an approved sales invoice to its contact", body=EMPTY,
           touches=INVOICE_BY_ID, scope=TRANSACTIONS),
    Action("invoices.online-url", "GET", "/Invoices/{id}/OnlineInvoice",
           "the customer-facing online invoice URL", envelope="OnlineInvoices"),
    # items
    Action("items.list", "GET", "/Items", "list items", ("where", "order"),
           envelope="Items", params=UNITDP),
    Action("items.get", "GET", "/Items/{id}", "get one item", envelope="Items", params=UNITDP),
    Action("items.create", "PUT", "/Items", "create an item", ITEM_FIELDS, ("Code",),
           ENVELOPE, "Items", touches=ITEM_IDS, scope=SETTINGS, params=BATCH),
    Action("items.update", "POST", "/Items/{id}", "update an item", ITEM_FIELDS,
           body=ENVELOPE, envelope="Items", touches=ITEM_IDS, scope=SETTINGS, params=UNITDP),
    Action("items.delete", "DELETE", "/Items/{id}", "delete an item",
           touches=(("items", "{id}"),), scope=SETTINGS),
    # payments
    Action("payments.list", "GET", "/Payments", "list payments", ("where", "order", "page"),
           envelope="Payments"),
    Action("payments.get", "GET", "/Payments/{id}", "get one payment", envelope="Payments"),
    Action("payments.create", "PUT", "/Payments",
           "pay an invoice (or refund a credit note) from a bank account", PAYMENT_FIELDS,
           ("Account", "Amount"), ENVELOPE, "Payments", touches=PAYMENT_TOUCHES,
           scope=TRANSACTIONS, params=NO_SUMMARY),
    Action("payments.reverse", "POST", "/Payments/{id}",
           "reverse (delete) a payment; the invoice is owed again", body=OBJECT,
           envelope="Payments", preset=_frozen(Status="DELETED"), touches=PAYMENT_TOUCHES,
           scope=TRANSACTIONS),
    # credit notes
    Action("credit-notes.create", "PUT", "/CreditNotes", "create a credit note",
           CREDIT_NOTE_FIELDS, ("Type", "Contact", "LineItems"), ENVELOPE, "CreditNotes",
           touches=(("credit_notes", "CreditNoteID"),), scope=TRANSACTIONS, params=BATCH),
    Action("credit-notes.allocate", "PUT", "/CreditNotes/{id}/Allocations",
           "allocate an approved credit note to an invoice", ("Invoice", "Amount", "Date"),
           ("Invoice", "Amount"), ENVELOPE, "Allocations",
           touches=(("credit_notes", "{id}"), ("invoices", "Invoice.InvoiceID")),
           scope=TRANSACTIONS, params=NO_SUMMARY),
    # connections
    Action("connections.list", "GET", "/connections",
           "the organisations the credentials reach"),
)
# fmt: on

# Xero's parent types with History (GET, and PUT for notes) and Attachments:
# (collection in Xero's path, action prefix, warehouse table, write scope)
HISTORY_TYPES = (
    ("BatchPayments", "batch-payments", "batch_payments", TRANSACTIONS),
    ("BankTransactions", "bank-transactions", "bank_transactions", TRANSACTIONS),
    ("BankTransfers", "bank-transfers", "bank_transfers", TRANSACTIONS),
    ("Contacts", "contacts", "contacts", CONTACTS),
    ("CreditNotes", "credit-notes", "credit_notes", TRANSACTIONS),
    ("ExpenseClaims", "expense-claims", "expense_claims", TRANSACTIONS),
    ("Invoices", "invoices", "invoices", TRANSACTIONS),
    ("Items", "items", "items", SETTINGS),
    ("ManualJournals", "manual-journals", "manual_journals", TRANSACTIONS),
    ("Overpayments", "overpayments", "overpayments", TRANSACTIONS),
    ("Payments", "payments", "payments", TRANSACTIONS),
    ("Prepayments", "prepayments", "prepayments", TRANSACTIONS),
    ("PurchaseOrders", "purchase-orders", "purchase_orders", TRANSACTIONS),
    ("Quotes", "quotes", "quotes", TRANSACTIONS),
    ("Receipts", "receipts", "receipts", TRANSACTIONS),
    ("RepeatingInvoices", "repeating-invoices", "repeating_invoices", TRANSACTIONS),
)
ATTACHMENT_TYPES = (
    ("Accounts", "accounts"),
    ("BankTransactions", "bank-transactions"),
    ("BankTransfers", "bank-transfers"),
    ("Contacts", "contacts"),
    ("CreditNotes", "credit-notes"),
    ("Invoices", "invoices"),
    ("ManualJournals", "manual-journals"),
    ("PurchaseOrders", "purchase-orders"),
    ("Quotes", "quotes"),
    ("Receipts", "receipts"),
    ("RepeatingInvoices", "repeating-invoices"),
)


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _history_actions() -> tuple[Action, ...]:
    actions = []
    for path, prefix, _table, scope in HISTORY_TYPES:
        one = _a(prefix.removesuffix("s").replace("-", " "))
        actions.append(Action(f"{prefix}.history", "GET", f"/{path}/{{id}}/History",
                              f"the history of {one}", envelope="HistoryRecords"))
        actions.append(Action(f"{prefix}.add-note", "PUT", f"/{path}/{{id}}/History",
                              f"add a note to the history of {one}", ("Details",),
                              ("Details",), ENVELOPE, "HistoryRecords", scope=scope))
    return tuple(actions)


def _attachment_actions() -> tuple[Action, ...]:
    actions = []
    for path, prefix in ATTACHMENT_TYPES:
        one = _a(prefix.removesuffix("s").replace("-", " "))
        base = f"/{path}/{{id}}/Attachments"
        actions.append(Action(f"{prefix}.attachments", "GET", base,
                              f"list the files attached to {one}", envelope="Attachments"))
        actions.append(Action(f"{prefix}.get-attachment", "GET", base + "/{FileName}",
                              f"download a file attached to {one} (to --field out=PATH)",
                              ("FileName", "out"), ("FileName",)))
        actions.append(Action(f"{prefix}.attach", "PUT", base + "/{FileName}",
                              f"upload a file (--field file=PATH) to {one}",
                              ("file", "FileName", "IncludeOnline"), ("file",), FILE,
                              "Attachments", scope=ATTACHMENTS))
    return tuple(actions)


def catalogue() -> dict[str, Action]:
    """Every action by name."""
    actions = BASE_ACTIONS + _history_actions() + _attachment_actions()
    return {action.name: action for action in sorted(actions, key=lambda a: a.name)}
