"""Triggers: "contact created", "invoice updated", ... read from the webhook event store.

Xero's webhook events say what changed (CONTACT, INVOICE, CREDITNOTE) and how (CREATE,
UPDATE); the receiver (`xero-warehouse webhooks serve`) stores every event before it
answers. A trigger is one (category, event type) pair: `new_firings(trigger, after_id)`
returns the events stored after a cursor, grouped per tenant, so each firing carries the
tenant and the ids of the records. Reading never changes an event's state: triggers and the
warehouse's targeted syncs consume the same events independently.

In Dagster, `dagster_project.triggers.build_trigger_sensor` turns a trigger into a sensor
that launches your job once per firing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import ConfigurationError
from pipelines.webhooks.store import EventStore, default_store_path

# trigger name -> (Xero's eventCategory, eventType)
TRIGGERS = {
    "contact.created": ("CONTACT", "CREATE"),
    "contact.updated": ("CONTACT", "UPDATE"),
    "invoice.created": ("INVOICE", "CREATE"),
    "invoice.updated": ("INVOICE", "UPDATE"),
    "credit_note.created": ("CREDITNOTE", "CREATE"),
    "credit_note.updated": ("CREDITNOTE", "UPDATE"),
}
MAX_IDS_PER_FIRING = 100


@dataclass(frozen=True)
class Firing:
    """One trigger firing: the records of one tenant that the events name."""

    trigger: str
    tenant_id: str
    ids: tuple[str, ...]  # distinct record ids, in the order their events arrived
    last_event_id: int  # the cursor to resume after


def new_firings(
    trigger: str, after_id: int = 0, store_path: str | Path | None = None, limit: int = 1000
) -> list[Firing]:
    """Firings for the events of `trigger` stored after event id `after_id` (at most
    `limit` events; up to MAX_IDS_PER_FIRING ids each)."""

    if trigger not in TRIGGERS:
        raise ConfigurationError(f"unknown trigger {trigger!r}; one of {', '.join(TRIGGERS)}")
    category, event_type = TRIGGERS[trigger]
    path = Path(store_path) if store_path else default_store_path()
    if not path.exists():
        return []
    EventStore(path).close()  # creates the table in a store no event has reached yet
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        rows = db.execute(
            "select id, tenant_id, resource_id from webhook_events where event_category = ?"
            " and event_type = ? and id > ? order by id limit ?",
            (category, event_type, after_id, limit),
        ).fetchall()
    return _group(trigger, rows)


def _group(trigger: str, rows: list[tuple[int, str, str]]) -> list[Firing]:
    firings: list[Firing] = []
    open_batches: dict[str, tuple[list[str], int]] = {}
    for event_id, tenant_id, resource_id in rows:
        ids, _ = open_batches.get(tenant_id, ([], 0))
        if resource_id.lower() not in (i.lower() for i in ids):
            ids.append(resource_id)
        open_batches[tenant_id] = (ids, event_id)
        if len(ids) >= MAX_IDS_PER_FIRING:
            firings.append(Firing(trigger, tenant_id, tuple(ids), event_id))
            del open_batches[tenant_id]
    for tenant_id, (ids, last) in open_batches.items():
        firings.append(Firing(trigger, tenant_id, tuple(ids), last))
    return sorted(firings, key=lambda f: f.last_event_id)
