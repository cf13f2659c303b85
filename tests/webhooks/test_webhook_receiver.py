"""The receiver over real HTTP (uvicorn on a free loopback port) with a real SQLite store."""

from __future__ import annotations

import json
import logging
import uuid

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from pipelines.cli import main
from pipelines.errors import ConfigurationError
from pipelines.webhooks.receiver import create_webhook_app, running_receiver, serving, signature_of
from pipelines.webhooks.store import EventStore, default_store_path, pending_event_summary

KEY = "test-webhook-key-0123456789"  # as in conftest.py
TENANT = "aef86862-2015-4b6b-88bc-d89032cecc50"


def event(category="INVOICE", resource_id=None, when="2026-11-02T00:44:09.923", kind="UPDATE"):
    resource_id = resource_id or str(uuid.uuid4())
    path = {"INVOICE": "Invoices", "CONTACT": "Contacts", "CREDITNOTE": "CreditNotes"}
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/{path.get(category, 'x')}/{resource_id}",
        "resourceId": resource_id,
        "eventDateUtc": when,
        "eventType": kind,
        "eventCategory": category,
        "tenantId": TENANT,
        "tenantType": "ORGANISATION",
    }


def payload(events, first=1):
    return json.dumps(
        {
            "events": events,
            "firstEventSequence": first if events else 0,
            "lastEventSequence": first + len(events) - 1 if events else 0,
            "entropy": "FXNGWLCCGVANWHKILRUB",
        }
    ).encode()


def post(url, body, signature=None, key=KEY, **kwargs):
    headers = {"content-type": "application/json"}
    if signature is not False:
        headers["x-xero-signature"] = signature or signature_of(key, body)
    return httpx.post(url, content=body, headers=headers, timeout=10, **kwargs)


def test_signed_batch_is_stored_and_answered_with_an_empty_200(receiver, store):
    events = [event("INVOICE"), event("CONTACT"), event("CREDITNOTE")]
    events[2]["data"] = {"Type": "ACCRECCREDIT", "Status": "AUTHORISED"}
    response = post(receiver.url, payload(events))
    assert response.status_code == 200
    assert response.content == b""
    stored = store.events()
    assert [(e["event_category"], e["resource_id"], e["state"]) for e in stored] == [
        (e["eventCategory"], e["resourceId"], "pending") for e in events
    ]
    assert json.loads(stored[2]["data"]) == {"Type": "ACCRECCREDIT", "Status": "AUTHORISED"}
    assert all(e["received_at"] and e["attempts"] == 0 for e in stored)


@pytest.mark.parametrize("signature", [False, "", "bm90IHRoZSBzaWduYXR1cmU=", "ünïcode".encode()])
def test_missing_or_bad_signature_is_401_and_stores_nothing(receiver, store, signature, caplog):
    secret_id = str(uuid.uuid4())
    body = payload([event(resource_id=secret_id)])
    with caplog.at_level(logging.DEBUG):
        response = post(receiver.url, body, signature=signature or False)
    assert response.status_code == 401
    assert response.content == b""
    assert store.events() == []
    assert secret_id not in caplog.text
    warnings = [r for r in caplog.records if r.name == "pipelines.webhooks.receiver"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_payload_signed_with_another_key_is_401(receiver, store):
    response = post(receiver.url, payload([event()]), key="some-other-key")
    assert response.status_code == 401
    assert store.events() == []


def test_intent_to_receive(receiver, store):
    body = payload([])
    assert json.loads(body)["firstEventSequence"] == 0  # below the spec's minimum, as Xero sends
    for _ in range(3):
        good = post(receiver.url, body)
        assert (good.status_code, good.content) == (200, b"")
        bad = post(receiver.url, body, signature=signature_of("wrong", body))
        assert (bad.status_code, bad.content) == (401, b"")
    assert store.events() == []


def test_redelivered_events_are_stored_once(receiver, store):
    events = [event() for _ in range(5)]
    assert post(receiver.url, payload(events)).status_code == 200
    # Xero's retry sends the same events; a later batch may overlap an earlier one.
    assert post(receiver.url, payload(events)).status_code == 200
    assert post(receiver.url, payload(events[3:] + [event()], first=4)).status_code == 200
    assert len(store.events()) == 6


def test_same_record_changed_twice_is_two_events(receiver, store):
    rid = str(uuid.uuid4())
    first = event(resource_id=rid, when="2026-11-02T00:44:09.923", kind="CREATE")
    second = event(resource_id=rid, when="2026-11-02T00:45:10.001")
    assert post(receiver.url, payload([first, second])).status_code == 200
    assert len(store.events()) == 2
    assert pending_event_summary(store) == {TENANT: {"invoices": 1}}


def test_oversized_body_is_413_without_reading_it_all(receiver, store):
    def chunks():  # streamed without content-length: the limit applies while reading
        for _ in range(64):
            yield b" " * 65536

    response = httpx.post(
        receiver.url, content=chunks(), headers={"x-xero-signature": "x"}, timeout=10
    )
    assert response.status_code == 413
    declared = post(receiver.url, b" " * (1024 * 1024 + 1))
    assert declared.status_code == 413
    assert store.events() == []


def test_signed_but_malformed_payloads_are_400(receiver, store):
    for body in (b"not json", b'{"events": {}}', payload([{"resourceId": "x"}])):
        assert post(receiver.url, body).status_code == 400
    assert store.events() == []


def test_subscription_events_are_kept_but_need_no_sync(receiver, store):
    sub = event("SUBSCRIPTION") | {"tenantType": "APPLICATION"}
    assert post(receiver.url, payload([sub, event("CONTACT")])).status_code == 200
    assert [e["state"] for e in store.events()] == ["done", "pending"]
    assert pending_event_summary(store) == {TENANT: {"contacts": 1}}


def test_only_post_is_served(receiver):
    assert httpx.get(receiver.url).status_code == 405


def test_events_survive_a_restart(tmp_path):
    path = tmp_path / "events.sqlite3"
    events = [event() for _ in range(3)]
    with running_receiver(KEY, path) as running:
        assert post(running.url, payload(events)).status_code == 200
    with running_receiver(KEY, path) as running:
        assert post(running.url, payload(events)).status_code == 200
    with EventStore(path) as store:
        assert sorted(e["resource_id"] for e in store.events()) == sorted(
            e["resourceId"] for e in events
        )
        assert store.path.with_name("events.sqlite3-wal").exists()  # WAL mode


def test_mountable_in_another_app(store):
    outer = Starlette(routes=[Mount("/hooks", app=create_webhook_app(KEY, store))])
    with serving(outer) as port:
        response = post(f"http://127.0.0.1:{port}/hooks/webhooks/xero", payload([event()]))
    assert response.status_code == 200
    assert len(store.events()) == 1


def test_key_and_store_come_from_the_environment_at_run_time(monkeypatch, tmp_path):
    with pytest.raises(ConfigurationError, match="XERO_WEBHOOK_KEY"):
        create_webhook_app(store=tmp_path / "s.sqlite3")
    monkeypatch.setenv("XERO_WEBHOOK_KEY", KEY)
    app = create_webhook_app()
    assert app.state.event_store.path == tmp_path / "home" / "webhooks.sqlite3"
    app.state.event_store.close()
    monkeypatch.setenv("XERO_WEBHOOK_STORE", str(tmp_path / "elsewhere.sqlite3"))
    assert default_store_path() == tmp_path / "elsewhere.sqlite3"


def test_serve_without_a_key_is_one_clear_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["webhooks", "serve", "--port", "0"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "XERO_WEBHOOK_KEY" in err[0]
