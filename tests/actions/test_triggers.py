"""Triggers: webhook events in the store become distinct "created" and "updated" firings,
each carrying its tenant and the record ids, each event firing once."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.triggers import IDS_TAG, TENANT_TAG, TRIGGER_TAG, build_trigger_sensor
from pipelines.actions.triggers import MAX_IDS_PER_FIRING, new_firings
from pipelines.errors import ConfigurationError
from pipelines.webhooks.store import EventStore

TENANT_A = "11111111-1111-1111-1111-111111111111"
TENANT_B = "22222222-2222-2222-2222-222222222222"


def event(tenant: str, category: str, event_type: str, resource: str, second: int = 0) -> dict:
    return {
        "tenantId": tenant,
        "eventCategory": category,
        "eventType": event_type,
        "resourceId": resource,
        "eventDateUtc": f"2026-11-30T10:00:{second:02d}.000",
    }


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "webhooks.sqlite3"
    monkeypatch.setenv("XERO_WEBHOOK_STORE", str(path))
    with EventStore(path) as store:
        yield store


def test_created_and_updated_are_distinct_triggers(store):
    store.add([
        event(TENANT_A, "INVOICE", "CREATE", "inv-1"),
        event(TENANT_A, "INVOICE", "UPDATE", "inv-1", 1),
        event(TENANT_B, "INVOICE", "CREATE", "inv-2", 2),
        event(TENANT_A, "CONTACT", "CREATE", "con-1", 3),
        event(TENANT_A, "INVOICE", "CREATE", "inv-3", 4),
    ])  # fmt: skip
    created = new_firings("invoice.created")
    assert [(f.tenant_id, f.ids) for f in created] == [
        (TENANT_B, ("inv-2",)),
        (TENANT_A, ("inv-1", "inv-3")),
    ]
    assert [f.ids for f in new_firings("invoice.updated")] == [("inv-1",)]
    assert [f.ids for f in new_firings("contact.created")] == [("con-1",)]
    assert new_firings("contact.updated") == []
    assert new_firings("invoice.created", after_id=created[-1].last_event_id) == []


def test_a_large_batch_is_split(store):
    store.add([event(TENANT_A, "CONTACT", "UPDATE", f"c-{n}", n % 60) for n in range(150)])
    sizes = [len(f.ids) for f in new_firings("contact.updated")]
    assert sizes == [MAX_IDS_PER_FIRING, 50]


def test_the_sensor_launches_one_run_per_firing_and_moves_its_cursor(store):
    sensor = build_trigger_sensor("credit_note.created", "my_job")
    assert sensor.name == "xero_credit_note_created"
    assert isinstance(sensor.evaluate_tick(dg.build_sensor_context()).skip_message, str)
    store.add([event(TENANT_A, "CREDITNOTE", "CREATE", "cn-1"),
               event(TENANT_A, "CREDITNOTE", "UPDATE", "cn-1", 1)])  # fmt: skip
    result = sensor.evaluate_tick(dg.build_sensor_context())
    [request] = result.run_requests
    assert request.tags[TRIGGER_TAG] == "credit_note.created"
    assert (request.tags[TENANT_TAG], request.tags[IDS_TAG]) == (TENANT_A, "cn-1")
    again = sensor.evaluate_tick(dg.build_sensor_context(cursor=result.cursor))
    assert again.run_requests == []


def test_unknown_triggers_are_refused(store):
    with pytest.raises(ConfigurationError, match="unknown trigger 'payment.created'"):
        new_firings("payment.created")
    with pytest.raises(ValueError, match="unknown trigger"):
        build_trigger_sensor("invoice.deleted", "my_job")
