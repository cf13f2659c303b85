"""Xero webhook events kept durably in SQLite, and the consumer that turns them into
targeted syncs.

Xero's events carry no record data: each one says "this contact/invoice/credit note
changed", so applying them means re-fetching those records by ID and merging them into
the warehouse. The receiver stores events before it answers 200; the consumer marks them
done only after the load that fetched them has committed, so a crash anywhere leaves
them pending, never lost.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
    explicit = os.environ.get("XERO_WEBHOOK_STORE")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("XERO_WAREHOUSE_HOME") or "~/.xero-warehouse"
    return Path(home).expanduser() / STORE_FILE


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


def _open(store: EventStore | str | Path | None) -> tuple[EventStore, bool]:
    if isinstance(store, EventStore):
        return store, False
    return EventStore(store), True


def pending_event_summary(
    store: EventStore | str | Path | None = None,
) -> dict[str, dict[str, int]]:
    """{tenant_id: {resource: distinct records waiting}} for the default store or the
    given one (an EventStore or a path)."""
    events, owned = _open(store)
    try:
        return events.summary()
    finally:
        if owned:
            events.close()


@dataclass
class TenantOutcome:
    tenant_id: str
    ids: dict[str, list[str]]  # resource -> distinct record ids re-fetched
    events: int
    error: str | None = None
    result: object = None  # what the sync returned, when it returned


@dataclass
class ApplyResult:
    outcomes: list[TenantOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.error is None for o in self.outcomes)

    @property
    def events_applied(self) -> int:
        return sum(o.events for o in self.outcomes if o.error is None)

    @property
    def events_failed(self) -> int:
        return sum(o.events for o in self.outcomes if o.error is not None)


def _sync_errors(result) -> str | None:
    if result.ok:
        return None
    return "; ".join(str(e) for e in result.errors or ["sync failed"])[:2000]


def apply_pending_events(
    destination: str | None = None,
    dataset: str = "xero",
    *,
    store: EventStore | str | Path | None = None,
    tenants: list[str] | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    force: bool = False,
    sync: Callable | None = None,
) -> ApplyResult:
    """Re-fetch the records named by pending events, one targeted sync per tenant, and
    mark the events done once that sync has committed. Events of a failed sync go back
    to pending with the error and wait before their next attempt (force: take them now);
    they are failed after max_attempts.

    `sync` defaults to `pipelines.runner.sync`; it is called as
    `sync(destination=, dataset=, tenants=[tenant_id], resources=[...], ids={resource: [...]})`.
    """
    sync = sync or _runner_sync
    events, owned = _open(store)
    result = ApplyResult()
    by_tenant: dict[str, list] = defaultdict(list)
    try:
        for row in events.claim(tenants, force):
            by_tenant[row["tenant_id"]].append(row)
        while by_tenant:
            tenant_id, rows = next(iter(by_tenant.items()))
            outcome = _apply_tenant(
                events, sync, destination, dataset, tenant_id, rows, max_attempts
            )
            result.outcomes.append(outcome)
            del by_tenant[tenant_id]
    finally:
        # interrupted (Ctrl-C, shutdown): what was not tried goes back untouched
        untried = [row["id"] for rows in by_tenant.values() for row in rows]
        if untried:
            events.release(untried)
        if owned:
            events.close()
    return result


def _runner_sync(**kwargs):
    from pipelines.runner import sync

    return sync(**kwargs)


def _apply_tenant(events, sync, destination, dataset, tenant_id, rows, max_attempts):
    ids: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["event_category"] in CATEGORY_RESOURCES:
            ids[CATEGORY_RESOURCES[row["event_category"]]].add(row["resource_id"])
    row_ids = [row["id"] for row in rows]
    targets = {resource: sorted(values) for resource, values in sorted(ids.items())}
    outcome = TenantOutcome(tenant_id, targets, len(rows))
    if not targets:  # only categories with nothing to re-fetch
        events.mark_done(row_ids)
        return outcome
    try:
        sync_result = sync(
            destination=destination,
            dataset=dataset,
            tenants=[tenant_id],
            resources=list(targets),
            ids=targets,
        )
        outcome.result = sync_result
        outcome.error = _sync_errors(sync_result)
    except Exception as exc:  # noqa: BLE001 - recorded on the events, reported to the caller
        outcome.error = f"{type(exc).__name__}: {exc}"[:2000]
    if outcome.error is None:
        events.mark_done(row_ids)
        logger.info("applied %d webhook events for tenant %s", len(rows), tenant_id)
    else:
        events.mark_failed(row_ids, outcome.error, max_attempts)
        logger.warning("webhook events for tenant %s stay pending: %s", tenant_id, outcome.error)
    return outcome


def _summary_lines(result: ApplyResult, waiting: int) -> list[str]:
    """Lines for the CLI: one per tenant."""
    if not result.outcomes:
        if waiting:
            return [f"no webhook events due; {waiting} wait to retry after a failed sync"]
        return ["no pending webhook events"]
    lines = []
    for o in result.outcomes:
        counts = ", ".join(f"{len(v)} {k}" for k, v in o.ids.items()) or "nothing to fetch"
        state = "applied" if o.error is None else f"failed: {o.error}"
        lines.append(f"{o.tenant_id}: {o.events} events ({counts}) {state}")
    return lines


def from_webhooks_command(args) -> int:
    """`xero-warehouse sync --from-webhooks`: apply the pending events of the default
    store (`--tenant` takes tenant IDs here) and print one line per tenant."""
    with EventStore() as store:
        result = apply_pending_events(
            destination=args.destination,
            dataset=args.dataset,
            store=store,
            tenants=args.tenant or None,
        )
        waiting = store.counts().get(PENDING, 0)
    for line in _summary_lines(result, waiting):
        print(line)
    return 0 if result.ok else 1
