"""Checks beyond the sync's own (assets/xero.py) and the dbt tests (assets/models.py).

- `fresh` on each raw table: every tenant partition materialized within `max_age_hours`.
  Dagster's FreshnessPolicy judges an asset by its latest materialization, not per tenant
  partition, so this reads the event log itself, on its own schedule.
- `ar_aging_ties_to_open_invoices` on fct_ar_aging: its total equals the amount due on the
  open receivable invoices in the raw table, per tenant.
"""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import dagster as dg

from assets.models import AR_AGING_MODEL, model_asset_key
from assets.partitions import TENANT_PARTITIONS
from assets.resources import XeroWarehouseResource

FRESH = "fresh"
AR_AGING_TIES = "ar_aging_ties_to_open_invoices"
TIE_TOLERANCE = Decimal("0.005")


class FreshnessConfig(dg.Config):
    max_age_hours: float = 3.0
    """Stale when a tenant's last sync of the table is older than this."""


def build_freshness_checks(asset_keys: list[dg.AssetKey]) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name="xero_freshness_checks",
        specs=[
            dg.AssetCheckSpec(
                FRESH, asset=key, description="Every tenant synced within max_age_hours."
            )
            for key in asset_keys
        ],
        can_subset=True,
    )
    def xero_freshness_checks(
        context: dg.AssetCheckExecutionContext, config: FreshnessConfig
    ) -> Iterator[dg.AssetCheckResult]:
        tenants = set(context.instance.get_dynamic_partitions(TENANT_PARTITIONS.name))
        since = time.time() - config.max_age_hours * 3600
        for check_key in context.selected_asset_check_keys:
            fresh = partitions_materialized_since(context.instance, check_key.asset_key, since)
            yield freshness_result(check_key.asset_key, tenants, fresh, config.max_age_hours)

    return xero_freshness_checks


def partitions_materialized_since(
    instance: dg.DagsterInstance, key: dg.AssetKey, since: float
) -> set[str]:
    found: set[str] = set()
    cursor = None
    while True:
        page = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, after_timestamp=since), limit=1000, cursor=cursor
        )
        found.update(r.partition_key for r in page.records if r.partition_key)
        if not page.has_more:
            return found
        cursor = page.cursor


def freshness_result(
    key: dg.AssetKey, tenants: set[str], fresh: set[str], max_age_hours: float
) -> dg.AssetCheckResult:
    stale = sorted(tenants - fresh)
    return dg.AssetCheckResult(
        check_name=FRESH,
        asset_key=key,
        passed=not stale,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{len(stale)} of {len(tenants)} tenants not synced in the last {max_age_hours:g} h"
            if stale
            else f"all {len(tenants)} tenants synced in the last {max_age_hours:g} h"
        ),
        metadata={"stale_tenants": stale[:50], "tenants": len(tenants)},
    )


def build_ar_aging_tie_check() -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=model_asset_key(AR_AGING_MODEL),
        name=AR_AGING_TIES,
        description="Sum of fct_ar_aging.amount_due equals the amount due on open AUTHORISED "
        "ACCREC invoices, per tenant (when the aging is built as of today).",
    )
    def ar_aging_ties_to_open_invoices(warehouse: XeroWarehouseResource) -> dg.AssetCheckResult:
        return ar_aging_tie_check(warehouse, today=datetime.now(UTC).date())

    return ar_aging_ties_to_open_invoices


def ar_aging_tie_check(warehouse: XeroWarehouseResource, today) -> dg.AssetCheckResult:
    """Per tenant: aging total vs amount due on open receivable invoices. Invoices carry
    today's amount due, so an aging built as of another date is not compared."""
    [(as_of,)] = warehouse.query("select max(as_of_date) from reporting.fct_ar_aging")
    if as_of is not None and as_of != today:
        return dg.AssetCheckResult(
            passed=True,
            description=f"not compared: aging built as of {as_of}, invoices hold today's amounts",
            metadata={"as_of": str(as_of), "skipped": True},
        )
    aging = dict(
        warehouse.query(
            "select tenant_id, sum(amount_due) from reporting.fct_ar_aging group by tenant_id"
        )
    )
    invoices = open_receivables(warehouse, today)
    differences = {
        tenant: Decimal(aging.get(tenant) or 0) - Decimal(invoices.get(tenant) or 0)
        for tenant in set(aging) | set(invoices)
    }
    off = {tenant: str(diff) for tenant, diff in differences.items() if abs(diff) > TIE_TOLERANCE}
    return dg.AssetCheckResult(
        passed=not off,
        description=f"{len(off)} tenants off" if off else "every tenant ties",
        metadata={"as_of": str(today), "tenants_off": off},
    )


def open_receivables(warehouse: XeroWarehouseResource, as_of) -> dict[str, Decimal]:
    columns = warehouse.table_columns(warehouse.dataset, "invoices")
    if not columns:
        return {}
    live = " and _deleted_at is null" if "_deleted_at" in columns else ""
    rows = warehouse.query(
        f'select tenant_id, sum(amount_due) from "{warehouse.dataset}".invoices'
        f" where type = 'ACCREC' and status = 'AUTHORISED' and date <= ?{live} group by 1",
        (as_of,),
    )
    return {tenant: Decimal(total or 0) for tenant, total in rows}
