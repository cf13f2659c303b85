"""Jobs: incremental sync and full-refresh reconcile of the raw tables and the report
snapshots (partitioned by tenant), the reporting models, and the freshness checks."""

from __future__ import annotations

import dagster as dg

from assets.partitions import FULL_REFRESH_TAG, TENANT_PARTITIONS
from pipelines.webhooks.store import CATEGORY_RESOURCES

XERO_SYNC_JOB = "xero_sync_job"
XERO_FULL_REFRESH_JOB = "xero_full_refresh_job"
REPORTING_JOB = "reporting_job"
XERO_FRESHNESS_JOB = "xero_freshness_job"
XERO_WEBHOOK_JOB = "xero_webhook_job"
XERO_REPORTS_JOB = "xero_reports_job"


def build_jobs(
    raw_assets: dg.AssetsDefinition,
    report_assets: dg.AssetsDefinition,
    model_assets: dg.AssetsDefinition,
    freshness_checks: dg.AssetChecksDefinition,
) -> list[dg.UnresolvedAssetJobDefinition]:
    raw = dg.AssetSelection.assets(raw_assets) - dg.AssetSelection.checks(freshness_checks)
    return [
        dg.define_asset_job(
            XERO_SYNC_JOB,
            selection=raw,
            partitions_def=TENANT_PARTITIONS,
            description="Incremental sync of one tenant (If-Modified-Since, Journals by offset).",
        ),
        dg.define_asset_job(
            XERO_FULL_REFRESH_JOB,
            selection=raw,
            partitions_def=TENANT_PARTITIONS,
            config={"ops": {raw_assets.op.name: {"config": {"full_refresh": True}}}},
            tags={FULL_REFRESH_TAG: "true"},
            description="Full refresh of one tenant: re-reads everything and marks rows "
            "deleted in Xero (hard deletes never show up incrementally).",
        ),
        dg.define_asset_job(
            XERO_WEBHOOK_JOB,
            selection=dg.AssetSelection.assets(*webhook_keys(raw_assets)).without_checks(),
            partitions_def=TENANT_PARTITIONS,
            config={"ops": {raw_assets.op.name: {"config": {"from_webhooks": True}}}},
            description="Re-fetch the records named by one tenant's pending webhook events.",
        ),
        dg.define_asset_job(
            XERO_REPORTS_JOB,
            selection=dg.AssetSelection.assets(report_assets),
            partitions_def=TENANT_PARTITIONS,
            description="Snapshots of one tenant's Xero reports (statements by month, aged "
            "receivables and payables for the day's sample of contacts), for the tie-outs.",
        ),
        dg.define_asset_job(
            REPORTING_JOB,
            selection=dg.AssetSelection.assets(model_assets),
            description="Build the reporting models from the raw tables.",
        ),
        dg.define_asset_job(
            XERO_FRESHNESS_JOB,
            selection=dg.AssetSelection.checks(freshness_checks),
            description="Check that every tenant's raw tables were synced recently.",
        ),
    ]


def webhook_keys(raw_assets: dg.AssetsDefinition) -> list[dg.AssetKey]:
    """The raw tables webhook events can change (contacts, invoices, credit notes)."""

    resources = set(CATEGORY_RESOURCES.values())
    return [key for key in raw_assets.keys if key.path[-1] in resources]
