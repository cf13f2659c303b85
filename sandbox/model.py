"""In-memory model of Xero organisations: tenants, collections, a clock and the mutations.

Records are Xero-shaped dicts (PascalCase keys as in the Accounting OpenAPI spec) holding Python
values: Decimal for money, aware UTC datetime for x-is-msdate-time fields, date for x-is-msdate
fields. Collections store each record as its Xero JSON (full-precision unit amounts): that is
compact, serving it costs nothing, and every `get` decodes a private copy. The 2-decimal variant
of the few records with 4-decimal unit amounts is cached separately, within a byte budget.
"""

from __future__ import annotations

import bisect
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sandbox import generate, wire
from sandbox.ledger import ACCOUNT_CLASS, CREDIT_KEYS, Ledger, bank_for, contact_ref

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ChangeListener = Callable[[str, str, str, str], None]


class SandboxError(Exception):
    """Base class of the model's errors."""


class SandboxValidationError(SandboxError):
    """A write Xero would refuse with a ValidationException (HTTP 400)."""

    def __init__(self, message: str, *messages: str):
        super().__init__(message)
        self.messages = [message, *messages]


class RecordNotFoundError(SandboxError, KeyError):
    """The record (or collection) does not exist (HTTP 404)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


@dataclass(frozen=True)
class CollectionSpec:
    """How one Xero collection is keyed and ordered."""

    name: str  # envelope key, e.g. "Invoices"
    primary_key: str | None  # None: singleton without an id (InvoiceReminders)
    timestamp: str | None  # UpdatedDateUTC, CreatedDateUTC or None
    hard_delete: bool = False


COLLECTION_SPECS: tuple[CollectionSpec, ...] = (
    CollectionSpec("Accounts", "AccountID", "UpdatedDateUTC", hard_delete=True),
    CollectionSpec("BankTransactions", "BankTransactionID", "UpdatedDateUTC"),
    CollectionSpec("BankTransfers", "BankTransferID", "CreatedDateUTC"),
    CollectionSpec("BatchPayments", "BatchPaymentID", "UpdatedDateUTC"),
    CollectionSpec("BrandingThemes", "BrandingThemeID", "CreatedDateUTC"),
    CollectionSpec("Budgets", "BudgetID", "UpdatedDateUTC"),
    CollectionSpec("ContactGroups", "ContactGroupID", None),
    CollectionSpec("Contacts", "ContactID", "UpdatedDateUTC"),
    CollectionSpec("CreditNotes", "CreditNoteID", "UpdatedDateUTC"),
    CollectionSpec("Currencies", "Code", None),
    CollectionSpec("ExpenseClaims", "ExpenseClaimID", "UpdatedDateUTC"),
    CollectionSpec("InvoiceReminders", None, None),
    CollectionSpec("Invoices", "InvoiceID", "UpdatedDateUTC"),
    CollectionSpec("Items", "ItemID", "UpdatedDateUTC", hard_delete=True),
    CollectionSpec("Journals", "JournalID", "CreatedDateUTC"),
    CollectionSpec("LinkedTransactions", "LinkedTransactionID", "UpdatedDateUTC", hard_delete=True),
    CollectionSpec("ManualJournals", "ManualJournalID", "UpdatedDateUTC"),
    CollectionSpec("Organisations", "OrganisationID", "CreatedDateUTC"),
    CollectionSpec("Actions", "Name", None),
    CollectionSpec("Overpayments", "OverpaymentID", "UpdatedDateUTC"),
    CollectionSpec("PaymentServices", "PaymentServiceID", None),
    CollectionSpec("Payments", "PaymentID", "UpdatedDateUTC"),
    CollectionSpec("Prepayments", "PrepaymentID", "UpdatedDateUTC"),
    CollectionSpec("PurchaseOrders", "PurchaseOrderID", "UpdatedDateUTC"),
    CollectionSpec("Quotes", "QuoteID", "UpdatedDateUTC"),
    CollectionSpec("Receipts", "ReceiptID", "UpdatedDateUTC"),
    CollectionSpec("RepeatingInvoices", "RepeatingInvoiceID", None),
    CollectionSpec("TaxRates", "TaxType", None),
    CollectionSpec("TrackingCategories", "TrackingCategoryID", None, hard_delete=True),
    CollectionSpec("Users", "UserID", "UpdatedDateUTC"),
)
SPECS_BY_NAME = {spec.name: spec for spec in COLLECTION_SPECS}
COLLECTION_NAMES = tuple(spec.name for spec in COLLECTION_SPECS)
SINGLETON_KEY = "Settings"  # the one InvoiceReminders record is stored under this key
DEFAULT_WIRE_CACHE = 256 * 1024 * 1024  # bytes of cached 2-decimal JSON per sandbox


def to_millis(value: datetime) -> datetime:
    """Truncate to whole milliseconds: Xero timestamps carry ms, and the wire form round-trips."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


class Clock:
    """The sandbox's notion of now: real UTC time by default, or frozen / shifted for tests."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            base = self._frozen if self._frozen is not None else datetime.now(UTC)
            return to_millis(base + self._offset)

    def freeze(self, at: datetime | None = None) -> None:
        """Stop the clock at `at` (default: the current reading)."""
        with self._lock:
            if at is None:
                at = (self._frozen or datetime.now(UTC)) + self._offset
            if at.tzinfo is None:
                raise ValueError("freeze() needs an aware datetime")
            self._frozen = at.astimezone(UTC)
            self._offset = timedelta()

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen = None
            self._offset = timedelta()

    def advance(self, seconds: float = 0.0, **kwargs: float) -> datetime:
        """Move the clock forward (frozen or not); kwargs as for timedelta."""
        with self._lock:
            self._offset += timedelta(seconds=seconds, **kwargs)
        return self.now()

    @property
    def frozen(self) -> bool:
        return self._frozen is not None


class Collection:
    """One Xero collection of one tenant, ordered by (timestamp, primary key)."""

    def __init__(self, spec: CollectionSpec, tenant: Tenant):
        self.spec = spec
        self.name = spec.name
        self.primary_key = spec.primary_key
        self.timestamp_field = spec.timestamp
        self._tenant = tenant
        self._rows: dict[str, bytes] = {}
        self._keys: dict[str, tuple[datetime, str]] = {}
        self._order: list[tuple[datetime, str]] = []
        self._fine: set[str] = set()  # records whose unit amounts have 4 decimals
        self._wire: dict[str, bytes] = {}  # their 2-decimal wire form
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._rows

    def __repr__(self) -> str:
        return f"<Collection {self.name} of {self._tenant.name!r}: {len(self)} records>"

    # -- reading -----------------------------------------------------------------------------------
    def get(self, record_id: str) -> dict | None:
        """A private copy of the record, or None."""
        blob = self._rows.get(self._normalise_id(record_id))
        return None if blob is None else wire.loads_record(blob)

    def records(self) -> Iterator[dict]:
        """All records ordered by (UpdatedDateUTC or CreatedDateUTC, primary key) ascending."""
        for record_id in self.ids():
            blob = self._rows.get(record_id)
            if blob is not None:
                yield wire.loads_record(blob)

    def modified_since(self, since: datetime) -> Iterator[dict]:
        """Records whose timestamp is >= `since` truncated to the second, in records() order.

        Collections without a timestamp ignore the filter, as Xero does.
        """
        for record_id in self.ids(since):
            blob = self._rows.get(record_id)
            if blob is not None:
                yield wire.loads_record(blob)

    def ids(self, since: datetime | None = None) -> list[str]:
        """Primary keys in records() order (optionally If-Modified-Since filtered): page by
        slicing this list and fetching the page's records with get()."""
        with self._lock:
            if since is None or self.timestamp_field is None:
                return [record_id for _, record_id in self._order]
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            floor = since.astimezone(UTC).replace(microsecond=0)
            start = bisect.bisect_left(self._order, (floor, ""))
            return [record_id for _, record_id in self._order[start:]]

    def wire_bytes(self, record_id: str, unitdp: int | None = None) -> bytes:
        """The record's Xero JSON as sandbox.wire.dumps_record(name, record, unitdp=unitdp)
        would write it, without serializing again."""
        record_id = self._normalise_id(record_id)
        data = self._rows.get(record_id)
        if data is None:
            raise RecordNotFoundError(f"{self.name}/{record_id}")
        if unitdp == 4 or record_id not in self._fine:
            return data
        cached = self._wire.get(record_id)
        if cached is not None:
            return cached
        rounded = wire.dumps_record(self.name, wire.loads_record(data), unitdp=None)
        if self._tenant.sandbox._reserve_wire(len(rounded)):
            self._wire[record_id] = rounded
        return rounded

    # -- writing (used by Tenant; mutations go through Tenant so consistency holds) ------------
    def _normalise_id(self, record_id: object) -> str:
        if self.primary_key is None:
            return SINGLETON_KEY
        if isinstance(record_id, uuid.UUID):
            return str(record_id)
        if isinstance(record_id, str) and len(record_id) == 36 and record_id not in self._rows:
            return record_id.lower()
        return record_id  # type: ignore[return-value]

    def _record_id(self, record: dict) -> str:
        if self.primary_key is None:
            return SINGLETON_KEY
        return str(record[self.primary_key])

    def _sort_key(self, record: dict, record_id: str) -> tuple[datetime, str]:
        stamp = record.get(self.timestamp_field) if self.timestamp_field else None
        return (stamp or EPOCH, record_id)

    def _encode(self, record_id: str, record: dict) -> bytes:
        if wire.has_fine_units(self.name, record):
            self._fine.add(record_id)
        else:
            self._fine.discard(record_id)
        return wire.dumps_record(self.name, record, unitdp=4)

    def _bulk_load(self, records: Iterator[dict] | list[dict]) -> None:
        """Add many records at once (generation); sorts once at the end."""
        with self._lock:
            for record in records:
                record_id = self._record_id(record)
                self._rows[record_id] = self._encode(record_id, record)
                self._keys[record_id] = self._sort_key(record, record_id)
            self._order = sorted(self._keys.values())

    def _append(self, record: dict) -> None:
        """Store a record without ordering it (generation); call _sort() when done."""
        record_id = self._record_id(record)
        self._rows[record_id] = self._encode(record_id, record)
        self._keys[record_id] = self._sort_key(record, record_id)

    def _sort(self) -> None:
        with self._lock:
            self._order = sorted(self._keys.values())

    def _put(self, record: dict) -> str:
        with self._lock:
            record_id = self._record_id(record)
            old = self._keys.get(record_id)
            if old is not None:
                index = bisect.bisect_left(self._order, old)
                if index < len(self._order) and self._order[index] == old:
                    del self._order[index]
            key = self._sort_key(record, record_id)
            self._rows[record_id] = self._encode(record_id, record)
            self._keys[record_id] = key
            if not self._order or self._order[-1] <= key:
                self._order.append(key)
            else:
                bisect.insort(self._order, key)
            self._forget_wire(record_id)
            return record_id

    def _remove(self, record_id: str) -> None:
        with self._lock:
            old = self._keys.pop(record_id, None)
            self._rows.pop(record_id, None)
            self._fine.discard(record_id)
            if old is not None:
                index = bisect.bisect_left(self._order, old)
                if index < len(self._order) and self._order[index] == old:
                    del self._order[index]
            self._forget_wire(record_id)

    def _forget_wire(self, record_id: str) -> None:
        data = self._wire.pop(record_id, None)
        if data is not None:
            self._tenant.sandbox._release_wire(len(data))


class Tenant:
    """One Xero organisation: its collections and the writes the API allows on them."""

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        tenant_id: str,
        name: str,
        base_currency: str,
        timezone: str,
        connection_id: str,
        profile: object = None,
    ):
        self.sandbox = sandbox
        self.tenant_id = tenant_id
        self.name = name
        self.base_currency = base_currency
        self.timezone = timezone
        self.connection_id = connection_id
        self.profile = profile
        self._collections = {spec.name: Collection(spec, self) for spec in COLLECTION_SPECS}
        self.lock = threading.RLock()
        # counters and lookups kept by the ledger (sandbox.ledger.Ledger)
        self.ledger: object = None

    def __repr__(self) -> str:
        return f"<Tenant {self.name!r} {self.tenant_id} {self.base_currency}>"

    @property
    def collections(self) -> dict[str, Collection]:
        return dict(self._collections)

    def collection(self, name: str) -> Collection:
        try:
            return self._collections[name]
        except KeyError:
            raise RecordNotFoundError(f"no collection {name!r}") from None

    # -- mutations ---------------------------------------------------------------------------------
    def create(self, collection: str, payload: dict) -> dict:
        with self.lock:
            return self._ops().create(collection, payload)

    def update(self, collection: str, record_id: str, changes: dict) -> dict:
        with self.lock:
            return self._ops().update(collection, record_id, changes)

    def delete(self, collection: str, record_id: str) -> dict | None:
        """Hard delete where Xero has DELETE (returns None), else Status DELETED (returns it)."""
        with self.lock:
            return self._ops().delete(collection, record_id)

    def void(self, collection: str, record_id: str) -> dict:
        with self.lock:
            return self._ops().void(collection, record_id)

    def archive(self, collection: str, record_id: str) -> dict:
        with self.lock:
            return self._ops().archive(collection, record_id)

    def add_payment(
        self,
        invoice_id: str,
        amount: Decimal,
        date: date,
        account_code: str | None = None,
        *,
        currency_rate: Decimal | None = None,
        reference: str | None = None,
    ) -> dict:
        with self.lock:
            return self._ops().add_payment(
                invoice_id,
                Decimal(amount),
                date,
                account_code=account_code,
                currency_rate=currency_rate,
                reference=reference,
            )

    def allocate(
        self, credit_collection: str, credit_id: str, invoice_id: str, amount: Decimal, date: date
    ) -> dict:
        with self.lock:
            return self._ops().allocate(
                credit_collection, credit_id, invoice_id, Decimal(amount), date
            )

    def delete_allocation(self, credit_collection: str, credit_id: str, allocation_id: str) -> dict:
        """Remove an allocation (Xero: DELETE .../Allocations/{id}); it stays with IsDeleted."""
        with self.lock:
            return self._ops().delete_allocation(credit_collection, credit_id, allocation_id)

    def _ops(self):
        return Operations(self)

    # -- used by the ledger ------------------------------------------------------------------------
    def _store(self, collection: str, record: dict, event: str | None) -> None:
        coll = self._collections[collection]
        record_id = coll._put(record)
        if event is not None:
            self.sandbox._notify(self.tenant_id, collection, record_id, event)


class Sandbox:
    """A set of generated Xero organisations, deterministic from `seed` and `anchor`.

    scale: "small" (a few hundred rows per tenant), "medium" (~50k rows in total), "large"
    (>= 1,000,000 rows in total) or an int (approximate total rows).
    cache_wire: keep the 2-decimal JSON of records with 4-decimal unit amounts once written
    (True: up to DEFAULT_WIRE_CACHE bytes; an int: that many bytes; False: never).
    """

    def __init__(
        self,
        tenants: int = 2,
        scale: str | int = "small",
        seed: int = 42,
        anchor: date | None = None,
        *,
        cache_wire: bool | int = True,
    ):
        self.seed = seed
        self.scale = scale
        self.anchor = anchor or datetime.now(UTC).date()
        self.clock = Clock()
        # bytes of serialized records kept for reuse (True: DEFAULT_WIRE_CACHE, False: none)
        if cache_wire is True:
            cache_wire = DEFAULT_WIRE_CACHE
        self.wire_cache_budget = int(cache_wire or 0)
        self._wire_cached = 0
        self._wire_lock = threading.Lock()
        self._listeners: list[ChangeListener] = []
        self._listeners_lock = threading.Lock()
        self.tenants: list[Tenant] = []
        for plan in generate.tenant_plans(tenants, scale, seed):
            tenant = Tenant(
                self,
                tenant_id=plan.tenant_id,
                name=plan.name,
                base_currency=plan.profile.base_currency,
                timezone=plan.profile.timezone,
                connection_id=plan.connection_id,
                profile=plan.profile,
            )
            generate.fill_tenant(tenant, plan, self.anchor)
            self.add_tenant(tenant)
        self._by_id = {t.tenant_id: t for t in self.tenants}

    def __repr__(self) -> str:
        return f"<Sandbox {len(self.tenants)} tenants scale={self.scale!r} seed={self.seed}>"

    def _reserve_wire(self, size: int) -> bool:
        with self._wire_lock:
            if self._wire_cached + size > self.wire_cache_budget:
                return False
            self._wire_cached += size
            return True

    def _release_wire(self, size: int) -> None:
        with self._wire_lock:
            self._wire_cached -= size

    def tenant(self, tenant_id: str) -> Tenant | None:
        return self._by_id.get(str(tenant_id).lower())

    def add_tenant(self, tenant: Tenant) -> None:
        self.tenants.append(tenant)
        self._by_id = {t.tenant_id: t for t in self.tenants}

    def add_change_listener(self, listener: ChangeListener) -> None:
        """listener(tenant_id, collection, record_id, "CREATE" | "UPDATE") after every write."""
        with self._listeners_lock:
            self._listeners.append(listener)

    def remove_change_listener(self, listener: ChangeListener) -> None:
        with self._listeners_lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def _notify(self, tenant_id: str, collection: str, record_id: str, event: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(tenant_id, collection, record_id, event)
            except Exception:
                logger.exception("change listener failed for %s %s", collection, record_id)

    def total_rows(self) -> int:
        return sum(len(c) for t in self.tenants for c in t._collections.values())


# ----------------------------------------------------------------------------------------------
# Writes: what the Accounting API's PUT/POST/DELETE do to the model
# ----------------------------------------------------------------------------------------------
LINE_DOCUMENTS = (
    "Invoices",
    "CreditNotes",
    "BankTransactions",
    "Quotes",
    "PurchaseOrders",
    "Receipts",
    "RepeatingInvoices",
)
INVOICE_TYPES = ("ACCREC", "ACCPAY")
LINE_AMOUNT_TYPES = {"EXCLUSIVE": "Exclusive", "INCLUSIVE": "Inclusive", "NOTAX": "NoTax"}
CREDIT_NOTE_TYPES = ("ACCRECCREDIT", "ACCPAYCREDIT")
CREDIT_COLLECTIONS = ("CreditNotes", "Overpayments", "Prepayments")
VOIDABLE = (
    "Invoices",
    "CreditNotes",
    "BankTransactions",
    "ManualJournals",
    "Overpayments",
    "Prepayments",
    "Receipts",
    "ExpenseClaims",
)
ARCHIVABLE = ("Contacts", "Accounts", "TrackingCategories", "ManualJournals", "TaxRates")
SOFT_DELETE_STATUS = {
    "Invoices": ("DRAFT", "SUBMITTED"),
    "CreditNotes": ("DRAFT", "SUBMITTED"),
    "ManualJournals": ("DRAFT",),
    "Quotes": None,
    "PurchaseOrders": None,
    "RepeatingInvoices": None,
    "BankTransactions": None,
    "BankTransfers": None,
    "Payments": None,
    "BatchPayments": None,
    "ContactGroups": None,
    "Receipts": ("DRAFT", "SUBMITTED"),
    "ExpenseClaims": ("SUBMITTED",),
    "TaxRates": None,
    "Budgets": None,
}
# a Status sent with an update that is really a void, delete or archive
STATUS_WRITES = {
    "Invoices": ("VOIDED", "DELETED"),
    "CreditNotes": ("VOIDED", "DELETED"),
    "BankTransactions": ("VOIDED", "DELETED"),
    "ManualJournals": ("VOIDED", "DELETED", "ARCHIVED"),
}
# what a payment pays: (its field, the collection, that collection's key)
PAYMENT_TARGETS = (
    ("Invoice", "Invoices", "InvoiceID"),
    ("CreditNote", "CreditNotes", "CreditNoteID"),
    ("Overpayment", "Overpayments", "OverpaymentID"),
    ("Prepayment", "Prepayments", "PrepaymentID"),
)
# fields an update copies as they are
INVOICE_EDITS = (
    "Reference",
    "InvoiceNumber",
    "SentToContact",
    "BrandingThemeID",
    "Url",
    "LineAmountTypes",
    "CurrencyCode",
)
CREDIT_NOTE_EDITS = ("Reference", "CreditNoteNumber", "BrandingThemeID")
READ_ONLY_FIELDS = (
    "AmountDue",
    "AmountPaid",
    "AmountCredited",
    "SubTotal",
    "TotalTax",
    "Total",
    "Payments",
    "CreditNotes",
    "Overpayments",
    "Prepayments",
    "Allocations",
    "UpdatedDateUTC",
    "FullyPaidOnDate",
    "RemainingCredit",
    "HasErrors",
)


def _money(value: object) -> Decimal:
    try:
        amount = wire.parse_decimal(value)
    except ValueError as error:
        raise SandboxValidationError(str(error)) from None
    if amount is None:
        raise SandboxValidationError("An amount is required")
    return amount


def _day(value: object, default: date | None = None) -> date | None:
    try:
        parsed = wire.parse_date(value)
    except ValueError as error:
        raise SandboxValidationError(str(error)) from None
    return parsed if parsed is not None else default


def _typed_dates(record: dict) -> dict:
    """A request's top-level dates and timestamps as date and datetime values."""
    for key in wire.DATE_FIELDS.intersection(record):
        record[key] = _day(record[key])
    for key in wire.DATETIME_FIELDS.intersection(record):
        try:
            record[key] = wire.parse_datetime(record[key])
        except ValueError as error:
            raise SandboxValidationError(str(error)) from None
    return record


class Operations:
    """One write against one tenant (the caller holds the tenant's lock)."""

    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        self.ledger: Ledger = tenant.ledger  # type: ignore[assignment]
        self.now = tenant.sandbox.clock.now()

    # -- helpers -----------------------------------------------------------------------------------
    def coll(self, name: str) -> Collection:
        return self.tenant.collection(name)

    def load(self, collection: str, record_id: str) -> dict:
        record = self.coll(collection).get(record_id)
        if record is None:
            raise RecordNotFoundError(f"{collection}/{record_id} not found")
        return record

    def save(self, collection: str, record: dict, event: str) -> dict:
        spec = SPECS_BY_NAME[collection]
        if spec.timestamp == "UpdatedDateUTC":
            record["UpdatedDateUTC"] = self.now
        self.tenant._store(collection, record, event)
        return record

    def today(self) -> date:
        return self.now.date()

    def find_contact(self, ref: dict | None) -> dict:
        if not ref:
            raise SandboxValidationError("A Contact must be specified for this type of transaction")
        contacts = self.coll("Contacts")
        if ref.get("ContactID"):
            contact = contacts.get(str(ref["ContactID"]))
            if contact is None:
                raise SandboxValidationError(f"Contact {ref['ContactID']} could not be found")
            return contact
        name = ref.get("Name")
        if not name:
            raise SandboxValidationError("A Contact must be specified for this type of transaction")
        for contact_id in self.contacts_named(name):
            contact = contacts.get(contact_id)
            if contact is not None and contact["Name"] == name:
                return contact
        return self.create_contact({"Name": name})

    def find_account(self, ref: dict | str | None, *, bank: bool = False) -> dict:
        accounts = self.ledger.accounts_by_code
        if isinstance(ref, str):
            ref = {"Code": ref}
        ref = ref or {}
        account = None
        if ref.get("AccountID"):
            account = self.coll("Accounts").get(str(ref["AccountID"]))
        elif ref.get("Code"):
            account = accounts.get(str(ref["Code"]))
        if account is None:
            if not ref and bank:
                return self.ledger.bank_accounts[0]
            raise SandboxValidationError("Account could not be found")
        if bank and not (account["Type"] == "BANK" or account.get("EnablePaymentsToAccount")):
            raise SandboxValidationError(
                "Account type is invalid for making a payment to/from", account["Code"]
            )
        return account

    def line_specs(self, lines: list[dict] | None) -> list[dict]:
        specs = []
        for line in lines or []:
            spec = dict(line)
            for field in ("Quantity", "UnitAmount", "LineAmount", "TaxAmount", "DiscountRate"):
                if spec.get(field) is not None:
                    spec[field] = _money(spec[field])
            if spec.get("ItemCode") and not spec.get("UnitAmount"):
                for item in self.coll("Items").records():
                    if item["Code"] == spec["ItemCode"]:
                        spec.setdefault("Description", item.get("Description", ""))
                        details = item.get("SalesDetails") or {}
                        spec["UnitAmount"] = details.get("UnitPrice")
                        spec.setdefault("AccountCode", details.get("AccountCode"))
                        spec.setdefault("TaxType", details.get("TaxType"))
                        break
            code = spec.get("AccountCode")
            if code and code not in self.ledger.accounts_by_code:
                raise SandboxValidationError(
                    f"Account code '{code}' is not a valid code for this document."
                )
            if code and not spec.get("TaxType"):  # Xero falls back to the account's tax type
                spec["TaxType"] = self.ledger.accounts_by_code[code].get("TaxType")
            specs.append(spec)
        return specs

    def notify(self, collection: str, record_id: str, event: str = "UPDATE") -> None:
        self.tenant.sandbox._notify(self.tenant.tenant_id, collection, record_id, event)

    def new_status(self, payload: dict, what: str) -> str:
        status = payload.get("Status") or "DRAFT"
        if status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
            raise SandboxValidationError(f"{what} cannot be created with status {status}")
        return status

    def currency_of(self, payload: dict, default: str | None) -> str:
        return payload.get("CurrencyCode") or default or self.tenant.base_currency

    def rate_of(self, payload: dict, currency: str, day: date) -> Decimal:
        rate = payload.get("CurrencyRate")
        return _money(rate) if rate is not None else self.ledger.currency_rate(currency, day)

    def status_action(self, collection: str, record_id: str, changes: dict) -> dict | None:
        """Setting Status to VOIDED, DELETED or ARCHIVED is a void, delete or archive."""
        target = changes.get("Status")
        if target not in STATUS_WRITES.get(collection, ()):
            return None
        if self.load(collection, record_id)["Status"] == target:
            return None
        if target == "VOIDED":
            return self.void(collection, record_id)
        if target == "DELETED":
            return self.delete(collection, record_id)
        return self.archive(collection, record_id)

    def check_editable(self, status: str) -> None:
        if status in ("VOIDED", "DELETED"):
            raise SandboxValidationError(
                f"This document cannot be edited as it has a status of {status}."
            )

    # -- create / update ---------------------------------------------------------------------------
    def create(self, collection: str, payload: dict) -> dict:
        spec = SPECS_BY_NAME.get(collection)
        if spec is None:
            raise RecordNotFoundError(f"no collection {collection!r}")
        if (
            spec.primary_key
            and payload.get(spec.primary_key)
            and payload[spec.primary_key] in self.coll(collection)
        ):
            return self.update(collection, payload[spec.primary_key], payload)
        handler = getattr(self, f"create_{_snake(collection)}", None)
        if handler is not None:
            return handler(payload)
        return self.create_generic(collection, payload)

    def update(self, collection: str, record_id: str, changes: dict) -> dict:
        record_id = str(record_id)
        done = self.status_action(collection, record_id, changes)
        if done is not None:
            return done
        handler = getattr(self, f"update_{_snake(collection)}", None)
        if handler is not None:
            return handler(record_id, changes)
        return self.update_generic(collection, record_id, changes)

    def create_generic(self, collection: str, payload: dict) -> dict:
        spec = SPECS_BY_NAME[collection]
        record = _typed_dates(dict(payload))
        if spec.primary_key and not record.get(spec.primary_key):
            record[spec.primary_key] = self.ledger.new_id()
        if spec.timestamp == "CreatedDateUTC":
            record.setdefault("CreatedDateUTC", self.now)
        if collection in LINE_DOCUMENTS and "LineItems" in record:
            self.recompute_lines(collection, record)
        return self.save(collection, record, "CREATE")

    def update_generic(self, collection: str, record_id: str, changes: dict) -> dict:
        record = self.load(collection, record_id)
        spec = SPECS_BY_NAME[collection]
        for key, value in _typed_dates(dict(changes)).items():
            if key == spec.primary_key or key in READ_ONLY_FIELDS:
                continue
            record[key] = value
        if collection in LINE_DOCUMENTS and "LineItems" in changes:
            self.recompute_lines(collection, record)
        return self.save(collection, record, "UPDATE")

    def recompute_lines(self, collection: str, record: dict) -> None:
        given = str(record.get("LineAmountTypes") or "Exclusive")
        line_amount_types = LINE_AMOUNT_TYPES.get(given.upper(), given)
        # Quotes spell the same values in capitals (the spec's QuoteLineAmountTypes)
        upper = collection == "Quotes"
        record["LineAmountTypes"] = line_amount_types.upper() if upper else line_amount_types
        self.ledger.set_lines(record, self.line_specs(record.get("LineItems")), line_amount_types)

    # contacts
    def create_contacts(self, payload: dict) -> dict:
        return self.create_contact(payload)

    def create_contact(self, payload: dict) -> dict:
        name = (payload.get("Name") or "").strip()
        if not name:
            raise SandboxValidationError("The contact name must be specified")
        self.check_unique_name(name, None)
        record = {
            "ContactID": self.ledger.new_id(),
            "ContactStatus": "ACTIVE",
            "Name": name,
            "Addresses": [],
            "Phones": [],
            "ContactGroups": [],
            "ContactPersons": [],
            "IsSupplier": False,
            "IsCustomer": False,
            "DefaultCurrency": self.tenant.base_currency,
            "HasAttachments": False,
            "HasValidationErrors": False,
        }
        _merge(record, payload, skip=("ContactID", "UpdatedDateUTC", "Balances"))
        record["Name"] = name
        self.save("Contacts", record, "CREATE")
        self.index_contact(record)
        return record

    def update_contacts(self, record_id: str, changes: dict) -> dict:
        record = self.load("Contacts", record_id)
        old_name = record["Name"]
        if "Name" in changes:
            name = (changes["Name"] or "").strip()
            if not name:
                raise SandboxValidationError("The contact name must be specified")
            changes = {**changes, "Name": name}
            if name != old_name:
                self.check_unique_name(name, record["ContactID"])
        _merge(record, changes, skip=("ContactID", "UpdatedDateUTC", "Balances"))
        if record.get("ContactStatus") not in ("ACTIVE", "ARCHIVED", "GDPRREQUEST"):
            raise SandboxValidationError("Invalid ContactStatus")
        self.save("Contacts", record, "UPDATE")
        self.index_contact(record, old_name)
        return record

    def contacts_named(self, name: str) -> list[str]:
        """Ids of the contacts with this name (an index kept with the ledger)."""
        index = self.ledger.contact_names
        if index is None:
            index = {}
            for contact in self.coll("Contacts").records():
                index.setdefault(contact["Name"], []).append(contact["ContactID"])
            self.ledger.contact_names = index
        return list(index.get(name, ()))

    def index_contact(self, contact: dict, old_name: str | None = None) -> None:
        index = self.ledger.contact_names
        if index is None:
            return
        if old_name is not None and contact["ContactID"] in index.get(old_name, ()):
            index[old_name].remove(contact["ContactID"])
        ids = index.setdefault(contact["Name"], [])
        if contact["ContactID"] not in ids:
            ids.append(contact["ContactID"])

    def check_unique_name(self, name: str, contact_id: str | None) -> None:
        for other_id in self.contacts_named(name):
            other = self.coll("Contacts").get(other_id)
            if (
                other_id != contact_id
                and other is not None
                and other["Name"] == name
                and other.get("ContactStatus") != "ARCHIVED"
            ):
                raise SandboxValidationError(
                    f"The contact name {name} is already assigned to another contact. "
                    "The contact name must be unique across all active contacts."
                )

    # invoices
    def create_invoices(self, payload: dict) -> dict:
        kind = payload.get("Type")
        if kind not in INVOICE_TYPES:
            raise SandboxValidationError("Invoice Type must be ACCREC or ACCPAY")
        status = self.new_status(payload, "Invoice")
        contact = self.find_contact(payload.get("Contact"))
        day = _day(payload.get("Date"), self.today())
        due = _day(payload.get("DueDate"))
        if status == "AUTHORISED" and due is None:
            raise SandboxValidationError("Due Date is required.")
        specs = self.line_specs(payload.get("LineItems"))
        if status == "AUTHORISED" and not specs:
            raise SandboxValidationError("At least one line item is required to approve an invoice")
        currency = self.currency_of(payload, contact.get("DefaultCurrency"))
        if self.coll("Currencies").get(currency) is None:
            raise SandboxValidationError(
                f"The currency {currency} is not enabled for this organisation"
            )
        rate = self.rate_of(payload, currency, day)
        number = payload.get("InvoiceNumber")
        if not number and kind == "ACCREC":
            number = f"INV-{self.ledger.next_number('INV'):05d}"
        invoice = self.ledger.invoice_record(
            kind=kind,
            contact=contact,
            day=day,
            due=due,
            status=status,
            currency=currency,
            rate=rate,
            specs=specs,
            line_amount_types=payload.get("LineAmountTypes") or "Exclusive",
            number=number,
            reference=payload.get("Reference") or "",
            stamp=self.now,
            invoice_id=payload.get("InvoiceID"),
        )
        for key in (
            "SentToContact",
            "ExpectedPaymentDate",
            "PlannedPaymentDate",
            "BrandingThemeID",
            "Url",
        ):
            if key in payload:
                invoice[key] = _day(payload[key]) if key.endswith("Date") else payload[key]
        invoice.setdefault("SentToContact", False)
        if status == "AUTHORISED":
            self.ledger.post_invoice(invoice, self.now)
        return self.save("Invoices", invoice, "CREATE")

    def update_invoices(self, record_id: str, changes: dict) -> dict:
        invoice = self.load("Invoices", record_id)
        status = invoice["Status"]
        target = changes.get("Status", status)
        self.check_editable(status)
        editing_lines = any(
            key in changes
            for key in (
                "LineItems",
                "LineAmountTypes",
                "CurrencyRate",
                "Contact",
                "Date",
                "CurrencyCode",
            )
        )
        posted = status in ("AUTHORISED", "PAID")
        settled = invoice["Payments"] or any(invoice[key] for key in CREDIT_COLLECTIONS)
        if editing_lines and posted and settled:
            raise SandboxValidationError(
                "Invoice not of valid status for modification",
                "This document cannot be edited as it has a payment or credit note allocated.",
            )
        if target not in ("DRAFT", "SUBMITTED", "AUTHORISED", "PAID"):
            raise SandboxValidationError(f"Invalid status {target}")
        if posted and target in ("DRAFT", "SUBMITTED"):
            raise SandboxValidationError("An approved invoice cannot be moved back to draft")
        if editing_lines and posted:
            self.ledger.post_invoice(invoice, self.now, reverse=True)
        if "Contact" in changes:
            invoice["Contact"] = contact_ref(self.find_contact(changes["Contact"]))
        for key in ("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate"):
            if key in changes:
                invoice[key] = _day(changes[key])
        _take(invoice, changes, INVOICE_EDITS)
        if "CurrencyRate" in changes:
            invoice["CurrencyRate"] = _money(changes["CurrencyRate"])
        if "LineItems" in changes or "LineAmountTypes" in changes:
            specs = self.line_specs(changes.get("LineItems", invoice["LineItems"]))
            self.ledger.set_lines(invoice, specs, invoice["LineAmountTypes"])
        if target == "AUTHORISED" and status in ("DRAFT", "SUBMITTED"):
            if invoice.get("DueDate") is None:
                raise SandboxValidationError("Due Date is required.")
            if not invoice["LineItems"]:
                raise SandboxValidationError(
                    "At least one line item is required to approve an invoice"
                )
            invoice["Status"] = "AUTHORISED"
            self.ledger.post_invoice(invoice, self.now)
        elif target in ("DRAFT", "SUBMITTED"):
            invoice["Status"] = target
        elif editing_lines and posted:
            self.ledger.post_invoice(invoice, self.now)
        self.ledger.refresh_invoice(invoice)
        return self.save("Invoices", invoice, "UPDATE")

    # credit notes
    def create_credit_notes(self, payload: dict) -> dict:
        kind = payload.get("Type")
        if kind not in CREDIT_NOTE_TYPES:
            raise SandboxValidationError("Credit note Type must be ACCRECCREDIT or ACCPAYCREDIT")
        status = self.new_status(payload, "Credit note")
        contact = self.find_contact(payload.get("Contact"))
        day = _day(payload.get("Date"), self.today())
        currency = self.currency_of(payload, contact.get("DefaultCurrency"))
        rate = self.rate_of(payload, currency, day)
        credit = self.ledger.credit_note_record(
            kind=kind,
            contact=contact,
            day=day,
            status=status,
            currency=currency,
            rate=rate,
            specs=self.line_specs(payload.get("LineItems")),
            line_amount_types=payload.get("LineAmountTypes") or "Exclusive",
            reference=payload.get("Reference") or "",
            stamp=self.now,
            number=payload.get("CreditNoteNumber"),
            credit_note_id=payload.get("CreditNoteID"),
        )
        if status == "AUTHORISED":
            self.ledger.post_credit_note(credit, self.now)
        return self.save("CreditNotes", credit, "CREATE")

    def update_credit_notes(self, record_id: str, changes: dict) -> dict:
        credit = self.load("CreditNotes", record_id)
        status = credit["Status"]
        target = changes.get("Status", status)
        self.check_editable(status)
        posted = status in ("AUTHORISED", "PAID")
        if "LineItems" in changes:
            if posted:
                raise SandboxValidationError("An approved credit note cannot have its lines edited")
            specs = self.line_specs(changes["LineItems"])
            self.ledger.set_lines(credit, specs, credit["LineAmountTypes"])
            credit["RemainingCredit"] = credit["Total"]
        _take(credit, changes, CREDIT_NOTE_EDITS)
        if "Date" in changes and not posted:
            credit["Date"] = _day(changes["Date"])
        if target == "AUTHORISED" and status in ("DRAFT", "SUBMITTED"):
            credit["Status"] = "AUTHORISED"
            credit["RemainingCredit"] = credit["Total"]
            self.ledger.post_credit_note(credit, self.now)
        elif target in ("DRAFT", "SUBMITTED") and not posted:
            credit["Status"] = target
        return self.save("CreditNotes", credit, "UPDATE")

    # payments
    def create_payments(self, payload: dict) -> dict:
        amount = _money(payload.get("Amount"))
        day = _day(payload.get("Date"), self.today())
        rate = payload.get("CurrencyRate")
        rate = _money(rate) if rate is not None else None
        account = payload.get("Account") or (
            {"Code": payload["Code"]} if payload.get("Code") else None
        )
        reference = payload.get("Reference") or ""
        for kind, collection, key in PAYMENT_TARGETS:
            ref = payload.get(kind)
            if not ref:
                continue
            target_id = ref.get(key)
            if not target_id and kind == "Invoice" and ref.get("InvoiceNumber"):
                target_id = next(
                    (
                        i["InvoiceID"]
                        for i in self.coll("Invoices").records()
                        if i.get("InvoiceNumber") == ref["InvoiceNumber"]
                    ),
                    None,
                )
            if not target_id:
                raise SandboxValidationError(f"{kind} could not be found")
            return self.pay(
                collection,
                kind,
                str(target_id),
                amount,
                day,
                account,
                rate,
                reference,
                payment_id=payload.get("PaymentID"),
                is_reconciled=bool(payload.get("IsReconciled", False)),
            )
        raise SandboxValidationError(
            "You must specify an Invoice, CreditNote, Prepayment or Overpayment"
        )

    def add_payment(
        self,
        invoice_id: str,
        amount: Decimal,
        day: date,
        *,
        account_code=None,
        currency_rate=None,
        reference=None,
    ) -> dict:
        account = {"Code": account_code} if account_code else None
        return self.pay(
            "Invoices",
            "Invoice",
            invoice_id,
            amount,
            _day(day),
            account,
            currency_rate,
            reference or "",
        )

    def pay(
        self,
        collection,
        kind,
        target_id,
        amount,
        day,
        account,
        rate,
        reference,
        *,
        payment_id=None,
        is_reconciled=False,
    ) -> dict:
        target = self.coll(collection).get(target_id)
        if target is None:
            raise SandboxValidationError(f"{kind} could not be found")
        if target["Status"] != "AUTHORISED":
            raise SandboxValidationError(
                f"Payment cannot be created: the {kind.lower()} has a status of {target['Status']}"
            )
        outstanding = target["AmountDue"] if kind == "Invoice" else target["RemainingCredit"]
        if amount <= 0:
            raise SandboxValidationError("Payment amount must be greater than zero")
        if amount > outstanding:
            raise SandboxValidationError(
                "Payment amount exceeds the amount outstanding on this document"
            )
        bank = self.find_account(account, bank=True) if account else None
        if bank is None:
            bank = bank_for(self.ledger, target["CurrencyCode"])
        payment = self.ledger.apply_payment(
            target,
            kind,
            amount,
            day,
            self.now,
            reference=reference,
            is_reconciled=is_reconciled,
            bank=bank,
            rate=rate,
            payment_id=payment_id,
        )
        self.save(collection, target, "UPDATE")
        return self.save("Payments", payment, "CREATE")

    def update_payments(self, record_id: str, changes: dict) -> dict:
        payment = self.load("Payments", record_id)
        if changes.get("Status") == "DELETED":
            return self.delete("Payments", record_id)
        if payment["Status"] == "DELETED":
            raise SandboxValidationError("This payment has been deleted")
        _take(payment, changes, ("IsReconciled", "Reference"))
        return self.save("Payments", payment, "UPDATE")

    # accounts and items
    def create_accounts(self, payload: dict) -> dict:
        code = (payload.get("Code") or "").strip()
        kind = payload.get("Type")
        if kind not in ACCOUNT_CLASS:
            raise SandboxValidationError("Account Type is invalid")
        if not payload.get("Name"):
            raise SandboxValidationError("Account Name is required")
        if kind != "BANK" and not code:
            raise SandboxValidationError("Account Code is required")
        if code and code in self.ledger.accounts_by_code:
            raise SandboxValidationError("Please enter a unique Code.")
        record = {
            "AccountID": payload.get("AccountID") or self.ledger.new_id(),
            "Code": code,
            "Name": payload["Name"],
            "Status": "ACTIVE",
            "Type": kind,
            "TaxType": payload.get("TaxType") or self.ledger.profile.zero_tax.tax_type,
            "Class": ACCOUNT_CLASS[kind],
            "EnablePaymentsToAccount": bool(payload.get("EnablePaymentsToAccount", kind == "BANK")),
            "ShowInExpenseClaims": bool(payload.get("ShowInExpenseClaims", False)),
            "HasAttachments": False,
            "AddToWatchlist": bool(payload.get("AddToWatchlist", False)),
        }
        for key in (
            "Description",
            "BankAccountNumber",
            "BankAccountType",
            "CurrencyCode",
            "ReportingCode",
        ):
            if payload.get(key):
                record[key] = payload[key]
        if kind == "BANK":
            record.setdefault("BankAccountType", "BANK")
            record.setdefault("CurrencyCode", self.tenant.base_currency)
        if code:
            self.ledger.accounts_by_code[code] = record
        return self.save("Accounts", record, "CREATE")

    def update_accounts(self, record_id: str, changes: dict) -> dict:
        record = self.load("Accounts", record_id)
        old_code = record["Code"]
        new_code = changes.get("Code", old_code)
        if new_code != old_code and new_code in self.ledger.accounts_by_code:
            raise SandboxValidationError("Please enter a unique Code.")
        if record.get("SystemAccount") and "Type" in changes and changes["Type"] != record["Type"]:
            raise SandboxValidationError("The type of a system account cannot be changed")
        _merge(record, changes, skip=("AccountID", "Class", "SystemAccount", "UpdatedDateUTC"))
        if record["Status"] not in ("ACTIVE", "ARCHIVED"):
            raise SandboxValidationError("Invalid account status")
        self.ledger.accounts_by_code.pop(old_code, None)
        self.ledger.accounts_by_code[record["Code"]] = record
        self.ledger.refresh_bank_accounts()
        return self.save("Accounts", record, "UPDATE")

    def create_items(self, payload: dict) -> dict:
        code = (payload.get("Code") or "").strip()
        if not code:
            raise SandboxValidationError("Item code is required")
        if any(item["Code"] == code for item in self.coll("Items").records()):
            raise SandboxValidationError(f"Item code '{code}' already exists")
        record = {
            "ItemID": payload.get("ItemID") or self.ledger.new_id(),
            "Code": code,
            "IsSold": True,
            "IsPurchased": True,
            "IsTrackedAsInventory": False,
        }
        _merge(record, payload, skip=("ItemID", "UpdatedDateUTC"))
        self._money_details(record)
        return self.save("Items", record, "CREATE")

    def update_items(self, record_id: str, changes: dict) -> dict:
        record = self.load("Items", record_id)
        _merge(record, changes, skip=("ItemID", "UpdatedDateUTC"))
        self._money_details(record)
        return self.save("Items", record, "UPDATE")

    def _money_details(self, record: dict) -> None:
        for key in ("SalesDetails", "PurchaseDetails"):
            details = record.get(key)
            if details and details.get("UnitPrice") is not None:
                details["UnitPrice"] = _money(details["UnitPrice"])

    # bank transactions, transfers, manual journals
    def create_bank_transactions(self, payload: dict) -> dict:
        kind = payload.get("Type")
        if kind not in ("SPEND", "RECEIVE"):
            raise SandboxValidationError("BankTransaction Type must be SPEND or RECEIVE")
        bank = self.find_account(payload.get("BankAccount"), bank=True)
        contact = self.find_contact(payload["Contact"]) if payload.get("Contact") else None
        day = _day(payload.get("Date"), self.today())
        currency = self.currency_of(payload, bank.get("CurrencyCode"))
        rate = self.rate_of(payload, currency, day)
        specs = self.line_specs(payload.get("LineItems"))
        if not specs:
            raise SandboxValidationError("At least one line item is required")
        record = self.ledger.bank_transaction_record(
            kind=kind,
            contact=contact,
            bank=bank,
            day=day,
            currency=currency,
            rate=rate,
            specs=specs,
            line_amount_types=payload.get("LineAmountTypes") or "Exclusive",
            reference=payload.get("Reference") or "",
            stamp=self.now,
            is_reconciled=bool(payload.get("IsReconciled", False)),
            bank_transaction_id=payload.get("BankTransactionID"),
        )
        self.ledger.post_bank_transaction(record, self.now)
        return self.save("BankTransactions", record, "CREATE")

    def update_bank_transactions(self, record_id: str, changes: dict) -> dict:
        record = self.load("BankTransactions", record_id)
        if record["Status"] != "AUTHORISED":
            raise SandboxValidationError(
                f"This transaction cannot be edited as it has a status of {record['Status']}."
            )
        relines = any(
            k in changes for k in ("LineItems", "LineAmountTypes", "Date", "CurrencyRate")
        )
        if relines:
            self.ledger.post_bank_transaction(record, self.now, reverse=True)
        _take(record, changes, ("Reference", "IsReconciled", "LineAmountTypes", "Url"))
        if "Date" in changes:
            record["Date"] = _day(changes["Date"])
        if "CurrencyRate" in changes:
            record["CurrencyRate"] = _money(changes["CurrencyRate"])
        if relines:
            specs = self.line_specs(changes.get("LineItems", record["LineItems"]))
            self.ledger.set_lines(record, specs, record["LineAmountTypes"])
            self.ledger.post_bank_transaction(record, self.now)
        return self.save("BankTransactions", record, "UPDATE")

    def create_bank_transfers(self, payload: dict) -> dict:
        source = self.find_account(payload.get("FromBankAccount"), bank=True)
        target = self.find_account(payload.get("ToBankAccount"), bank=True)
        if source["AccountID"] == target["AccountID"]:
            raise SandboxValidationError("The From and To bank accounts must be different")
        amount = _money(payload.get("Amount"))
        if amount <= 0:
            raise SandboxValidationError("Amount must be greater than zero")
        day = _day(payload.get("Date"), self.today())
        transfer_id = self.ledger.new_id()
        reference = payload.get("Reference") or ""
        pair = self.ledger.transfer_pair(
            source, target, amount, day, self.now, reference, is_reconciled=False
        )
        for record in pair:
            self.save("BankTransactions", record, "CREATE")
        transfer = self.ledger.transfer_record(
            transfer_id,
            pair,
            amount,
            self.now,
            from_reconciled=bool(payload.get("FromIsReconciled", False)),
            to_reconciled=bool(payload.get("ToIsReconciled", False)),
        )
        self.ledger.post_transfer(transfer, source, target, self.now)
        return self.save("BankTransfers", transfer, "CREATE")

    def manual_journal_lines(self, lines: list[dict] | None) -> list[dict]:
        out = []
        for line in lines or []:
            account = self.find_account({"Code": line.get("AccountCode")})
            out.append(
                self.ledger.manual_journal_line(
                    account,
                    _money(line.get("LineAmount")),
                    line.get("Description", ""),
                    line.get("TaxType"),
                    line.get("Tracking"),
                )
            )
        if len(out) < 2:
            raise SandboxValidationError("A manual journal needs at least two lines")
        if sum(line["LineAmount"] for line in out) != 0:
            raise SandboxValidationError("The total debits must be equal to total credits.")
        return out

    def create_manual_journals(self, payload: dict) -> dict:
        status = payload.get("Status") or "DRAFT"
        if status not in ("DRAFT", "POSTED"):
            raise SandboxValidationError(f"A manual journal cannot be created as {status}")
        if not payload.get("Narration"):
            raise SandboxValidationError("Narration is required")
        record = self.ledger.manual_journal_record(
            payload.get("ManualJournalID") or self.ledger.new_id(),
            payload["Narration"],
            self.manual_journal_lines(payload.get("JournalLines")),
            _day(payload.get("Date"), self.today()),
            status,
            cash_basis=bool(payload.get("ShowOnCashBasisReports", True)),
            line_amount_types=payload.get("LineAmountTypes") or "NoTax",
        )
        if status == "POSTED":
            self.ledger.post_manual_journal(record, self.now)
        return self.save("ManualJournals", record, "CREATE")

    def update_manual_journals(self, record_id: str, changes: dict) -> dict:
        record = self.load("ManualJournals", record_id)
        status = record["Status"]
        target = changes.get("Status", status)
        if status != "DRAFT" and ("JournalLines" in changes or "Date" in changes):
            raise SandboxValidationError("Only a draft manual journal can be edited")
        if "JournalLines" in changes:
            record["JournalLines"] = self.manual_journal_lines(changes["JournalLines"])
        if "Date" in changes:
            record["Date"] = _day(changes["Date"])
        _take(record, changes, ("Narration", "ShowOnCashBasisReports", "Url"))
        if target == "POSTED" and status == "DRAFT":
            record["Status"] = "POSTED"
            self.ledger.post_manual_journal(record, self.now)
        return self.save("ManualJournals", record, "UPDATE")

    # -- delete / void / archive -------------------------------------------------------------------
    def delete(self, collection: str, record_id: str) -> dict | None:
        spec = SPECS_BY_NAME.get(collection)
        if spec is None:
            raise RecordNotFoundError(f"no collection {collection!r}")
        record = self.load(collection, record_id)
        if spec.hard_delete:
            if collection == "Accounts":
                if record.get("SystemAccount"):
                    raise SandboxValidationError("System accounts cannot be deleted")
                removed = self.ledger.accounts_by_code.pop(record.get("Code"), None)
                if removed is not None:
                    self.ledger.deleted_accounts[removed["Code"]] = removed
            self.coll(collection)._remove(self.coll(collection)._record_id(record))
            if collection == "Accounts":
                self.ledger.refresh_bank_accounts()
            return None
        if collection == "Payments":
            return self.delete_payment(record)
        if collection not in SOFT_DELETE_STATUS:
            raise SandboxValidationError(f"{collection} cannot be deleted")
        allowed = SOFT_DELETE_STATUS[collection]
        status = record.get("Status")
        if status == "DELETED":
            return record
        if allowed is not None and status not in allowed:
            raise SandboxValidationError(
                f"A {collection[:-1]} with a status of {status} cannot be deleted; void it instead."
            )
        if collection == "BankTransactions" and status == "AUTHORISED":
            self.ledger.post_bank_transaction(record, self.now, reverse=True)
        if collection == "BatchPayments":
            for item in record.get("Payments", []):
                payment = self.coll("Payments").get(item["PaymentID"])
                if payment and payment["Status"] != "DELETED":
                    self.delete_payment(payment)
        if collection == "BankTransfers":
            self.tenant._store(collection, {**record, "Status": "DELETED"}, "UPDATE")
            return self.load(collection, record_id)
        record["Status"] = "DELETED"
        if collection == "Invoices":
            self.ledger.refresh_invoice(record)
        if collection == "CreditNotes":
            record["RemainingCredit"] = Decimal("0.00")
        return self.save(collection, record, "UPDATE")

    def delete_payment(self, payment: dict) -> dict:
        if payment["Status"] == "DELETED":
            return payment
        for kind, collection, key in PAYMENT_TARGETS:
            ref = payment.get(kind)
            if not ref:
                continue
            target = self.coll(collection).get(ref[key])
            if target is None:
                continue
            target["Payments"] = [
                p for p in target["Payments"] if p["PaymentID"] != payment["PaymentID"]
            ]
            if kind == "Invoice":
                self.ledger.refresh_invoice(target)
            else:
                target["RemainingCredit"] = target["RemainingCredit"] + payment["Amount"]
                if target["Status"] == "PAID" and target["RemainingCredit"] > 0:
                    target["Status"] = "AUTHORISED"
            self.save(collection, target, "UPDATE")
            journal_lines = self.ledger.payment_reversal_lines(payment, target)
            self.ledger.post(
                self.now,
                payment["Date"],
                payment["PaymentID"],
                payment["PaymentType"],
                payment.get("Reference", ""),
                journal_lines,
            )
        payment["Status"] = "DELETED"
        return self.save("Payments", payment, "UPDATE")

    def void(self, collection: str, record_id: str) -> dict:
        if collection not in VOIDABLE:
            raise SandboxValidationError(f"{collection} cannot be voided")
        record = self.load(collection, record_id)
        status = record.get("Status")
        if status == "VOIDED":
            return record
        if collection in ("Invoices", "CreditNotes"):
            if status in ("DRAFT", "SUBMITTED", "DELETED"):
                raise SandboxValidationError(
                    f"A document with a status of {status} cannot be voided; delete it instead."
                )
            settled = record["Payments"] or (
                any(record[k] for k in CREDIT_COLLECTIONS)
                if collection == "Invoices"
                else any(not a.get("IsDeleted") for a in record["Allocations"])
            )
            if settled:
                raise SandboxValidationError(
                    "This document cannot be voided as it has a payment or credit allocated to it."
                )
            if collection == "Invoices":
                self.ledger.post_invoice(record, self.now, reverse=True)
                record["Status"] = "VOIDED"
                self.ledger.refresh_invoice(record)
            else:
                self.ledger.post_credit_note(record, self.now, reverse=True)
                record["Status"] = "VOIDED"
                record["RemainingCredit"] = Decimal("0.00")
        elif collection == "BankTransactions":
            if status == "AUTHORISED":
                self.ledger.post_bank_transaction(record, self.now, reverse=True)
            record["Status"] = "VOIDED"
        elif collection == "ManualJournals":
            if status == "POSTED":
                self.ledger.post_manual_journal(record, self.now, reverse=True)
            elif status != "ARCHIVED":
                raise SandboxValidationError("Only posted manual journals can be voided")
            record["Status"] = "VOIDED"
        elif collection in ("Overpayments", "Prepayments"):
            if any(not a.get("IsDeleted") for a in record["Allocations"]) or record["Payments"]:
                raise SandboxValidationError(
                    "This document cannot be voided as it has been allocated or refunded."
                )
            record["Status"] = "VOIDED"
            record["RemainingCredit"] = Decimal("0.00")
        else:
            record["Status"] = "VOIDED"
        return self.save(collection, record, "UPDATE")

    def archive(self, collection: str, record_id: str) -> dict:
        if collection not in ARCHIVABLE:
            raise SandboxValidationError(f"{collection} cannot be archived")
        record = self.load(collection, record_id)
        field = "ContactStatus" if collection == "Contacts" else "Status"
        if collection == "Accounts" and record.get("SystemAccount"):
            raise SandboxValidationError("System accounts cannot be archived")
        record[field] = "ARCHIVED"
        if collection == "Accounts" and record.get("Code") in self.ledger.accounts_by_code:
            self.ledger.accounts_by_code[record["Code"]] = record
            self.ledger.refresh_bank_accounts()
        if collection == "TrackingCategories":
            self.tenant._store(collection, record, "UPDATE")
            return record
        return self.save(collection, record, "UPDATE")

    # -- allocations -------------------------------------------------------------------------------
    def allocate(
        self, credit_collection: str, credit_id: str, invoice_id: str, amount: Decimal, day
    ) -> dict:
        if credit_collection not in CREDIT_COLLECTIONS:
            raise SandboxValidationError(f"{credit_collection} cannot be allocated")
        credit = self.load(credit_collection, credit_id)
        invoice = self.coll("Invoices").get(str(invoice_id))
        if invoice is None:
            raise SandboxValidationError("Invoice could not be found")
        day = _day(day, self.today())
        if credit["Status"] != "AUTHORISED":
            raise SandboxValidationError(
                f"Only an AUTHORISED {credit_collection[:-1]} can be allocated"
            )
        if invoice["Status"] != "AUTHORISED":
            raise SandboxValidationError("Only an AUTHORISED invoice can have credit allocated")
        receivable = credit["Type"] in ("ACCRECCREDIT", "RECEIVE-OVERPAYMENT", "RECEIVE-PREPAYMENT")
        if receivable != (invoice["Type"] == "ACCREC"):
            raise SandboxValidationError(
                "The credit and the invoice must both be receivable or both payable"
            )
        if invoice["CurrencyCode"] != credit["CurrencyCode"]:
            raise SandboxValidationError("The credit and the invoice must be in the same currency")
        if amount <= 0:
            raise SandboxValidationError("Allocation amount must be greater than zero")
        if amount > credit["RemainingCredit"]:
            raise SandboxValidationError("Allocation amount exceeds the remaining credit")
        if amount > invoice["AmountDue"]:
            raise SandboxValidationError("Allocation amount exceeds the amount due on the invoice")
        allocation = self.ledger.apply_allocation(
            credit, credit_collection, invoice, amount, day, self.now
        )
        allocation_key = CREDIT_KEYS[credit_collection]
        allocation[credit_collection[:-1]] = {allocation_key: credit[allocation_key]}
        self.save(credit_collection, credit, "UPDATE")
        self.save("Invoices", invoice, "UPDATE")
        return allocation

    def delete_allocation(self, credit_collection: str, credit_id: str, allocation_id: str) -> dict:
        credit = self.load(credit_collection, credit_id)
        for allocation in credit["Allocations"]:
            if allocation.get("AllocationID") == allocation_id and not allocation.get("IsDeleted"):
                break
        else:
            raise RecordNotFoundError(f"allocation {allocation_id} not found")
        self.ledger.remove_allocation(credit, credit_collection, allocation, self.coll("Invoices"))
        invoice = self.coll("Invoices").get(allocation["Invoice"]["InvoiceID"])
        if invoice is not None:
            self.ledger.unapply_from_invoice(
                invoice, credit_collection, credit, allocation["Amount"]
            )
            self.save("Invoices", invoice, "UPDATE")
        self.save(credit_collection, credit, "UPDATE")
        return allocation


def _merge(record: dict, changes: dict, *, skip: tuple[str, ...]) -> None:
    """Copy every field of `changes` onto the record but those in `skip`."""
    for key, value in changes.items():
        if key not in skip:
            record[key] = value


def _take(record: dict, changes: dict, keys: tuple[str, ...]) -> None:
    """Copy those of `keys` that `changes` holds onto the record."""
    for key in keys:
        if key in changes:
            record[key] = changes[key]


def _snake(name: str) -> str:
    out = []
    for index, char in enumerate(name):
        if char.isupper() and index:
            out.append("_")
        out.append(char.lower())
    return "".join(out)
