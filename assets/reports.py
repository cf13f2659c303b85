"""Xero's report snapshots as Dagster assets: one asset per report table
(`["xero", "report_*"]`), partitioned by tenant like the raw collections.

Reports are read by their own daily job, never by the frequent incremental sync: each call is
one report for one date (or one contact, for the aged reports), and the day's budget of
calls is the organisation's. The tie-out models read them. Like the raw tables, a run syncs
one tenant or a batch of them at once.
"""

from collections.abc import Iterator

import dagster as dg

from assets.partitions import (
    DEFAULT_TENANTS_PER_RUN,
    RAW_GROUP,
    TENANT_PARTITIONS,
    WAREHOUSE_POOL,
)
from assets.resources import XeroWarehouseResource
from assets.xero import SyncDisplay, raise_for_failures, tenant_failures
from pipelines.xero.reports import REPORTS


def report_key(name: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_GROUP, name])


def build_report_assets(tenants_per_run: int = DEFAULT_TENANTS_PER_RUN) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=report_key(report.name),
            group_name=RAW_GROUP,
            description=f"Snapshots of Xero's `{report.path}` report, one row per line.",
            kinds={"dlt", "xero"},
            skippable=True,
        )
        for report in REPORTS
    ]

    @dg.multi_asset(
        name="xero_reports",
        specs=specs,
        partitions_def=TENANT_PARTITIONS,
        backfill_policy=dg.BackfillPolicy.multi_run(tenants_per_run),
        can_subset=True,
        pool=WAREHOUSE_POOL,
    )
    def xero_reports(
        context: dg.AssetExecutionContext, warehouse: XeroWarehouseResource
    ) -> Iterator[dg.AssetMaterialization]:
        tenant_ids = list(context.partition_keys)
        names = [r.name for r in REPORTS if report_key(r.name) in context.selected_asset_keys]
        result = warehouse.sync(tenant_ids, names, False, SyncDisplay(context.log))
        failures = tenant_failures(result, tenant_ids)
        for tenant_id in tenant_ids:
            if tenant_id not in failures:
                yield from report_materializations(result, tenant_id, names)
        raise_for_failures(warehouse, "report sync", failures)

    return xero_reports


def report_materializations(result, tenant_id: str, names: list[str]):
    for name in names:
        stats = result.tables.get((tenant_id, name))
        yield dg.AssetMaterialization(
            asset_key=report_key(name),
            partition=tenant_id,
            metadata={
                "rows_loaded": dg.MetadataValue.int(stats.rows if stats else 0),
                "requests": dg.MetadataValue.int(stats.requests if stats else 0),
            },
        )
