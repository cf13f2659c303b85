"""The Accounting API over real HTTP: paging, If-Modified-Since, filters, ordering, Journals
by offset, by-id reads and the errors Xero answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from xero_http import open_sandbox_client

from sandbox import wire


@pytest.fixture(scope="module")
def open_xero():
    """One sandbox for the module's read-only tests, rate limits off."""
    with open_sandbox_client() as client:
        yield client


def _tenant(client):
    return client.server.sandbox.tenant(client.tenant_id)


def _ids(body: dict, key: str, pk: str) -> list[str]:
    return [record[pk] for record in body[key]]


def _all_pages(
    client, path: str, key: str, pk: str, params: dict | None = None, headers: dict | None = None
) -> list[str]:
    seen, page = [], 1
    while True:
        body = client.ok(path, {**(params or {}), "page": page}, headers=headers)
        seen += _ids(body, key, pk)
        if "pagination" in body:
            assert body["pagination"]["page"] == page
            if page >= body["pagination"]["pageCount"]:
                return seen
        elif len(body[key]) < int((params or {}).get("pageSize", 100)):
            return seen
        page += 1


def test_paging_returns_every_invoice_once_with_xeros_pagination(open_xero):
    model_ids = _tenant(open_xero).collection("Invoices").ids()
    seen = _all_pages(
        open_xero, "/Invoices", "Invoices", "InvoiceID", {"pageSize": 7, "includeArchived": "true"}
    )
    assert len(seen) == len(set(seen)) == len(model_ids)
    assert set(seen) == set(model_ids)
    first = open_xero.ok("/Invoices", {"page": 1, "pageSize": 7, "includeArchived": "true"})
    assert first["pagination"] == {
        "page": 1,
        "pageSize": 7,
        "pageCount": -(-len(model_ids) // 7),
        "itemCount": len(model_ids),
    }


def test_page_size_above_1000_is_a_validation_error(open_xero):
    answer = open_xero.get("/Invoices", {"page": 1, "pageSize": 1001})
    assert answer.status_code == 400
    body = answer.json()
    assert body["Type"] == "ValidationException" and body["ErrorNumber"] == 10
    assert "pageSize" in body["Elements"][0]["ValidationErrors"][0]["Message"]


def test_line_items_come_only_with_page(open_xero):
    unpaged = open_xero.ok("/Invoices")["Invoices"]
    paged = open_xero.ok("/Invoices", {"page": 1})["Invoices"]
    assert unpaged and all("LineItems" not in invoice for invoice in unpaged)
    assert any(invoice.get("LineItems") for invoice in paged)
    assert len(paged) == min(100, len(unpaged))


def test_if_modified_since_is_inclusive_to_the_second_in_both_header_forms(open_xero):
    collection = _tenant(open_xero).collection("Invoices")
    records = list(collection.records())
    middle = records[len(records) // 2]["UpdatedDateUTC"]
    expected = [
        r["InvoiceID"] for r in records if r["UpdatedDateUTC"] >= middle.replace(microsecond=0)
    ]
    for header in (
        middle.replace(microsecond=0).isoformat(),
        format_datetime(middle.astimezone(UTC), usegmt=True),
    ):
        seen = _all_pages(
            open_xero,
            "/Invoices",
            "Invoices",
            "InvoiceID",
            {"pageSize": 1000, "includeArchived": "true"},
            headers={"If-Modified-Since": header},
        )
        assert seen == expected
    future = (datetime.now(UTC) + timedelta(days=3650)).isoformat()
    assert (
        open_xero.ok("/Invoices", {"page": 1}, headers={"If-Modified-Since": future})["Invoices"]
        == []
    )


def test_order_by_date_descending_and_updated_ascending(open_xero):
    body = open_xero.ok("/Invoices", {"page": 1, "pageSize": 1000, "order": "Date DESC"})
    dates = [wire.parse_date(i["Date"]) for i in body["Invoices"]]
    assert dates == sorted(dates, reverse=True)
    body = open_xero.ok("/Invoices", {"page": 1, "pageSize": 1000, "order": "UpdatedDateUTC ASC"})
    stamps = [wire.parse_datetime(i["UpdatedDateUTC"]) for i in body["Invoices"]]
    assert stamps == sorted(stamps)


def test_where_expressions(open_xero):
    records = list(_tenant(open_xero).collection("Invoices").records())
    contact_id = records[0]["Contact"]["ContactID"]

    def where(expression: str) -> set[str]:
        body = open_xero.ok("/Invoices", {"page": 1, "pageSize": 1000, "where": expression})
        return set(_ids(body, "Invoices", "InvoiceID"))

    def expect(predicate) -> set[str]:
        return {r["InvoiceID"] for r in records if predicate(r)}

    assert where('Status=="AUTHORISED"') == expect(lambda r: r["Status"] == "AUTHORISED")
    assert where('Type=="ACCREC" && Status=="PAID"') == expect(
        lambda r: r["Type"] == "ACCREC" and r["Status"] == "PAID"
    )
    assert where('Type=="ACCPAY" AND Status=="PAID" OR Status=="DRAFT"') == expect(
        lambda r: (r["Type"] == "ACCPAY" and r["Status"] == "PAID") or r["Status"] == "DRAFT"
    )
    assert where(f'Contact.ContactID==guid("{contact_id.upper()}")') == expect(
        lambda r: r["Contact"]["ContactID"] == contact_id
    )
    cutoff = sorted(r["Date"] for r in records)[len(records) // 2]
    assert where(f"Date>=DateTime({cutoff.year},{cutoff.month},{cutoff.day})") == expect(
        lambda r: r["Date"] >= cutoff
    )
    assert open_xero.get("/Invoices", {"where": 'Status=="'}).status_code == 400


def test_explicit_filters(open_xero):
    records = list(_tenant(open_xero).collection("Invoices").records())
    picked = records[:3]
    body = open_xero.ok("/Invoices", {"page": 1, "IDs": ",".join(r["InvoiceID"] for r in picked)})
    assert set(_ids(body, "Invoices", "InvoiceID")) == {r["InvoiceID"] for r in picked}
    body = open_xero.ok("/Invoices", {"page": 1, "pageSize": 1000, "Statuses": "PAID,VOIDED"})
    assert {i["Status"] for i in body["Invoices"]} <= {"PAID", "VOIDED"}
    assert len(body["Invoices"]) == sum(r["Status"] in ("PAID", "VOIDED") for r in records)
    contact_id = picked[0]["Contact"]["ContactID"]
    body = open_xero.ok("/Invoices", {"page": 1, "pageSize": 1000, "ContactIDs": contact_id})
    assert len(body["Invoices"]) == sum(r["Contact"]["ContactID"] == contact_id for r in records)
    number = next(r["InvoiceNumber"] for r in records if r.get("InvoiceNumber"))
    body = open_xero.ok("/Invoices", {"InvoiceNumbers": number})
    assert set(_ids(body, "Invoices", "InvoiceID")) == {
        r["InvoiceID"] for r in records if r.get("InvoiceNumber") == number
    }


def test_archived_contacts_only_with_include_archived(open_xero):
    tenant = _tenant(open_xero)
    contacts = list(tenant.collection("Contacts").records())
    archived = {c["ContactID"] for c in contacts if c["ContactStatus"] == "ARCHIVED"}
    if not archived:
        pytest.skip("no archived contact in the generated organisation")
    default = set(
        _ids(open_xero.ok("/Contacts", {"page": 1, "pageSize": 1000}), "Contacts", "ContactID")
    )
    everything = set(
        _ids(
            open_xero.ok("/Contacts", {"page": 1, "pageSize": 1000, "includeArchived": "true"}),
            "Contacts",
            "ContactID",
        )
    )
    assert not default & archived
    assert everything == {c["ContactID"] for c in contacts}


def test_summary_only_leaves_out_heavy_fields(open_xero):
    full = open_xero.ok("/Contacts", {"page": 1})["Contacts"]
    summary = open_xero.ok("/Contacts", {"page": 1, "summaryOnly": "true"})["Contacts"]
    assert [c["ContactID"] for c in full] == [c["ContactID"] for c in summary]
    assert any("Addresses" in c for c in full)
    assert not any("Addresses" in c for c in summary)


def test_journals_by_offset_walk_every_journal_in_number_order(open_xero):
    total = len(_tenant(open_xero).collection("Journals"))
    numbers, offset = [], 0
    while True:
        batch = open_xero.ok("/Journals", {"offset": offset})["Journals"]
        assert len(batch) <= 100
        numbers += [j["JournalNumber"] for j in batch]
        if len(batch) < 100:
            break
        offset = batch[-1]["JournalNumber"]
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers)) == total
    assert all(
        n > numbers[9]
        for n in [
            j["JournalNumber"]
            for j in open_xero.ok("/Journals", {"offset": numbers[9]})["Journals"]
        ]
    )


def test_by_id_reads_and_404(open_xero):
    invoice = next(
        i for i in _tenant(open_xero).collection("Invoices").records() if i.get("InvoiceNumber")
    )
    body = open_xero.ok(f"/Invoices/{invoice['InvoiceID']}")
    assert _ids(body, "Invoices", "InvoiceID") == [invoice["InvoiceID"]]
    assert "pagination" not in body
    by_number = open_xero.ok(f"/Invoices/{invoice['InvoiceNumber']}")
    assert _ids(by_number, "Invoices", "InvoiceID") == [invoice["InvoiceID"]]
    assert open_xero.get("/Invoices/00000000-0000-0000-0000-000000000000").status_code == 404
    assert open_xero.get("/NoSuchThing").status_code == 404


def test_journal_by_id_leaves_out_its_source(open_xero):
    journal = next(_tenant(open_xero).collection("Journals").records())
    single = open_xero.ok(f"/Journals/{journal['JournalID']}")["Journals"][0]
    assert "SourceID" not in single and "SourceType" not in single
    by_number = open_xero.ok(f"/Journals/{journal['JournalNumber']}")["Journals"][0]
    assert by_number["JournalID"] == journal["JournalID"]


def test_every_other_tenant_has_its_own_data(open_xero):
    first, second = open_xero.server.sandbox.tenants
    one = open_xero.ok("/Organisation", tenant_id=first.tenant_id)["Organisations"][0]
    two = open_xero.ok("/Organisation", tenant_id=second.tenant_id)["Organisations"][0]
    assert (one["Name"], two["Name"]) == (first.name, second.name)


def test_requests_without_credentials_tenant_or_a_servable_type_are_refused(open_xero):
    http, path = open_xero.http, "/api.xro/2.0/Invoices"
    missing = http.get(
        path, headers={"Accept": "application/json", "xero-tenant-id": open_xero.tenant_id}
    )
    assert missing.status_code == 401 and missing.json()["Title"] == "Unauthorized"
    forged = http.get(path, headers=open_xero.headers(Authorization="Bearer forged"))
    assert forged.status_code == 401
    stranger = http.get(path, headers=open_xero.headers("6f8b2c1e-0000-4000-8000-000000000000"))
    assert stranger.status_code == 403
    no_tenant = open_xero.headers()
    del no_tenant["xero-tenant-id"]
    assert http.get(path, headers=no_tenant).status_code == 403
    csv = http.get(path, headers=open_xero.headers(Accept="text/csv"))
    assert csv.status_code == 406


def test_expired_access_token_is_refused_with_token_expired(xero):
    sandbox = xero.server.sandbox
    sandbox.clock.freeze(sandbox.clock.now() + timedelta(minutes=31))
    answer = xero.get("/Organisation")
    assert answer.status_code == 401
    assert answer.json()["Detail"].startswith("TokenExpired")
    assert "invalid_token" in answer.headers["WWW-Authenticate"]


def test_unitdp_keeps_four_decimal_places(open_xero):
    body2 = open_xero.ok("/Invoices", {"page": 1, "pageSize": 1000})
    body4 = open_xero.ok("/Invoices", {"page": 1, "pageSize": 1000, "unitdp": 4})
    lines2 = [line for i in body2["Invoices"] for line in i.get("LineItems", [])]
    lines4 = [line for i in body4["Invoices"] for line in i.get("LineItems", [])]
    assert len(lines2) == len(lines4)
    for short, full in zip(lines2, lines4, strict=True):
        assert abs(short["UnitAmount"] - full["UnitAmount"]) <= 0.005


def test_deleted_bank_transfers_only_with_include_deleted(open_xero):
    transfers = list(_tenant(open_xero).collection("BankTransfers").records())
    deleted = {t["BankTransferID"] for t in transfers if t.get("Status") == "DELETED"}
    default = {t["BankTransferID"] for t in open_xero.ok("/BankTransfers")["BankTransfers"]}
    everything = {
        t["BankTransferID"]
        for t in open_xero.ok("/BankTransfers", {"includeDeleted": "true"})["BankTransfers"]
    }
    assert everything == {t["BankTransferID"] for t in transfers}
    assert default == everything - deleted


def test_the_app_serves_in_process_through_asgi_transport(sandbox):
    import asyncio

    import httpx

    from sandbox.app import create_app
    from sandbox.identity import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    app = create_app(sandbox, limits=False)
    token = app.state.runtime.identity.issue_refresh_token()

    async def scenario() -> dict:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            answer = await client.post(
                "/connect/token",
                data={"grant_type": "refresh_token", "refresh_token": token},
                auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
            )
            access = answer.json()["access_token"]
            contacts = await client.get(
                "/api.xro/2.0/Contacts",
                params={"page": 1},
                headers={
                    "Authorization": f"Bearer {access}",
                    "Accept": "application/json",
                    "xero-tenant-id": sandbox.tenants[0].tenant_id,
                },
            )
            return contacts.json()

    body = asyncio.run(scenario())
    assert body["Contacts"] and body["pagination"]["page"] == 1
