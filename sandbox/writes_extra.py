"""The writes behind the product's actions, as Xero documents them: `Idempotency-Key` replay,
`summarizeErrors=false` (200 with per-element errors), a line's tax type from its account,
`unitdp=4` on writes, history records and notes, attachments, invoice emails and the online
invoice URL.

`dispatch` wraps the Accounting API's own dispatch (`sandbox.app._dispatch`): it answers what
is listed here and hands everything else on. State lives in one `Extras` per running app.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.accounting import ApiError, dumps_any, not_found, validation_error

WRITE_METHODS = ("PUT", "POST")
# GET/PUT {Parent}/{id}/History (reference/xero-api.md §3.1)
HISTORY_PARENTS = frozenset(
    {
        "BatchPayments", "BankTransactions", "BankTransfers", "Contacts", "CreditNotes",
        "ExpenseClaims", "Invoices", "Items", "ManualJournals", "Overpayments", "Payments",
        "Prepayments", "PurchaseOrders", "Quotes", "Receipts", "RepeatingInvoices",
    }
)  # fmt: skip
# GET/PUT/POST {Parent}/{id}/Attachments[/{FileName}] (reference/xero-api.md §3.2)
ATTACHMENT_PARENTS = frozenset(
    {
        "Accounts", "BankTransactions", "BankTransfers", "Contacts", "CreditNotes", "Invoices",
        "ManualJournals", "PurchaseOrders", "Quotes", "Receipts", "RepeatingInvoices",
    }
)  # fmt: skip
EMAILABLE_STATUSES = ("SUBMITTED", "AUTHORISED", "PAID")
CHANGE_NAMES = {"CREATE": "Created", "UPDATE": "Updated"}
SANDBOX_USER = "Sandbox API"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Attachment:
    attachment_id: str
    file_name: str
    mime_type: str
    content: bytes
    include_online: bool

    def as_xero(self, parent_path: str) -> dict:
        return {
            "AttachmentID": self.attachment_id,
            "FileName": self.file_name,
            "Url": f"{parent_path}/Attachments/{self.file_name}",
            "MimeType": self.mime_type,
            "ContentLength": len(self.content),
            "IncludeOnline": self.include_online,
        }


@dataclass
class Extras:
    """What the model does not hold: replies by Idempotency-Key, history, attachments and
    sent emails, per tenant."""

    sandbox: object
    replies: dict = field(default_factory=dict)  # (tenant, key) -> (method, path, status, body)
    history: dict = field(default_factory=lambda: defaultdict(list))  # (tenant, coll, id)
    attachments: dict = field(default_factory=lambda: defaultdict(dict))  # ... -> {name: att}
    emails: list = field(default_factory=list)  # (tenant_id, invoice_id, sent at)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.sandbox.add_change_listener(self.changed)

    def changed(self, tenant_id: str, collection: str, record_id: str, event: str = "") -> None:
        if collection in HISTORY_PARENTS and event in CHANGE_NAMES:
            tenant = self.sandbox.tenant(tenant_id)
            record = tenant.collection(collection).get(record_id) if tenant else None
            status = (record or {}).get("Status") or (record or {}).get("ContactStatus")
            details = f"{collection[:-1]} {event.lower()}d" + (f": {status}" if status else "")
            self.note(tenant_id, collection, record_id, CHANGE_NAMES[event], details)

    def note(self, tenant_id: str, collection: str, record_id: str, changes: str, details: str):
        entry = {
            "Changes": changes,
            "DateUTC": self.sandbox.clock.now(),
            "User": SANDBOX_USER,
            "Details": details,
        }
        with self.lock:
            self.history[(tenant_id, collection, record_id.lower())].append(entry)
        return entry


async def dispatch(runtime, request, tenant, endpoint, record_id, sub, fallback):
    """The answer to an Accounting API request: replayed by Idempotency-Key, one of the
    writes and reads of this module, or `fallback`'s."""
    extras: Extras = runtime.extras
    key = request.headers.get("idempotency-key")
    method, path = request.method, request.url.path
    if method in WRITE_METHODS and key:
        if len(key) > 128:
            raise validation_error("The Idempotency-Key is longer than 128 characters")
        with extras.lock:
            earlier = extras.replies.get((tenant.tenant_id, key))
        if earlier is not None:
            if earlier[:2] != (method, path):
                raise validation_error("This Idempotency-Key was used for a different request")
            return earlier[2], earlier[3]
    status, body = await _answer(runtime, request, tenant, endpoint, record_id, sub, fallback)
    if method in WRITE_METHODS and key and status < 300:
        with extras.lock:
            extras.replies[(tenant.tenant_id, key)] = (method, path, status, body)
    return status, body


async def _answer(runtime, request, tenant, endpoint, record_id, sub, fallback):
    method = request.method
    params = {k.lower(): v for k, v in request.query_params.items()}
    if sub is None or record_id is None:
        return await fallback(runtime, request, tenant, endpoint, record_id, sub)
    head, _, name = sub.partition("/")
    handler = SUB_RESOURCES.get((method, head.lower(), bool(name)))
    if handler is None:
        return await fallback(runtime, request, tenant, endpoint, record_id, sub)
    parent = runtime.api.resolve_id(tenant, endpoint, record_id)
    if parent is None:
        raise not_found()
    call = SubCall(runtime, tenant, endpoint, parent, name, params, await request.body(),
                   request.headers.get("content-type") or "application/octet-stream",
                   request.headers.get("contenttype"))  # fmt: skip
    return handler(call)


# -- sub-resources --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubCall:
    runtime: object
    tenant: object
    endpoint: object
    parent_id: str
    name: str  # what follows the sub-resource in the path (an attachment's id or file name)
    params: dict
    body: bytes
    content_type: str
    wanted_type: str | None  # the `contentType` header of a download (required by Xero)

    @property
    def extras(self) -> Extras:
        return self.runtime.extras

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.tenant.tenant_id, self.endpoint.key, self.parent_id.lower())

    def record(self) -> dict:
        return self.tenant.collection(self.endpoint.key).get(self.parent_id) or {}

    def envelope(self, key: str, items: list[dict]) -> tuple[int, bytes]:
        return 200, self.runtime.api.envelope(key, [dumps_any(i) for i in items])


def _require(call: SubCall, parents: frozenset, what: str) -> None:
    if call.endpoint.key not in parents:
        raise ApiError(
            404,
            {"Title": "NotFound", "Status": 404, "Detail": f"{call.endpoint.key} have no {what}"},
        )


def get_history(call: SubCall) -> tuple[int, bytes]:
    _require(call, HISTORY_PARENTS, "history")
    with call.extras.lock:
        entries = list(call.extras.history.get(call.key, ()))
    if not entries:  # made before the app started: its creation is all there is to tell
        record = call.record()
        stamp = record.get("UpdatedDateUTC") or record.get("CreatedDateUTC")
        if stamp is not None:
            entries = [{"Changes": "Created", "DateUTC": stamp, "User": SANDBOX_USER,
                        "Details": f"{call.endpoint.key[:-1]} created"}]  # fmt: skip
    return call.envelope("HistoryRecords", [_history_item(e) for e in entries])


def add_note(call: SubCall) -> tuple[int, bytes]:
    _require(call, HISTORY_PARENTS, "history")
    notes = _json_list(call.body, "HistoryRecords")
    details = [str(n.get("Details") or "").strip() for n in notes]
    if not details or not all(details):
        raise validation_error("The note cannot be empty")
    if any(len(d) > 2500 for d in details):
        raise validation_error("The note is longer than 2500 characters")
    added = [
        call.extras.note(*call.key, "Note", text) for text in details
    ]  # fmt: skip
    return call.envelope("HistoryRecords", [_history_item(e) for e in added])


def _history_item(entry: dict) -> dict:
    return {**entry, "DateUTCString": entry["DateUTC"].strftime("%Y-%m-%dT%H:%M:%S")}


def list_attachments(call: SubCall) -> tuple[int, bytes]:
    _require(call, ATTACHMENT_PARENTS, "attachments")
    with call.extras.lock:
        stored = list(call.extras.attachments.get(call.key, {}).values())
    return call.envelope("Attachments", [a.as_xero(_parent_path(call)) for a in stored])


def get_attachment(call: SubCall) -> tuple[int, bytes]:
    _require(call, ATTACHMENT_PARENTS, "attachments")
    if not call.wanted_type:
        raise validation_error("The contentType header (the file's MIME type) is required")
    with call.extras.lock:
        stored = call.extras.attachments.get(call.key, {})
        found = stored.get(call.name) or next(
            (a for a in stored.values() if a.attachment_id == call.name.lower()), None
        )
    if found is None:
        raise not_found()
    return 200, BinaryBody(found.content, found.mime_type)


def upload_attachment(call: SubCall) -> tuple[int, bytes]:
    _require(call, ATTACHMENT_PARENTS, "attachments")
    if not call.body:
        raise validation_error("The attachment is empty")
    if len(call.body) > 25 * 1024 * 1024:
        raise validation_error("Attachments are limited to 25 MB")
    include_online = call.params.get("includeonline", "false").lower() == "true"
    with call.extras.lock:
        stored = call.extras.attachments[call.key]
        earlier = stored.get(call.name)
        attachment_id = earlier.attachment_id if earlier else str(uuid.uuid4())
        attachment = Attachment(
            attachment_id, call.name, call.content_type, call.body, include_online
        )
        stored[call.name] = attachment
    _flag_attachments(call)
    call.extras.note(*call.key, "Attached a file", f"Attached the file {call.name}")
    return call.envelope("Attachments", [attachment.as_xero(_parent_path(call))])


def _flag_attachments(call: SubCall) -> None:
    """HasAttachments becomes true; as at Xero, UpdatedDateUTC does not move."""
    record = call.record()
    if "HasAttachments" in record and not record["HasAttachments"]:
        with call.tenant.lock:
            call.tenant._store(call.endpoint.key, {**record, "HasAttachments": True}, None)
        call.runtime.api._touch(call.tenant, call.endpoint.key, [call.parent_id])


def _parent_path(call: SubCall) -> str:
    return f"{call.endpoint.path}/{call.parent_id}"


def email_invoice(call: SubCall) -> tuple[int, bytes]:
    if call.endpoint.key != "Invoices":
        raise not_found()
    invoice = call.record()
    if invoice.get("Type") != "ACCREC":
        raise validation_error("Only sales invoices (ACCREC) can be emailed")
    if invoice.get("Status") not in EMAILABLE_STATUSES:
        raise validation_error(
            f"An invoice with a status of {invoice.get('Status')} cannot be emailed"
        )
    contact_id = (invoice.get("Contact") or {}).get("ContactID")
    contact = call.tenant.collection("Contacts").get(str(contact_id)) or {}
    if not contact.get("EmailAddress"):
        raise validation_error("The contact does not have an email address")
    call.tenant.update("Invoices", call.parent_id, {"SentToContact": True})
    call.runtime.api._touch(call.tenant, "Invoices", [call.parent_id])
    with call.extras.lock:
        call.extras.emails.append((call.tenant.tenant_id, call.parent_id, contact["EmailAddress"]))
    call.extras.note(*call.key, "Emailed", f"Sent to {contact['EmailAddress']}")
    return 204, b""


def online_invoice(call: SubCall) -> tuple[int, bytes]:
    if call.endpoint.key != "Invoices":
        raise not_found()
    invoice = call.record()
    if invoice.get("Type") != "ACCREC" or invoice.get("Status") in ("DRAFT", "DELETED"):
        raise validation_error(
            "An online invoice exists only for a sales invoice that is not a draft or deleted"
        )
    token = hashlib.sha256(f"{call.tenant.tenant_id}/{call.parent_id}".encode()).hexdigest()
    url = f"https://in.xero.com/{token[:40]}"
    return call.envelope("OnlineInvoices", [{"OnlineInvoiceUrl": url}])


def _json_list(body: bytes, key: str) -> list[dict]:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        raise validation_error("The request body is not valid JSON") from None
    items = payload.get(key) if isinstance(payload, dict) else payload
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise validation_error(f"The request must contain {key}")
    return items


class BinaryBody(bytes):
    """A file's bytes with the MIME type to answer them with."""

    def __new__(cls, content: bytes, mime_type: str):
        body = super().__new__(cls, content)
        body.mime_type = mime_type
        return body


# (method, sub-resource, whether a name follows it) -> handler
SUB_RESOURCES = {
    ("GET", "history", False): get_history,
    ("PUT", "history", False): add_note,
    ("GET", "attachments", False): list_attachments,
    ("GET", "attachments", True): get_attachment,
    ("PUT", "attachments", True): upload_attachment,
    ("POST", "attachments", True): upload_attachment,
    ("POST", "email", False): email_invoice,
    ("GET", "onlineinvoice", False): online_invoice,
}
