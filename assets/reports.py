"""Xero's report snapshots as Dagster assets: one asset per report table
(`["xero", "report_*"]`), partitioned by tenant like the raw collections.

Reports are read by their own daily job, never by the frequent incremental sync: each call is
one report for one date (or one contact, for the aged reports), and the day's budget of
calls is the organisation's. The tie-out models read them.
"""

from collections.abc import Iterator

import dagster as dg

from assets.partitions import RAW_GROUP, TENANT_PARTITIONS, WAREHOUSE_POOL
from assets.resources import XeroWarehouseResource
from assets.xero import SyncDisplay, sync_failure
from pipelines.xero.reports import REPORTS


def report_key(name: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_GROUP, name])


def build_report_assets() -> dg.AssetsDefinition:
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
        can_subset=True,
        pool=WAREHOUSE_POOL,
    )
    def xero_reports(
        context: dg.AssetExecutionContext, warehouse: XeroWarehouseResource
    ) -> Iterator[dg.MaterializeResult]:
        tenant_id = context.partition_key
        names = [r.name for r in REPORTS if report_key(r.name) in context.selected_asset_keys]
        result = warehouse.sync(tenant_id, names, False, SyncDisplay(context.log))
        failure = sync_failure(result, tenant_id)
        if failure:
            raise dg.Failure(
                description=warehouse.parsed.redact(
                    f"report sync of tenant {tenant_id} failed: {failure}"
                )
            )
        for name in names:
            stats = result.tables.get((tenant_id, name))
            yield dg.MaterializeResult(
                asset_key=report_key(name),
                metadata={
                    "rows_loaded": dg.MetadataValue.int(stats.rows if stats else 0),
                    "requests": dg.MetadataValue.int(stats.requests if stats else 0),
                },
            )

    return xero_reports
