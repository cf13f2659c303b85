"""The event store's processing states and the consumer's bookkeeping around a sync.
The end-to-end path with the real sync and sandbox is in test_webhook_flow.py."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import pytest

from pipelines.cli import build_parser
from pipelines.cli.sync import from_webhooks_command
from pipelines.webhooks.consumer import apply_pending_events
from pipelines.webhooks.store import EventStore, parse_events, pending_event_summary

T1, T2 = str(uuid.uuid4()), str(uuid.uuid4())


def event(tenant, category, resource_id, when="2026-11-02T00:44:09.923"):
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/X/{resource_id}",
        "resourceId": resource_id,
        "eventDateUtc": when,
        "eventType": "UPDATE",
        "eventCategory": category,
        "tenantId": tenant,
        "tenantType": "ORGANISATION",
    }


@dataclass
class Result:
    ok: bool = True
    errors: list = field(default_factory=list)


class RecordingSync:
    """Stands in for pipelines.runner.sync where only the consumer's bookkeeping is
    under test; fails the given tenants."""

    def __init__(self, failing=(), raising=()):
        self.calls, self.failing, self.raising = [], set(failing), set(raising)

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        tenant = kwargs["tenants"][0]
        if tenant in self.raising:
            raise RuntimeError("warehouse unreachable")
        if tenant in self.failing:
            return Result(ok=False, errors=["invoices: XeroServerError: 503"])
        return Result()


@pytest.fixture
def store(tmp_path):
    with EventStore(tmp_path / "events.sqlite3") as events:
        yield events


def test_one_targeted_sync_per_tenant_with_distinct_ids(store):
    a, b, c = "a" * 8, "b" * 8, "c" * 8
    store.add(
        [
            event(T1, "INVOICE", b),
            event(T1, "INVOICE", a),
            event(T1, "INVOICE", a, when="2026-11-02T00:50:00.000"),
            event(T1, "CONTACT", c),
            event(T2, "CREDITNOTE", a),
        ]
    )
    assert pending_event_summary(store) == {
        T1: {"invoices": 2, "contacts": 1},
        T2: {"credit_notes": 1},
    }
    sync = RecordingSync()
    result = apply_pending_events("duckdb:///w.duckdb", "raw", store=store, sync=sync)
    assert result.ok and result.events_applied == 5
    assert sync.calls == [
        {
            "destination": "duckdb:///w.duckdb",
            "dataset": "raw",
            "tenants": [T1],
            "resources": ["contacts", "invoices"],
            "ids": {"contacts": [c], "invoices": [a, b]},
        },
        {
            "destination": "duckdb:///w.duckdb",
            "dataset": "raw",
            "tenants": [T2],
            "resources": ["credit_notes"],
            "ids": {"credit_notes": [a]},
        },
    ]
    assert store.counts() == {"done": 5}
    assert pending_event_summary(store) == {}
    # nothing left: a second run does no sync
    assert apply_pending_events(store=store, sync=sync).outcomes == []
    assert len(sync.calls) == 2


def test_failed_sync_leaves_events_pending_with_error_and_attempts(store):
    store.add([event(T1, "INVOICE", "i1"), event(T2, "CONTACT", "c1")])
    result = apply_pending_events(store=store, sync=RecordingSync(failing=[T1], raising=[T2]))
    assert not result.ok and result.events_failed == 2
    rows = {e["tenant_id"]: e for e in store.events()}
    assert rows[T1]["state"] == "pending" and rows[T1]["attempts"] == 1
    assert "XeroServerError" in rows[T1]["last_error"]
    assert rows[T2]["state"] == "pending" and "warehouse unreachable" in rows[T2]["last_error"]
    # they wait before the next attempt ...
    waiting = RecordingSync()
    assert apply_pending_events(store=store, sync=waiting).outcomes == []
    assert waiting.calls == [] and pending_event_summary(store) == {}
    assert all(e["next_attempt_at"] > time.time() + 50 for e in store.events())
    # ... and once the load commits, they are done
    assert apply_pending_events(store=store, sync=RecordingSync(), force=True).ok
    assert [(e["state"], e["attempts"], e["last_error"]) for e in store.events()] == [
        ("done", 1, None),
        ("done", 1, None),
    ]


def test_events_fail_for_good_after_max_attempts_until_retried(store):
    store.add([event(T1, "INVOICE", "i1")])
    failing = RecordingSync(failing=[T1])
    waits = []
    for _ in range(3):
        apply_pending_events(store=store, sync=failing, max_attempts=3, force=True)
        waits.append(store.events()[0]["next_attempt_at"] - time.time())
    assert [round(w / 60) for w in waits] == [1, 2, 4]  # minutes, doubling
    assert store.counts() == {"failed": 1}
    assert apply_pending_events(store=store, sync=failing, force=True).outcomes == []
    assert pending_event_summary(store) == {}
    assert store.retry_failed() == 1
    assert apply_pending_events(store=store, sync=RecordingSync()).ok
    assert store.counts() == {"done": 1}


def test_events_arriving_during_a_sync_stay_pending(store):
    store.add([event(T1, "INVOICE", "i1")])

    def sync_while_more_arrive(**kwargs):
        store.add([event(T1, "INVOICE", "i2")])
        return Result()

    apply_pending_events(store=store, sync=sync_while_more_arrive)
    assert {e["resource_id"]: e["state"] for e in store.events()} == {
        "i1": "done",
        "i2": "pending",
    }


def test_only_the_given_tenants_are_applied(store):
    store.add([event(T1, "INVOICE", "i1"), event(T2, "INVOICE", "i2")])
    sync = RecordingSync()
    apply_pending_events(store=store, tenants=[T2], sync=sync)
    assert [c["tenants"] for c in sync.calls] == [[T2]]
    assert pending_event_summary(store) == {T1: {"invoices": 1}}


def test_store_path_default_and_reopen(tmp_path):
    with EventStore() as store:
        assert store.path == tmp_path / "home" / "webhooks.sqlite3"
        store.add([event(T1, "CONTACT", "c1")])
    assert pending_event_summary() == {T1: {"contacts": 1}}


def test_parse_events_accepts_intent_to_receive_and_rejects_junk():
    assert parse_events({"events": [], "firstEventSequence": 0, "lastEventSequence": 0}) == []
    for bad in ([], {"events": None}, {"events": ["x"]}, {"events": [{"resourceId": "x"}]}):
        with pytest.raises(ValueError):
            parse_events(bad)


def test_sync_from_webhooks_with_nothing_pending(capsys):
    args = build_parser().parse_args(["sync", "--from-webhooks"])
    assert from_webhooks_command(args) == 0
    assert capsys.readouterr().out.strip() == "no pending webhook events"


def test_an_interrupted_apply_hands_untried_events_back(store):
    store.add([event(T1, "INVOICE", "i1"), event(T2, "INVOICE", "i2")])

    def interrupted(**kwargs):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        apply_pending_events(store=store, sync=interrupted)
    assert [(e["state"], e["attempts"]) for e in store.events()] == [("pending", 0)] * 2
    assert apply_pending_events(store=store, sync=RecordingSync()).ok


def test_sync_from_webhooks_reports_events_waiting_to_retry(store, capsys, monkeypatch):
    monkeypatch.setenv("XERO_WEBHOOK_STORE", str(store.path))
    store.add([event(T1, "INVOICE", "i1")])
    apply_pending_events(store=store, sync=RecordingSync(failing=[T1]))
    args = build_parser().parse_args(["sync", "--from-webhooks"])
    assert from_webhooks_command(args) == 0
    assert "1 wait to retry" in capsys.readouterr().out
