"""Schedules: hourly incremental syncs, a weekly full-refresh reconcile, daily report
snapshots, freshness checks. The sync schedules fan out in batches: one run request per
`tenants_per_run` tenant partitions, each run syncing its batch together."""

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from assets.partitions import DEFAULT_TENANTS_PER_RUN, TENANT_PARTITIONS
from pipelines.plan import DEFAULT_RECONCILE_CRON, DEFAULT_REPORTS_CRON, DEFAULT_SYNC_CRON

__all__ = ["DEFAULT_RECONCILE_CRON", "DEFAULT_REPORTS_CRON", "DEFAULT_SYNC_CRON", "build_schedules"]
DEFAULT_FRESHNESS_CRON = "45 * * * *"


def tenant_fan_out(
    context: dg.ScheduleEvaluationContext, job_name: str, tenants_per_run: int
) -> list[dg.RunRequest] | dg.SkipReason:
    tenants = context.instance.get_dynamic_partitions(TENANT_PARTITIONS.name)
    if not tenants:
        return dg.SkipReason("no tenants yet: xero_tenants_sensor adds them from /connections")
    tick = context.scheduled_execution_time.isoformat()
    return [
        batch_run_request(f"{job_name}:{batch[0]}:{tick}", batch)
        for batch in batches(tenants, tenants_per_run)
    ]


def batches(tenants: list[str], size: int) -> list[list[str]]:
    """The tenants in runs of at most `size`, in partition order: each batch is a range of
    consecutive partitions."""
    return [tenants[start : start + size] for start in range(0, len(tenants), size)]


def batch_run_request(run_key: str, batch: list[str]) -> dg.RunRequest:
    """A run of one tenant partition, or of a range of them (Dagster's partition range tags,
    as a backfill sets them)."""
    if len(batch) == 1:
        return dg.RunRequest(run_key=run_key, partition_key=batch[0])
    return dg.RunRequest(
        run_key=run_key,
        tags={ASSET_PARTITION_RANGE_START_TAG: batch[0], ASSET_PARTITION_RANGE_END_TAG: batch[-1]},
    )


def build_sync_schedule(
    job_name: str, name: str, cron: str, tenants_per_run: int
) -> dg.ScheduleDefinition:
    @dg.schedule(name=name, job_name=job_name, cron_schedule=cron, execution_timezone="UTC")
    def sync_schedule(context: dg.ScheduleEvaluationContext):
        return tenant_fan_out(context, job_name, tenants_per_run)

    return sync_schedule


def build_schedules(
    sync_job: str,
    full_refresh_job: str,
    reports_job: str,
    freshness_job: str,
    sync_cron: str,
    reconcile_cron: str,
    reports_cron: str = DEFAULT_REPORTS_CRON,
    tenants_per_run: int = DEFAULT_TENANTS_PER_RUN,
) -> list[dg.ScheduleDefinition]:
    return [
        build_sync_schedule(sync_job, "xero_incremental_schedule", sync_cron, tenants_per_run),
        build_sync_schedule(
            full_refresh_job, "xero_reconcile_schedule", reconcile_cron, tenants_per_run
        ),
        build_sync_schedule(reports_job, "xero_reports_schedule", reports_cron, tenants_per_run),
        dg.ScheduleDefinition(
            name="xero_freshness_schedule",
            job_name=freshness_job,
            cron_schedule=DEFAULT_FRESHNESS_CRON,
            execution_timezone="UTC",
        ),
    ]
