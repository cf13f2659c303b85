"""Xero webhook events kept durably in SQLite (the consumer in `consumer.py` turns them into
targeted syncs).

Xero's events carry no record data: each one says "this contact/invoice/credit note
changed", so applying them means re-fetching those records by ID and merging them into
the warehouse. The receiver stores events before it answers 200; the consumer marks them
done only after the load that fetched them has committed, so a crash anywhere leaves
them pending, never lost.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipelines.environment import setting, state_home
from pipelines.errors import ConfigurationError

logger = logging.getLogger(__name__)

STORE_FILE = "webhooks.sqlite3"

# eventCategory -> warehouse resource re-fetched by ID
CATEGORY_RESOURCES = {
    "CONTACT": "contacts",
    "INVOICE": "invoices",
    "CREDITNOTE": "credit_notes",
}
# Events the warehouse has nothing to re-fetch for; stored as done.
IGNORED_CATEGORIES = frozenset({"SUBSCRIPTION"})
REQUIRED_FIELDS = ("resourceId", "eventDateUtc", "eventType", "eventCategory", "tenantId")

PENDING, PROCESSING, DONE, FAILED = "pending", "processing", "done", "failed"
# After a failed sync its events wait 1, 2, 4 ... minutes (at most 6 hours) before the
# next attempt, so an outage or a used-up daily quota does not burn the attempts of a
# consumer polled every few seconds; 12 attempts span about a day.
MAX_ATTEMPTS = 12
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 6 * 3600
# A consumer that died mid-apply leaves rows in `processing`; after this long they are
# taken again.
PROCESSING_LEASE_SECONDS = 3600

SCHEMA = """
create table if not exists webhook_events (
    id integer primary key,
    tenant_id text not null,
    event_category text not null,
    resource_id text not null,
    event_date_utc text not null,
    event_type text not null,
    tenant_type text,
    resource_url text,
    data text,
    received_at text not null,
    state text not null default 'pending',
    attempts integer not null default 0,
    last_error text,
    next_attempt_at real,  -- unix time
    claimed_at text,
    done_at text,
    unique (tenant_id, event_category, resource_id, event_date_utc, event_type)
);
create index if not exists webhook_events_state on webhook_events (state, tenant_id);
"""


class InvalidPayload(ValueError):
    """A signed payload that is not a Xero webhook batch."""


def default_store_path() -> Path:
    """`$XERO_WEBHOOK_STORE`, else `$XERO_WAREHOUSE_HOME/webhooks.sqlite3`."""
    explicit = setting("XERO_WEBHOOK_STORE")
    if explicit:
        return Path(explicit).expanduser()
    return state_home() / STORE_FILE


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _now() -> str:
    return _timestamp(datetime.now(UTC))


def parse_events(payload: dict) -> list[dict]:
    """The events of a webhook payload, checked for the fields the store keys on.
    Sequence numbers are not validated: intent-to-receive payloads carry 0."""
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise InvalidPayload("payload has no events list")
    events = payload["events"]
    for event in events:
        if not isinstance(event, dict):
            raise InvalidPayload("event is not an object")
        for name in REQUIRED_FIELDS:
            if not isinstance(event.get(name), str) or not event[name]:
                raise InvalidPayload(f"event without {name}")
    return events


class EventStore:
    """Webhook events in one SQLite file (WAL, synchronous=FULL), safe to share between
    threads of one process and between processes."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_store_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=30, check_same_thread=False, isolation_level=None
            )
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"cannot open the webhook event store {self.path}: {exc}"
            ) from None
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=full")
        self._db.execute("pragma busy_timeout=30000")
        with self._lock:
            self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _write(self, statements: Callable[[sqlite3.Connection], int]) -> int:
        with self._lock:
            self._db.execute("begin immediate")
            try:
                result = statements(self._db)
            except BaseException:
                self._db.execute("rollback")
                raise
            self._db.execute("commit")
            return result

    def add(self, events: Iterable[dict]) -> int:
        """Store events, durably, ignoring ones already stored; returns how many were new."""
        received_at = _now()
        rows = [
            (
                e["tenantId"],
                e["eventCategory"],
                e["resourceId"],
                e["eventDateUtc"],
                e["eventType"],
                e.get("tenantType"),
                e.get("resourceUrl"),
                json.dumps(e["data"]) if "data" in e else None,
                received_at,
                DONE if e["eventCategory"] in IGNORED_CATEGORIES else PENDING,
            )
            for e in events
        ]
        if not rows:
            return 0

        def insert(db: sqlite3.Connection) -> int:
            before = db.total_changes
            db.executemany(
                "insert or ignore into webhook_events (tenant_id, event_category, resource_id,"
                " event_date_utc, event_type, tenant_type, resource_url, data, received_at,"
                " state) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            return db.total_changes - before

        return self._write(insert)

    def claim(self, tenants: list[str] | None = None, force: bool = False) -> list[sqlite3.Row]:
        """Move pending events that are due (all pending ones with force) and ones stuck in
        processing past their lease to processing, and return them."""
        now = datetime.now(UTC)
        stale = _timestamp(now - timedelta(seconds=PROCESSING_LEASE_SECONDS))
        due = "1" if force else "(next_attempt_at is null or next_attempt_at <= ?)"
        where = f"((state = ? and {due}) or (state = ? and claimed_at < ?))"
        params: list = [PENDING] + ([] if force else [now.timestamp()]) + [PROCESSING, stale]
        if tenants:
            where += f" and tenant_id in ({', '.join('?' * len(tenants))})"
            params += tenants

        def take(db: sqlite3.Connection) -> list:
            rows = db.execute(
                "select id, tenant_id, event_category, resource_id"
                f" from webhook_events where {where} order by id",
                params,
            ).fetchall()
            db.executemany(
                "update webhook_events set state = ?, claimed_at = ? where id = ?",
                [(PROCESSING, _timestamp(now), r["id"]) for r in rows],
            )
            return rows

        return self._write(take)

    def _update(self, sql: str, rows: list[tuple]) -> int:
        return self._write(lambda db: db.executemany(sql, rows).rowcount)

    def mark_done(self, ids: list[int]) -> None:
        done_at = _now()
        self._update(
            "update webhook_events set state = ?, done_at = ?, last_error = null where id = ?",
            [(DONE, done_at, i) for i in ids],
        )

    def mark_failed(self, ids: list[int], error: str, max_attempts: int = MAX_ATTEMPTS) -> None:
        """Back to pending with one more attempt, the error and the time of the next
        attempt; `failed` once attempts reach max_attempts."""
        now = time.time()
        self._update(
            "update webhook_events set attempts = attempts + 1, last_error = ?,"
            " state = case when attempts + 1 >= ? then ? else ? end,"
            " next_attempt_at = ? + min(? * (1 << attempts), ?) where id = ?",
            [
                (
                    error,
                    max_attempts,
                    FAILED,
                    PENDING,
                    now,
                    FIRST_RETRY_SECONDS,
                    MAX_RETRY_SECONDS,
                    i,
                )
                for i in ids
            ],
        )

    def release(self, ids: list[int]) -> None:
        """Hand events still in processing back as pending, attempts unchanged (the
        consumer stopped before it could try them)."""
        self._update(
            "update webhook_events set state = ? where id = ? and state = ?",
            [(PENDING, i, PROCESSING) for i in ids],
        )

    def retry_failed(self) -> int:
        """Give events that ran out of attempts another round."""
        return self._update(
            "update webhook_events set state = ?, attempts = 0, next_attempt_at = null"
            " where state = ?",
            [(PENDING, FAILED)],
        )

    def counts(self) -> dict[str, int]:
        """Number of events per state."""
        with self._lock:
            rows = self._db.execute(
                "select state, count(*) from webhook_events group by state"
            ).fetchall()
        return dict(rows)

    def events(self, state: str | None = None) -> list[dict]:
        """Stored events as dicts (for inspection and tests)."""
        query = "select * from webhook_events"
        params: tuple = ()
        if state:
            query += " where state = ?"
            params = (state,)
        with self._lock:
            return [dict(row) for row in self._db.execute(query + " order by id", params)]

    def summary(self) -> dict[str, dict[str, int]]:
        """Distinct records to re-fetch: {tenant_id: {resource: count}}, over pending
        events that are due and ones a consumer is applying."""
        with self._lock:
            rows = self._db.execute(
                "select tenant_id, event_category, count(distinct resource_id)"
                " from webhook_events where state = ?"
                " or (state = ? and (next_attempt_at is null or next_attempt_at <= ?))"
                " group by 1, 2",
                (PROCESSING, PENDING, time.time()),
            ).fetchall()
        summary: dict[str, dict[str, int]] = defaultdict(dict)
        for tenant_id, category, count in rows:
            if category in CATEGORY_RESOURCES:
                summary[tenant_id][CATEGORY_RESOURCES[category]] = count
        return dict(summary)


def open_store(store: EventStore | str | Path | None) -> tuple[EventStore, bool]:
    if isinstance(store, EventStore):
        return store, False
    return EventStore(store), True


def pending_event_summary(
    store: EventStore | str | Path | None = None,
) -> dict[str, dict[str, int]]:
    """{tenant_id: {resource: distinct records waiting}} for the default store or the
    given one (an EventStore or a path)."""
    events, owned = open_store(store)
    try:
        return events.summary()
    finally:
        if owned:
            events.close()
