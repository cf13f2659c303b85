"""The actions as typed Python methods, on the project's Xero client (its auth, limiter and
retry policy):

    from pipelines.actions import XeroActions
    from pipelines.xero.auth import auth_from_env
    from pipelines.xero.client import XeroClient

    with XeroClient(auth_from_env(), tenant_id) as client:
        xero = XeroActions(client, destination="duckdb:///warehouse.duckdb")
        invoice = xero.create_invoice({"Type": "ACCREC", "Contact": {"Name": "Acme"},
                                       "LineItems": [...]})
        xero.email_invoice(invoice["InvoiceID"])

Each write carries an Idempotency-Key (pass `idempotency_key=` to choose it, e.g. from the
deal that raised the invoice, so a re-run of the automation never writes twice) and, when
`destination` is set, updates the warehouse rows it touched before returning. Methods return
the record Xero answered with (a dict), a list of them, or bytes for a download. Errors are
`XeroWarehouseError`s with one line: `ActionRejectedError` lists the rejected elements.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.actions.run import ActionResult, run_action, write_through
from pipelines.xero.client import XeroClient

Record = dict[str, Any]


class XeroActions:
    """The action catalogue on one tenant's `XeroClient`."""

    def __init__(
        self,
        client: XeroClient,
        *,
        destination: str | None = None,
        dataset: str = "xero",
        write_through: bool = False,
        auth=None,
    ):
        """write_through (or a `destination`): merge what each write touched into that
        warehouse (default destination: as `sync`)."""
        self.client = client
        self.destination = destination
        self.dataset = dataset
        self.write_through = write_through or destination is not None
        self._auth = auth

    # -- any action, any request ---------------------------------------------------------------
    def run(
        self,
        name: str,
        fields: dict | None = None,
        record_id: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        """Run the catalogue's action `name` (e.g. "invoices.void"); write-through included."""
        result = run_action(
            self.client, name, fields, record_id, idempotency_key=idempotency_key
        )
        if self.write_through:
            auth = self._auth or self.client.auth
            write_through(result, self.client.tenant_id, self.destination, self.dataset, auth=auth)
        return result

    def request(
        self, method: str, path: str, params: dict | None = None, json: Any = None
    ) -> Any:
        """The raw request: base URL, tenant header, auth, retries and backoff added; a
        PUT/POST gets an Idempotency-Key. Returns Xero's JSON."""
        return self.client.request(method, path, params, json)

    def _one(self, name: str, fields: dict | None = None, record_id: str | None = None,
             key: str | None = None) -> Record:  # fmt: skip
        records = self.run(name, fields, record_id, idempotency_key=key).records
        return records[0] if records else {}

    def _many(self, name: str, fields: dict | None = None, record_id: str | None = None
              ) -> list[Record]:  # fmt: skip
        return self.run(name, fields, record_id).records

    # -- accounts ------------------------------------------------------------------------------
    def list_accounts(self, where: str | None = None) -> list[Record]:
        """The chart of accounts (optionally filtered by a Xero `where` expression)."""
        return self._many("accounts.list", {"where": where} if where else None)

    def get_account(self, account_id: str) -> Record:
        return self._one("accounts.get", None, account_id)

    def create_account(self, account: Record, *, idempotency_key: str | None = None) -> Record:
        """Create an account: Code, Name and Type at least."""
        return self._one("accounts.create", account, None, idempotency_key)

    def update_account(self, account_id: str, changes: Record) -> Record:
        return self._one("accounts.update", changes, account_id)

    def archive_account(self, account_id: str) -> Record:
        return self._one("accounts.archive", None, account_id)

    def delete_account(self, account_id: str) -> None:
        """Delete an account that was never used (Xero refuses otherwise)."""
        self.run("accounts.delete", None, account_id)

    # -- contacts ------------------------------------------------------------------------------
    def list_contacts(self, where: str | None = None) -> list[Record]:
        return self._many("contacts.list", {"where": where} if where else None)

    def get_contact(self, contact_id: str) -> Record:
        return self._one("contacts.get", None, contact_id)

    def create_contact(self, contact: Record, *, idempotency_key: str | None = None) -> Record:
        """Create a contact: a Name unique in the organisation at least."""
        return self._one("contacts.create", contact, None, idempotency_key)

    def update_contact(self, contact_id: str, changes: Record) -> Record:
        return self._one("contacts.update", changes, contact_id)

    def archive_contact(self, contact_id: str) -> Record:
        return self._one("contacts.archive", None, contact_id)

    # -- invoices ------------------------------------------------------------------------------
    def list_invoices(self, where: str | None = None) -> list[Record]:
        return self._many("invoices.list", {"where": where} if where else None)

    def get_invoice(self, invoice_id: str) -> Record:
        return self._one("invoices.get", None, invoice_id)

    def create_invoice(self, invoice: Record, *, idempotency_key: str | None = None) -> Record:
        """Create a sales invoice (Type ACCREC) or a bill (ACCPAY) with Contact and LineItems;
        a line without TaxType takes its account's."""
        return self._one("invoices.create", invoice, None, idempotency_key)

    def update_invoice(self, invoice_id: str, changes: Record) -> Record:
        return self._one("invoices.update", changes, invoice_id)

    def void_invoice(self, invoice_id: str) -> Record:
        """Void an AUTHORISED invoice that has no payments or credit allocated."""
        return self._one("invoices.void", None, invoice_id)

    def delete_invoice(self, invoice_id: str) -> Record:
        """Delete a DRAFT or SUBMITTED invoice."""
        return self._one("invoices.delete", None, invoice_id)

    def email_invoice(self, invoice_id: str) -> None:
        """Email an approved sales invoice to its contact's email address."""
        self.run("invoices.email", None, invoice_id)

    def add_invoice_note(self, invoice_id: str, details: str) -> Record:
        return self._one("invoices.add-note", {"Details": details}, invoice_id)

    def online_invoice_url(self, invoice_id: str) -> str:
        """The customer-facing URL of a sales invoice that is not a draft."""
        return str(self._one("invoices.online-url", None, invoice_id).get("OnlineInvoiceUrl"))

    # -- items ---------------------------------------------------------------------------------
    def list_items(self, where: str | None = None) -> list[Record]:
        return self._many("items.list", {"where": where} if where else None)

    def get_item(self, item_id: str) -> Record:
        return self._one("items.get", None, item_id)

    def create_item(self, item: Record, *, idempotency_key: str | None = None) -> Record:
        return self._one("items.create", item, None, idempotency_key)

    def update_item(self, item_id: str, changes: Record) -> Record:
        return self._one("items.update", changes, item_id)

    def delete_item(self, item_id: str) -> None:
        self.run("items.delete", None, item_id)

    def add_item_note(self, item_id: str, details: str) -> Record:
        return self._one("items.add-note", {"Details": details}, item_id)

    # -- payments and credit notes -------------------------------------------------------------
    def list_payments(self, where: str | None = None) -> list[Record]:
        return self._many("payments.list", {"where": where} if where else None)

    def get_payment(self, payment_id: str) -> Record:
        return self._one("payments.get", None, payment_id)

    def pay_invoice(
        self,
        invoice_id: str,
        amount: Any,
        account: Record,
        date: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Record:
        """Pay (part of) an invoice from a bank account ({"Code": "090"} or {"AccountID"});
        the invoice's AmountDue drops in the warehouse too."""
        fields = {"Invoice": {"InvoiceID": invoice_id}, "Account": account, "Amount": amount}
        if date:
            fields["Date"] = date
        return self._one("payments.create", fields, None, idempotency_key)

    def reverse_payment(self, payment_id: str) -> Record:
        """Reverse (delete) a payment: what it paid is owed again."""
        return self._one("payments.reverse", None, payment_id)

    def create_credit_note(
        self, credit_note: Record, *, idempotency_key: str | None = None
    ) -> Record:
        return self._one("credit-notes.create", credit_note, None, idempotency_key)

    def allocate_credit_note(
        self, credit_note_id: str, invoice_id: str, amount: Any, date: str | None = None
    ) -> Record:
        """Allocate part of an AUTHORISED credit note to an AUTHORISED invoice."""
        fields = {"Invoice": {"InvoiceID": invoice_id}, "Amount": amount}
        if date:
            fields["Date"] = date
        return self._one("credit-notes.allocate", fields, credit_note_id)

    # -- history, attachments, connections -----------------------------------------------------
    def history(self, kind: str, record_id: str) -> list[Record]:
        """The history records of a document; kind as in action names ("invoices",
        "contacts", "items", "payments", "credit-notes", ...)."""
        return self._many(f"{kind}.history", None, record_id)

    def add_note(self, kind: str, record_id: str, details: str) -> Record:
        return self._one(f"{kind}.add-note", {"Details": details}, record_id)

    def attachments(self, kind: str, record_id: str) -> list[Record]:
        """The files attached to a document (metadata): kind as in `history`."""
        return self._many(f"{kind}.attachments", None, record_id)

    def get_attachment(self, kind: str, record_id: str, file_name: str) -> bytes:
        return self.run(f"{kind}.get-attachment", {"FileName": file_name}, record_id).response

    def upload_attachment(
        self, kind: str, record_id: str, path: str | Path, file_name: str | None = None
    ) -> Record:
        """Attach the file at `path` (as `file_name`, default its own name) to a document."""
        fields = {"file": str(path), **({"FileName": file_name} if file_name else {})}
        return self._one(f"{kind}.attach", fields, record_id)

    def connections(self) -> list[Record]:
        """The organisations the credentials reach (GET /connections)."""
        return self._many("connections.list")
