"""Xero's official Python SDK (xero-python) drives the sandbox over real HTTP, as a new user
would: tokens, every list (paged, Journals by offset), by-id, If-Modified-Since, where/order
and writes. The SDK's own deserialisers must accept every answer, and the counts, ids and
money it reads must equal the sandbox's ground truth."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from sandbox_fixtures import SANDBOX_ANCHOR
from xero_python.accounting import AccountingApi
from xero_python.accounting.models import (
    Account,
    Allocation,
    Allocations,
    BankTransaction,
    BankTransactions,
    Contact,
    Contacts,
    CreditNote,
    CreditNotes,
    Invoice,
    Invoices,
    Item,
    Items,
    LineItem,
    ManualJournal,
    ManualJournalLine,
    ManualJournals,
    Payment,
    PaymentDelete,
    PurchaseOrder,
    PurchaseOrders,
    Quote,
    Quotes,
)
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.exceptions import AccountingBadRequestException, NotFoundException
from xero_python.identity import IdentityApi

from sandbox import ground_truth, spec
from sandbox.model import COLLECTION_NAMES, SPECS_BY_NAME, Sandbox
from sandbox.server import running_sandbox

PAGE = 100
# collection -> (SDK list operation, its keyword arguments, attribute holding the records,
# id attribute, how more records are read: "page", "offset" or None)
LISTS: dict[str, tuple[str, dict, str, str | None, str | None]] = {
    "Accounts": ("get_accounts", {}, "accounts", "account_id", None),
    "BankTransactions": (
        "get_bank_transactions",
        {},
        "bank_transactions",
        "bank_transaction_id",
        "page",
    ),
    "BankTransfers": (
        "get_bank_transfers",
        {"include_deleted": True},
        "bank_transfers",
        "bank_transfer_id",
        None,
    ),
    "BatchPayments": ("get_batch_payments", {}, "batch_payments", "batch_payment_id", None),
    "BrandingThemes": ("get_branding_themes", {}, "branding_themes", "branding_theme_id", None),
    "Budgets": ("get_budgets", {}, "budgets", "budget_id", None),
    "ContactGroups": ("get_contact_groups", {}, "contact_groups", "contact_group_id", None),
    "Contacts": ("get_contacts", {"include_archived": True}, "contacts", "contact_id", "page"),
    "CreditNotes": ("get_credit_notes", {}, "credit_notes", "credit_note_id", "page"),
    "Currencies": ("get_currencies", {}, "currencies", "code", None),
    "ExpenseClaims": ("get_expense_claims", {}, "expense_claims", "expense_claim_id", None),
    "InvoiceReminders": ("get_invoice_reminders", {}, "invoice_reminders", None, None),
    "Invoices": ("get_invoices", {"include_archived": True}, "invoices", "invoice_id", "page"),
    "Items": ("get_items", {}, "items", "item_id", None),
    "Journals": ("get_journals", {}, "journals", "journal_id", "offset"),
    "LinkedTransactions": (
        "get_linked_transactions",
        {},
        "linked_transactions",
        "linked_transaction_id",
        "page",
    ),
    "ManualJournals": ("get_manual_journals", {}, "manual_journals", "manual_journal_id", "page"),
    "Organisations": ("get_organisations", {}, "organisations", "organisation_id", None),
    "Actions": ("get_organisation_actions", {}, "actions", "name", None),
    "Overpayments": ("get_overpayments", {}, "overpayments", "overpayment_id", "page"),
    "PaymentServices": (
        "get_payment_services",
        {},
        "payment_services",
        "payment_service_id",
        None,
    ),
    "Payments": ("get_payments", {}, "payments", "payment_id", "page"),
    "Prepayments": ("get_prepayments", {}, "prepayments", "prepayment_id", "page"),
    "PurchaseOrders": ("get_purchase_orders", {}, "purchase_orders", "purchase_order_id", "page"),
    "Quotes": ("get_quotes", {}, "quotes", "quote_id", "page"),
    "Receipts": ("get_receipts", {}, "receipts", "receipt_id", None),
    "RepeatingInvoices": (
        "get_repeating_invoices",
        {},
        "repeating_invoices",
        "repeating_invoice_id",
        None,
    ),
    "TaxRates": ("get_tax_rates", {}, "tax_rates", "tax_type", None),
    "TrackingCategories": (
        "get_tracking_categories",
        {"include_archived": True},
        "tracking_categories",
        "tracking_category_id",
        None,
    ),
    "Users": ("get_users", {}, "users", "user_id", None),
}
# collection -> SDK by-id operation (the record's id as its second argument)
BY_ID = {
    "Accounts": "get_account",
    "BankTransactions": "get_bank_transaction",
    "BankTransfers": "get_bank_transfer",
    "BatchPayments": "get_batch_payment",
    "BrandingThemes": "get_branding_theme",
    "Budgets": "get_budget",
    "ContactGroups": "get_contact_group",
    "Contacts": "get_contact",
    "CreditNotes": "get_credit_note",
    "ExpenseClaims": "get_expense_claim",
    "Invoices": "get_invoice",
    "Items": "get_item",
    "Journals": "get_journal",
    "LinkedTransactions": "get_linked_transaction",
    "ManualJournals": "get_manual_journal",
    "Overpayments": "get_overpayment",
    "Payments": "get_payment",
    "Prepayments": "get_prepayment",
    "PurchaseOrders": "get_purchase_order",
    "Quotes": "get_quote",
    "Receipts": "get_receipt",
    "RepeatingInvoices": "get_repeating_invoice",
    "TaxRates": "get_tax_rate_by_tax_type",
    "TrackingCategories": "get_tracking_category",
    "Users": "get_user",
}


class Sdk:
    """xero-python's clients on a running sandbox, with the token the SDK refreshed itself."""

    def __init__(self, server):
        env = server.env
        self.server = server
        self.token: dict = {
            "access_token": "",
            "refresh_token": env["XERO_REFRESH_TOKEN"],
            "scope": [],
            "expires_in": 0,
            "expires_at": 0,
            "token_type": "Bearer",
        }
        oauth2 = OAuth2Token(
            client_id=env["XERO_CLIENT_ID"], client_secret=env["XERO_CLIENT_SECRET"]
        )
        self.client = ApiClient(
            Configuration(oauth2_token=oauth2),
            oauth2_token_getter=lambda: self.token,
            oauth2_token_saver=self.save,
        )
        self.accounting = AccountingApi(self.client, base_url=server.api_url + "/api.xro/2.0")
        self.identity = IdentityApi(self.client, base_url=server.identity_url)

    def save(self, token: dict) -> None:
        self.token = dict(token)


@contextmanager
def identity_at(server):
    """The SDK's token endpoints pointed at the sandbox (they are class attributes there)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TokenApi, "refresh_token_url", server.identity_url + "/connect/token")
        patch.setattr(
            TokenApi, "client_credentials_token_url", server.identity_url + "/connect/token"
        )
        yield


@pytest.fixture(scope="module")
def sdk():
    sandbox = Sandbox(tenants=2, scale="small", seed=42, anchor=SANDBOX_ANCHOR)
    with running_sandbox(sandbox, limits=False) as server, identity_at(server):
        yield Sdk(server)


def _tenants(sdk) -> list:
    return sdk.server.sandbox.tenants


def read_all(sdk, tenant_id: str, collection: str, **extra) -> list:
    """Every record of a collection through the SDK, paging as its operation allows."""
    operation, kwargs, attribute, id_attribute, paging = LISTS[collection]
    kwargs = {**kwargs, **extra}
    call = getattr(sdk.accounting, operation)
    if paging is None:
        return list(getattr(call(tenant_id, **kwargs), attribute) or [])
    records, page, offset = [], 1, 0
    while True:
        more = {"page": page} if paging == "page" else {"offset": offset}
        batch = list(getattr(call(tenant_id, **kwargs, **more), attribute) or [])
        records += batch
        if len(batch) < PAGE:
            return records
        page += 1
        offset = batch[-1].journal_number if paging == "offset" else 0


def key_of(record, id_attribute: str) -> str:
    """A record's id as text (enum ids such as CurrencyCode by their value)."""
    value = getattr(record, id_attribute)
    return str(getattr(value, "value", value))


def money_sums(records: list, fields: tuple[str, ...]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for record in records:
        by_key = {key: name for name, key in record.attribute_map.items()}
        for field in fields:
            value = getattr(record, by_key[field], None) if field in by_key else None
            if value is not None:
                assert isinstance(value, Decimal), (field, type(value))
                sums[field] = sums.get(field, Decimal("0.00")) + value
    return sums


def test_sdk_refreshes_its_token_and_lists_the_connections(sdk):
    assert sdk.client.refresh_oauth2_token()["access_token"]
    first = sdk.token["refresh_token"]
    connections = sdk.identity.get_connections()
    assert {str(c.tenant_id) for c in connections} == {t.tenant_id for t in _tenants(sdk)}
    assert first != sdk.server.env["XERO_REFRESH_TOKEN"]  # the refresh token rotated


@pytest.mark.parametrize("collection", COLLECTION_NAMES)
def test_every_list_equals_the_ground_truth(sdk, collection):
    id_attribute = LISTS[collection][3]
    for tenant in _tenants(sdk):
        records = read_all(sdk, tenant.tenant_id, collection)
        truth = ground_truth.collection_truth(tenant, collection)
        assert len(records) == truth.count, (tenant.name, collection)
        if id_attribute is not None:
            ids = [key_of(r, id_attribute) for r in records]
            assert len(set(ids)) == len(ids) and set(ids) == truth.ids, (tenant.name, collection)
        fields = ground_truth.MONEY_FIELDS.get(collection, ())
        assert money_sums(records, fields) == truth.money, (tenant.name, collection)


@pytest.mark.parametrize("collection", sorted(BY_ID))
def test_every_by_id_read_equals_its_list_row(sdk, collection):
    tenant = _tenants(sdk)[0]
    id_attribute, attribute = LISTS[collection][3], LISTS[collection][2]
    records = read_all(sdk, tenant.tenant_id, collection)
    middle = records[len(records) // 2]
    record_id = key_of(middle, id_attribute)
    read = getattr(sdk.accounting, BY_ID[collection])(tenant.tenant_id, record_id)
    (one,) = getattr(read, attribute)
    assert key_of(one, id_attribute) == record_id
    fields = ground_truth.MONEY_FIELDS.get(collection, ())
    assert money_sums([one], fields) == money_sums([middle], fields)


def test_by_number_reads(sdk):
    tenant = _tenants(sdk)[0]
    invoice = next(i for i in read_all(sdk, tenant.tenant_id, "Invoices") if i.invoice_number)
    by_number = sdk.accounting.get_invoice(tenant.tenant_id, invoice.invoice_number)
    assert by_number.invoices[0].invoice_id == invoice.invoice_id
    journal = sdk.accounting.get_journals(tenant.tenant_id).journals[5]
    by_journal_number = sdk.accounting.get_journal_by_number(
        tenant.tenant_id, journal.journal_number
    )
    assert by_journal_number.journals[0].journal_id == journal.journal_id
    contact = next(c for c in tenant.collection("Contacts").records() if c.get("ContactNumber"))
    by_contact_number = sdk.accounting.get_contact_by_contact_number(
        tenant.tenant_id, contact["ContactNumber"]
    )
    assert by_contact_number.contacts[0].contact_id == contact["ContactID"]
    order = next(iter(tenant.collection("PurchaseOrders").records()))
    by_order_number = sdk.accounting.get_purchase_order_by_number(
        tenant.tenant_id, order["PurchaseOrderNumber"]
    )
    assert by_order_number.purchase_orders[0].purchase_order_id == order["PurchaseOrderID"]
    with pytest.raises(NotFoundException):
        sdk.accounting.get_invoice(tenant.tenant_id, "00000000-0000-0000-0000-000000000000")


@pytest.mark.parametrize("collection", [e.key for e in spec.ENDPOINTS if e.ims])
def test_if_modified_since_returns_what_changed_since_then(sdk, collection):
    tenant = _tenants(sdk)[0]
    coll = tenant.collection(collection)
    stamp = SPECS_BY_NAME[collection].timestamp
    stamps = sorted(r[stamp] for r in coll.records())
    since = stamps[len(stamps) // 2].replace(microsecond=0)
    expected = {coll._record_id(r) for r in coll.records() if r[stamp] >= since}
    id_attribute = LISTS[collection][3]
    for cutoff in (since, since.replace(tzinfo=None)):  # aware and naive, both UTC
        changed = read_all(sdk, tenant.tenant_id, collection, if_modified_since=cutoff)
        assert {key_of(r, id_attribute) for r in changed} == expected, cutoff


def test_where_order_and_statuses(sdk):
    tenant = _tenants(sdk)[0]
    tenant_id = tenant.tenant_id
    invoices = list(tenant.collection("Invoices").records())
    authorised = sdk.accounting.get_invoices(
        tenant_id, where='Status=="AUTHORISED"', order="Total DESC", page=1
    ).invoices
    totals = [i.total for i in authorised]
    assert totals == sorted(totals, reverse=True)
    assert {i.invoice_id for i in authorised} == {
        i["InvoiceID"] for i in invoices if i["Status"] == "AUTHORISED"
    }
    bills = sdk.accounting.get_invoices(tenant_id, where='Type=="ACCPAY" AND AmountDue>0', page=1)
    assert {i.invoice_id for i in bills.invoices} == {
        i["InvoiceID"] for i in invoices if i["Type"] == "ACCPAY" and i["AmountDue"] > 0
    }
    closed = sdk.accounting.get_invoices(tenant_id, statuses=["PAID", "VOIDED"], page=1)
    assert {i.invoice_id for i in closed.invoices} == {
        i["InvoiceID"] for i in invoices if i["Status"] in ("PAID", "VOIDED")
    }
    banks = sdk.accounting.get_accounts(tenant_id, where='Type=="BANK"').accounts
    assert {a.account_id for a in banks} == {
        a["AccountID"] for a in tenant.collection("Accounts").records() if a["Type"] == "BANK"
    }
    customers = sdk.accounting.get_contacts(tenant_id, where="IsCustomer==true", page=1).contacts
    assert {c.contact_id for c in customers} == {
        c["ContactID"]
        for c in tenant.collection("Contacts").records()
        if c["IsCustomer"] and c["ContactStatus"] != "ARCHIVED"
    }


def _sale(sdk, tenant, **fields) -> Invoice:
    customer = next(c for c in tenant.collection("Contacts").records() if c.get("IsCustomer"))
    return Invoice(
        type="ACCREC",
        contact=Contact(contact_id=customer["ContactID"]),
        date=SANDBOX_ANCHOR - timedelta(days=3),
        due_date=SANDBOX_ANCHOR + timedelta(days=27),
        status="AUTHORISED",
        line_items=[
            LineItem(
                description="SDK",
                quantity=Decimal("2.5"),
                unit_amount=Decimal("10.1234"),
                account_code="200",
            )
        ],
        **fields,
    )


def test_writes_create_pay_unpay_and_void(sdk):
    tenant = _tenants(sdk)[0]
    tenant_id = tenant.tenant_id
    created = sdk.accounting.create_invoices(
        tenant_id, Invoices(invoices=[_sale(sdk, tenant, reference="sdk-write")]), unitdp=4
    ).invoices[0]
    assert created.status_attribute_string == "OK"
    assert created.line_items[0].unit_amount == Decimal("10.1234")
    assert created.line_items[0].tax_type == "OUTPUT"
    assert (created.sub_total, created.total_tax, created.total) == (
        Decimal("25.31"),
        Decimal("2.53"),
        Decimal("27.84"),
    )
    assert created.date == SANDBOX_ANCHOR - timedelta(days=3)
    assert (
        sdk.accounting.get_invoice(tenant_id, created.invoice_id).invoices[0].total == created.total
    )
    bank = next(a for a in tenant.collection("Accounts").records() if a["Type"] == "BANK")
    payment = sdk.accounting.create_payment(
        tenant_id,
        Payment(
            invoice=Invoice(invoice_id=created.invoice_id),
            account=Account(code=bank["Code"]),
            amount=Decimal("10.00"),
            date=SANDBOX_ANCHOR,
        ),
    ).payments[0]
    paid = sdk.accounting.get_invoice(tenant_id, created.invoice_id).invoices[0]
    assert (paid.amount_paid, paid.amount_due) == (Decimal("10.00"), Decimal("17.84"))
    void = Invoices(invoices=[Invoice(invoice_id=created.invoice_id, status="VOIDED")])
    with pytest.raises(AccountingBadRequestException):
        sdk.accounting.update_invoice(tenant_id, created.invoice_id, void)
    sdk.accounting.delete_payment(tenant_id, payment.payment_id, PaymentDelete(status="DELETED"))
    unpaid = sdk.accounting.get_invoice(tenant_id, created.invoice_id).invoices[0]
    assert unpaid.amount_due == Decimal("27.84")
    voided = sdk.accounting.update_invoice(tenant_id, created.invoice_id, void).invoices[0]
    assert (voided.status, voided.amount_due) == ("VOIDED", Decimal("0.00"))
    assert tenant.collection("Invoices").get(created.invoice_id)["Status"] == "VOIDED"


def test_update_contact_and_refused_creates(sdk):
    tenant = _tenants(sdk)[1]
    tenant_id = tenant.tenant_id
    contact = next(iter(tenant.collection("Contacts").records()))
    update = Contacts(
        contacts=[Contact(contact_id=contact["ContactID"], email_address="sdk@example.org")]
    )
    updated = sdk.accounting.update_contact(tenant_id, contact["ContactID"], update).contacts[0]
    assert updated.email_address == "sdk@example.org"
    assert updated.updated_date_utc > contact["UpdatedDateUTC"]
    no_contact = Invoice(
        type="ACCREC", line_items=[LineItem(description="x", quantity=1, unit_amount=1)]
    )
    with pytest.raises(AccountingBadRequestException) as refused:
        sdk.accounting.create_invoices(tenant_id, Invoices(invoices=[no_contact]))
    assert "Contact" in refused.value.reason
    element = refused.value.error_data["Elements"][0]
    assert element["InvoiceID"] == "00000000-0000-0000-0000-000000000000"
    assert element["Type"] == "ACCREC" and element["LineItems"][0]["Description"] == "x"
    answer = sdk.accounting.create_invoices(
        tenant_id,
        Invoices(invoices=[_sale(sdk, tenant, reference="sdk-mixed"), no_contact]),
        summarize_errors=False,
    ).invoices
    assert [i.has_errors or bool(i.validation_errors) for i in answer] == [False, True]
    assert answer[0].invoice_id in tenant.collection("Invoices")
    assert answer[1].status_attribute_string == "ERROR"


def _line(account_code: str) -> LineItem:
    return LineItem(
        description="SDK line",
        quantity=Decimal("3"),
        unit_amount=Decimal("12.50"),
        account_code=account_code,
    )


def _creates(tenant) -> dict:
    """collection -> (SDK create operation, the request body built with the SDK's models)."""
    contact = next(c for c in tenant.collection("Contacts").records() if c.get("IsCustomer"))
    who = Contact(contact_id=contact["ContactID"])
    accounts = list(tenant.collection("Accounts").records())
    expense = next(a["Code"] for a in accounts if a["Type"] == "EXPENSE")
    bank = next(a["Code"] for a in accounts if a["Type"] == "BANK")
    day = SANDBOX_ANCHOR - timedelta(days=1)
    return {
        "Contacts": ("create_contacts", Contacts(contacts=[Contact(name="SDK Contact Ltd")])),
        "CreditNotes": (
            "create_credit_notes",
            CreditNotes(
                credit_notes=[
                    CreditNote(
                        type="ACCRECCREDIT",
                        contact=who,
                        date=day,
                        status="AUTHORISED",
                        line_items=[_line("200")],
                    )
                ]
            ),
        ),
        "Items": ("create_items", Items(items=[Item(code="SDK-1", name="SDK widget")])),
        "BankTransactions": (
            "create_bank_transactions",
            BankTransactions(
                bank_transactions=[
                    BankTransaction(
                        type="SPEND",
                        contact=who,
                        bank_account=Account(code=bank),
                        date=day,
                        line_items=[_line(expense)],
                    )
                ]
            ),
        ),
        "ManualJournals": (
            "create_manual_journals",
            ManualJournals(
                manual_journals=[
                    ManualJournal(
                        narration="SDK journal",
                        date=day,
                        journal_lines=[
                            ManualJournalLine(line_amount=Decimal("10.00"), account_code=expense),
                            ManualJournalLine(line_amount=Decimal("-10.00"), account_code="200"),
                        ],
                    )
                ]
            ),
        ),
        "Quotes": (
            "create_quotes",
            Quotes(quotes=[Quote(contact=who, date=day, line_items=[_line("200")])]),
        ),
        "PurchaseOrders": (
            "create_purchase_orders",
            PurchaseOrders(
                purchase_orders=[PurchaseOrder(contact=who, date=day, line_items=[_line(expense)])]
            ),
        ),
    }


@pytest.mark.parametrize(
    "collection",
    [
        "Contacts",
        "CreditNotes",
        "Items",
        "BankTransactions",
        "ManualJournals",
        "Quotes",
        "PurchaseOrders",
    ],
)
def test_sdk_creates_land_in_the_sandbox(sdk, collection):
    tenant = _tenants(sdk)[1]
    operation, body = _creates(tenant)[collection]
    attribute, id_attribute = LISTS[collection][2], LISTS[collection][3]
    (created,) = getattr(getattr(sdk.accounting, operation)(tenant.tenant_id, body), attribute)
    stored = tenant.collection(collection).get(key_of(created, id_attribute))
    assert stored is not None
    fields = ground_truth.MONEY_FIELDS.get(collection, ())
    assert money_sums([created], fields) == {f: stored[f] for f in fields if f in stored}
    if collection in ("CreditNotes", "BankTransactions", "Quotes", "PurchaseOrders"):
        assert created.sub_total == Decimal("37.50")


def test_sdk_allocates_a_credit_note_and_deletes_an_item(sdk):
    tenant = _tenants(sdk)[1]
    tenant_id = tenant.tenant_id
    _, body = _creates(tenant)["CreditNotes"]
    credit = sdk.accounting.create_credit_notes(tenant_id, body).credit_notes[0]
    invoice = sdk.accounting.create_invoices(
        tenant_id, Invoices(invoices=[_sale(sdk, tenant, reference="sdk-allocate")])
    ).invoices[0]
    allocation = Allocation(
        invoice=Invoice(invoice_id=invoice.invoice_id), amount=Decimal("5.00"), date=SANDBOX_ANCHOR
    )
    sdk.accounting.create_credit_note_allocation(
        tenant_id, credit.credit_note_id, Allocations(allocations=[allocation])
    )
    after = sdk.accounting.get_invoice(tenant_id, invoice.invoice_id).invoices[0]
    assert after.amount_credited == Decimal("5.00")
    assert after.amount_due == invoice.total - Decimal("5.00")
    item = sdk.accounting.create_items(
        tenant_id, Items(items=[Item(code="SDK-GONE", name="Short-lived")])
    ).items[0]
    sdk.accounting.delete_item(tenant_id, item.item_id)
    assert item.item_id not in tenant.collection("Items")
