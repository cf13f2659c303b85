"""`xero-warehouse sync`: the sync of every chosen tenant, or the pending webhook events
(`--from-webhooks`), with a live table or plain lines, then a summary."""

from __future__ import annotations

import sys

from pipelines.actions.documents import RESOURCES as DOCUMENT_RESOURCES
from pipelines.actions.documents import sync_documents
from pipelines.cli.progress import make_progress, summary_lines
from pipelines.runner import SyncResult, sync
from pipelines.webhooks.consumer import ApplyResult, apply_pending_events
from pipelines.webhooks.store import PENDING, EventStore


def sync_command(args) -> int:
    if getattr(args, "from_webhooks", False):
        return from_webhooks_command(args)
    documents = [name for name in args.resource or [] if name in DOCUMENT_RESOURCES]
    collections = [name for name in args.resource or [] if name not in DOCUMENT_RESOURCES]
    code = 0
    if collections or not documents:
        code = _sync_collections(args, collections or None)
    if documents:
        code = max(code, _sync_documents(args, documents))
    return code


def _sync_documents(args, documents: list[str]) -> int:
    """`--resource history` / `attachments`: opt-in, for documents loaded since the last run."""
    totals = sync_documents(args.destination, args.dataset, args.tenant, tuple(documents))
    shown = ", ".join(f"{totals[name]} {name} rows" for name in documents)
    print(f"{shown}, {totals['requests']} requests")
    return 0


def _sync_collections(args, resources: list[str] | None) -> int:
    live = not getattr(args, "no_progress", False)
    result = sync(
        destination=args.destination,
        dataset=args.dataset,
        tenants=args.tenant,
        resources=resources,
        full_refresh=args.full_refresh,
        display=make_progress(live),
    )
    rows = [
        (_tenant_name(result, tenant_id), resource, stats.rows, stats.requests, "")
        for (tenant_id, resource), stats in sorted(result.tables.items())
    ]
    for line in summary_lines(rows):
        print(line)
    for tenant in result.tenants:
        print(
            f"{tenant.name}: {tenant.rows} rows, {tenant.requests} requests, "
            f"{tenant.deleted} marked deleted, {tenant.status}"
        )
    for error in result.errors:
        print(f"error: {error}", file=sys.stderr)
    return 0 if result.ok else 1


def _tenant_name(result: SyncResult, tenant_id: str) -> str:
    for tenant in result.tenants:
        if tenant.tenant_id == tenant_id:
            return tenant.name
    return tenant_id


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
