"""The webhook consumer: pending events of the store turned into targeted syncs (one per
tenant) that re-fetch the records the events name; events are marked done once that sync
committed, failed ones retried later."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.runner import sync as runner_sync
from pipelines.webhooks.store import CATEGORY_RESOURCES, MAX_ATTEMPTS, EventStore, open_store

logger = logging.getLogger(__name__)


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
    sync = sync or runner_sync
    events, owned = open_store(store)
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
