"""The sandbox's webhook sender against the real receiver over HTTP: signatures, the
intent-to-receive probe, bursts, and a receiver killed mid-burst."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
import yaml
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from pipelines.webhooks.receiver import running_receiver, serving, signature_of
from pipelines.webhooks.store import EventStore
from sandbox.webhooks import RetryPolicy, WebhookDeliveryError, WebhookSender, start_sender

KEY = "test-webhook-key-0123456789"  # as in conftest.py
FAST_RETRIES = RetryPolicy(time_scale=1000)  # 5 ms doubling to 3.6 s, for 86 s


class ChangeLog:
    """What Xero would notify about: every change to contacts, invoices, credit notes,
    keyed as the store keys events."""

    CATEGORIES = {"Contacts": "CONTACT", "Invoices": "INVOICE", "CreditNotes": "CREDITNOTE"}

    def __init__(self, sandbox):
        self.sandbox, self.keys = sandbox, set()

    def __call__(self, tenant_id, collection, record_id, event_type):
        if collection in self.CATEGORIES:
            moment = self.sandbox.clock.now().replace(tzinfo=None)
            when = moment.isoformat(timespec="milliseconds")
            self.keys.add((tenant_id, self.CATEGORIES[collection], record_id, when, event_type))


EDITABLE = ("DRAFT", "SUBMITTED", "AUTHORISED")


def make_changes(sandbox, count: int, label: str) -> None:
    """`count` writes spread over the tenants: new contacts and edited invoices, one
    millisecond of sandbox time apart."""
    invoices = [
        (t, i["InvoiceID"])
        for t in sandbox.tenants
        for i in t.collection("Invoices").records()
        if i["Status"] in EDITABLE
    ]
    for n in range(count):
        sandbox.clock.advance(seconds=0.001)
        if n % 2:
            tenant, invoice_id = invoices[n % len(invoices)]
            tenant.update("Invoices", invoice_id, {"Reference": f"{label}-{n}"})
        else:
            tenant = sandbox.tenants[n % len(sandbox.tenants)]
            tenant.create("Contacts", {"Name": f"{label} contact {n}"})


def stored_keys(store: EventStore) -> list[tuple]:
    return [
        (
            e["tenant_id"],
            e["event_category"],
            e["resource_id"],
            e["event_date_utc"],
            e["event_type"],
        )
        for e in store.events()
    ]


@pytest.fixture
def changes(sandbox):
    sandbox.clock.freeze(datetime.now(UTC))
    log = ChangeLog(sandbox)
    sandbox.add_change_listener(log)
    yield log
    sandbox.remove_change_listener(log)
    sandbox.clock.unfreeze()


def test_intent_to_receive_passes_with_the_right_key(sandbox, receiver, store):
    sender = WebhookSender(sandbox, receiver.url, KEY)
    assert sender.intent_to_receive()
    sender.stop(drain=False)
    assert store.events() == []


def test_a_receiver_with_another_key_fails_the_probe(sandbox, store):
    with running_receiver("another-key", store) as running, pytest.raises(WebhookDeliveryError):
        WebhookSender(sandbox, running.url, KEY).start()
    assert store.events() == []


def test_burst_of_1000_changes_arrives_complete_and_once(sandbox, receiver, store, changes):
    with WebhookSender(sandbox, receiver.url, KEY, retry=FAST_RETRIES) as sender:
        make_changes(sandbox, 1000, "burst")
        assert sender.wait_idle(timeout=120)
    keys = stored_keys(store)
    assert len(keys) == len(set(keys)) == len(changes.keys)
    assert set(keys) == changes.keys
    assert {k[1] for k in keys} == {"CONTACT", "INVOICE"}
    assert sender.stats.events_dropped == 0


def test_events_carry_what_xero_sends(sandbox, receiver, store, changes):
    tenant = sandbox.tenants[0]
    credit_note = next(tenant.collection("CreditNotes").records())
    with WebhookSender(sandbox, receiver.url, KEY, api_url="http://127.0.0.1:9/") as sender:
        tenant.update("CreditNotes", credit_note["CreditNoteID"], {"Reference": "webhook"})
        assert sender.wait_idle(timeout=30)
    (event,) = [e for e in store.events() if e["event_category"] == "CREDITNOTE"]
    assert event["tenant_id"] == tenant.tenant_id
    assert event["tenant_type"] == "ORGANISATION"
    assert event["event_type"] == "UPDATE"
    assert event["resource_url"] == (
        f"http://127.0.0.1:9/api.xro/2.0/CreditNotes/{credit_note['CreditNoteID']}"
    )
    assert json.loads(event["data"]) == {
        "Type": credit_note["Type"],
        "Status": tenant.collection("CreditNotes").get(credit_note["CreditNoteID"])["Status"],
    }


def test_receiver_killed_mid_burst_loses_nothing_and_stores_nothing_twice(
    sandbox, receiver_process, changes
):
    receiver_process.start()
    with WebhookSender(sandbox, receiver_process.url, KEY, retry=FAST_RETRIES) as sender:
        make_changes(sandbox, 400, "before")
        receiver_process.kill()  # no goodbye: queued and in-flight batches see it gone
        make_changes(sandbox, 600, "during")
        time.sleep(0.5)  # let deliveries fail for a while
        receiver_process.start()
        assert sender.wait_idle(timeout=120)
    assert sender.stats.failed_attempts > 0
    assert sender.stats.events_dropped == 0
    with EventStore(receiver_process.store_path) as store:
        keys = stored_keys(store)
    assert len(keys) == len(set(keys)) == len(changes.keys) >= 1000
    assert set(keys) == changes.keys


def test_retries_give_up_after_the_window_and_disable_the_webhook(sandbox, receiver_process):
    receiver_process.start()
    short = RetryPolicy(first_delay=0.01, max_delay=0.02, give_up_after=0.1)
    sender = WebhookSender(sandbox, receiver_process.url, KEY, retry=short).start()
    receiver_process.kill()
    tenant = sandbox.tenants[0]
    tenant.create("Contacts", {"Name": "never delivered"})
    assert sender.wait_idle(timeout=30)
    sender.stop()
    assert sender.disabled
    assert sender.stats.events_dropped == 1 and sender.stats.events_delivered == 0


def test_sandbox_serve_starts_a_sender_given_url_and_key(sandbox, receiver, store):
    assert start_sender(sandbox, "http://127.0.0.1:8700", receiver.url, "") is None
    assert start_sender(sandbox, "http://127.0.0.1:8700", None, KEY) is None
    sender = start_sender(sandbox, "http://127.0.0.1:8700", receiver.url, KEY)
    try:
        contact = sandbox.tenants[0].create("Contacts", {"Name": "From env"})
        assert sender.wait_idle(timeout=30)
    finally:
        sender.stop()
    (event,) = store.events()
    assert event["resource_url"] == (
        f"http://127.0.0.1:8700/api.xro/2.0/Contacts/{contact['ContactID']}"
    )
    assert event["event_type"] == "CREATE"


def test_payloads_follow_xero_webhook_spec(sandbox):
    spec = yaml.safe_load((Path(__file__).parent / "xero-webhooks.yaml").read_text())
    schemas = {
        name: {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
        for name in ("WebhookEvent", "CreditNoteWebhookEvent")
    }
    received: list[tuple[bytes, str]] = []

    async def capture(request):
        received.append((await request.body(), request.headers["x-xero-signature"]))
        return Response(status_code=200)

    app = Starlette(routes=[Route("/hook", capture, methods=["POST"])])
    tenant = sandbox.tenants[0]
    with serving(app) as port:
        sender = WebhookSender(sandbox, f"http://127.0.0.1:{port}/hook", KEY, max_batch=7)
        with sender.start(probe=False):
            for note in list(tenant.collection("CreditNotes").records())[:5]:
                tenant.update("CreditNotes", note["CreditNoteID"], {"Reference": "spec"})
            make_changes(sandbox, 20, "spec")
            assert sender.wait_idle(timeout=30)

    sequence = 0
    for body, signature in received:
        assert signature == signature_of(KEY, body)
        payload = json.loads(body)
        credit_notes_only = {e["eventCategory"] for e in payload["events"]} == {"CREDITNOTE"}
        schema = schemas["CreditNoteWebhookEvent" if credit_notes_only else "WebhookEvent"]
        jsonschema.validate(payload, schema)
        assert payload["firstEventSequence"] == sequence + 1
        assert payload["lastEventSequence"] == sequence + len(payload["events"])
        sequence = payload["lastEventSequence"]
        assert re.fullmatch(r"[A-Z]{20}", payload["entropy"])
        for event in payload["events"]:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", event["eventDateUtc"])
            assert event["resourceUrl"].endswith(event["resourceId"])
    assert sequence == 25 and len(received) >= 4
