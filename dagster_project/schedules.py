"""Schedules: hourly incremental syncs, a weekly full-refresh reconcile, daily report
snapshots, freshness checks. The sync schedules fan out: one run request per tenant
partition."""

import dagster as dg

from assets.partitions import TENANT_PARTITIONS
from pipelines.plan import DEFAULT_RECONCILE_CRON, DEFAULT_REPORTS_CRON, DEFAULT_SYNC_CRON

__all__ = ["DEFAULT_RECONCILE_CRON", "DEFAULT_REPORTS_CRON", "DEFAULT_SYNC_CRON", "build_schedules"]
DEFAULT_FRESHNESS_CRON = "45 * * * *"


def tenant_fan_out(
    context: dg.ScheduleEvaluationContext, job_name: str
) -> list[dg.RunRequest] | dg.SkipReason:
    tenants = context.instance.get_dynamic_partitions(TENANT_PARTITIONS.name)
    if not tenants:
        return dg.SkipReason("no tenants yet: xero_tenants_sensor adds them from /connections")
    tick = context.scheduled_execution_time.isoformat()
    return [
        dg.RunRequest(run_key=f"{job_name}:{tenant}:{tick}", partition_key=tenant)
        for tenant in tenants
    ]


def build_sync_schedule(job_name: str, name: str, cron: str) -> dg.ScheduleDefinition:
    @dg.schedule(name=name, job_name=job_name, cron_schedule=cron, execution_timezone="UTC")
    def sync_schedule(context: dg.ScheduleEvaluationContext):
        return tenant_fan_out(context, job_name)

    return sync_schedule


def build_schedules(
    sync_job: str,
    full_refresh_job: str,
    reports_job: str,
    freshness_job: str,
    sync_cron: str,
    reconcile_cron: str,
    reports_cron: str = DEFAULT_REPORTS_CRON,
) -> list[dg.ScheduleDefinition]:
    return [
        build_sync_schedule(sync_job, "xero_incremental_schedule", sync_cron),
        build_sync_schedule(full_refresh_job, "xero_reconcile_schedule", reconcile_cron),
        build_sync_schedule(reports_job, "xero_reports_schedule", reports_cron),
        dg.ScheduleDefinition(
            name="xero_freshness_schedule",
            job_name=freshness_job,
            cron_schedule=DEFAULT_FRESHNESS_CRON,
            execution_timezone="UTC",
        ),
    ]
