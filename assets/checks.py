"""Freshness of the raw tables: every tenant partition materialized within `max_age_hours`.

The duplicate-key and row-count checks run inside the sync step (assets/xero.py) and the
AR aging tie-out inside the models step (assets/models.py); this one only reads Dagster's
own event log, so it runs on its own schedule without touching the warehouse.
"""

import time
from collections.abc import Iterator

import dagster as dg

from assets.partitions import TENANT_PARTITIONS

FRESH = "fresh"


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
