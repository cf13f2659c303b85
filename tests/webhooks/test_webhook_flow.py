"""End to end over real HTTP: sandbox changes -> signed webhooks -> receiver -> event store
-> targeted syncs against the sandbox -> DuckDB, checked against the sandbox's records."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from pipelines.cli import main
from pipelines.destination import parse_destination
from pipelines.webhooks.consumer import apply_pending_events
from pipelines.webhooks.store import pending_event_summary
from sandbox.server import running_sandbox
from sandbox.webhooks import RetryPolicy, WebhookSender

KEY = "test-webhook-key-0123456789"  # as in conftest.py
TIME_SCALE = 1000.0
ROUTES = {"invoices": "/Invoices", "contacts": "/Contacts", "credit_notes": "/CreditNotes"}
EDITABLE = ("DRAFT", "SUBMITTED", "AUTHORISED")


@pytest.fixture
def server(sandbox, monkeypatch):
    with running_sandbox(sandbox, time_scale=TIME_SCALE, limits=True) as running:
        for name, value in running.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("XERO_RATE_LIMIT_TIME_SCALE", str(TIME_SCALE))
        yield running


@pytest.fixture
def destination(tmp_path):
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


@pytest.fixture
def deliver(sandbox, server, receiver):
    """Run a block of sandbox writes with the sender delivering them to the receiver."""
    sandbox.clock.freeze(datetime.now(UTC))

    def run(writes):
        retry = RetryPolicy(time_scale=TIME_SCALE)
        with WebhookSender(sandbox, receiver.url, KEY, api_url=server.api_url, retry=retry) as s:
            writes()
            assert s.wait_idle(timeout=120)
        assert s.stats.events_dropped == 0

    yield run
    sandbox.clock.unfreeze()


def editable_invoices(tenant):
    return [i for i in tenant.collection("Invoices").records() if i["Status"] in EDITABLE]


def editable_credit_notes(tenant):
    notes = tenant.collection("CreditNotes").records()
    return [c for c in notes if c["Status"] in EDITABLE]


def query(destination, sql, *params):
    connection = parse_destination(destination).connect()
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


@pytest.mark.slow
def test_a_burst_of_1000_events_is_applied_in_few_requests(
    sandbox, server, store, deliver, destination
):
    created: dict[str, dict[str, str]] = {t.tenant_id: {} for t in sandbox.tenants}

    def writes():
        for n in range(1000):
            sandbox.clock.advance(seconds=0.001)
            tenant = sandbox.tenants[n % 2]
            if n % 20 in (16, 17):  # in place of invoice edits; n % 2 picks the tenant
                notes = editable_credit_notes(tenant)
                note = notes[n % len(notes)]
                tenant.update("CreditNotes", note["CreditNoteID"], {"Reference": f"burst {n}"})
            elif n % 4 < 2:
                invoices = editable_invoices(tenant)
                invoice = invoices[n % len(invoices)]
                tenant.update("Invoices", invoice["InvoiceID"], {"Reference": f"burst {n}"})
            else:
                contact = tenant.create("Contacts", {"Name": f"Webhook contact {n}"})
                created[tenant.tenant_id][contact["ContactID"]] = contact["Name"]

    deliver(writes)
    summary = pending_event_summary(store)
    assert sum(sum(c.values()) for c in summary.values()) > 500
    server.log.reset()

    result = apply_pending_events(destination, store=store)

    assert result.ok, [o.error for o in result.outcomes]
    assert store.counts() == {"done": len(store.events())}
    assert len(store.events()) >= 1000
    for tenant in sandbox.tenants:
        tid = tenant.tenant_id
        for resource, count in summary[tid].items():
            requests = server.log.count(tenant_id=tid, route=ROUTES[resource], method="GET")
            # IDs= takes 50 ids; credit notes have no IDs parameter and go by `where`
            # filters, 25 GUIDs to a request to fit Xero's 2,048-character query string
            per_request = 25 if resource == "credit_notes" else 50
            assert 0 < requests <= math.ceil(count / per_request), (resource, count, requests)
        contacts = dict(
            query(
                destination, "select contact_id, name from xero.contacts where tenant_id = ?", tid
            )
        )
        assert contacts == created[tid]
        references = dict(
            query(
                destination,
                "select invoice_id, reference from xero.invoices where tenant_id = ?",
                tid,
            )
        )
        expected = {
            i["InvoiceID"]: i.get("Reference")
            for i in tenant.collection("Invoices").records()
            if i["InvoiceID"] in references
        }
        assert references == expected
        assert len(references) == summary[tid]["invoices"]
        notes = dict(
            query(
                destination,
                "select credit_note_id, reference from xero.credit_notes where tenant_id = ?",
                tid,
            )
        )
        assert len(notes) == summary[tid]["credit_notes"] > 0
        assert notes == {
            c["CreditNoteID"]: c.get("Reference")
            for c in tenant.collection("CreditNotes").records()
            if c["CreditNoteID"] in notes
        }
        duplicates = query(
            destination,
            "select count(*) - count(distinct invoice_id) from xero.invoices where tenant_id = ?",
            tid,
        )
        assert duplicates == [(0,)]


def test_events_stay_pending_until_the_load_commits(sandbox, server, store, deliver, destination):
    tenant = sandbox.tenants[0]
    invoice = editable_invoices(tenant)[0]
    credit_note = next(tenant.collection("CreditNotes").records())

    def writes():
        sandbox.clock.advance(seconds=1)
        tenant.update("Invoices", invoice["InvoiceID"], {"Reference": "first edit"})
        tenant.update("CreditNotes", credit_note["CreditNoteID"], {"Reference": "cn edit"})

    deliver(writes)
    # Xero answers 503 to every invoice read of this tenant: the sync cannot load them.
    fault = server.faults.add(
        "status", status=503, count=None, tenant_id=tenant.tenant_id, path="/Invoices"
    )

    failed = apply_pending_events(destination, store=store)

    assert not failed.ok
    events = store.events()
    assert {e["state"] for e in events} == {"pending"}
    assert {e["attempts"] for e in events} == {1}
    assert all("503" in e["last_error"] or "Server" in e["last_error"] for e in events)
    assert pending_event_summary(store) == {}  # waiting for their next attempt

    server.faults.remove(fault.id)
    assert apply_pending_events(destination, store=store).outcomes == []  # not due yet
    assert apply_pending_events(destination, store=store, force=True).ok
    assert store.counts() == {"done": 2}
    rows = query(
        destination,
        "select reference from xero.invoices where invoice_id = ?",
        invoice["InvoiceID"],
    )
    assert rows == [("first edit",)]
    rows = query(
        destination,
        "select reference from xero.credit_notes where credit_note_id = ?",
        credit_note["CreditNoteID"],
    )
    assert rows == [("cn edit",)]


def test_sync_from_webhooks_command(
    sandbox, server, store, deliver, destination, capsys, monkeypatch
):
    monkeypatch.setenv("XERO_WEBHOOK_STORE", str(store.path))
    tenant = sandbox.tenants[1]
    contact = next(tenant.collection("Contacts").records())

    deliver(lambda: tenant.update("Contacts", contact["ContactID"], {"Name": "Renamed Ltd"}))
    with pytest.raises(SystemExit) as exit_info:
        main(["sync", "--from-webhooks", "--destination", destination])

    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"{tenant.tenant_id}: 1 events (1 contacts) applied" in out
    assert query(destination, "select name from xero.contacts") == [("Renamed Ltd",)]
    assert store.counts() == {"done": 1}
