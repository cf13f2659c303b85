"""Sensors: keep the tenant partitions in step with Xero's /connections, apply pending
webhook events, and evaluate the reporting models' automation conditions (they rebuild
once the raw tables they read have changed and no sync is running)."""

import dagster as dg

from assets.partitions import DEFAULT_TENANTS_PER_RUN, TENANT_PARTITIONS
from assets.resources import XeroApiResource
from dagster_project.schedules import batch_run_request, batches
from pipelines.webhooks.store import pending_event_summary


def build_tenants_sensor(
    sync_job: str, tenants_per_run: int = DEFAULT_TENANTS_PER_RUN
) -> dg.SensorDefinition:
    @dg.sensor(
        name="xero_tenants_sensor",
        job_name=sync_job,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Adds a partition per newly connected Xero organisation (and runs their "
        "first syncs, in batches); removes the partitions of disconnected ones.",
    )
    def xero_tenants_sensor(context: dg.SensorEvaluationContext, xero_api: XeroApiResource):
        connected = {tenant["tenantId"]: tenant for tenant in xero_api.list_tenants()}
        known = set(context.instance.get_dynamic_partitions(TENANT_PARTITIONS.name))
        added = sorted(set(connected) - known)
        removed = sorted(known - set(connected))
        if not added and not removed:
            return dg.SkipReason(f"{len(known)} tenants, none added or removed")
        requests = []
        if added:
            requests.append(TENANT_PARTITIONS.build_add_request(added))
        if removed:
            requests.append(TENANT_PARTITIONS.build_delete_request(removed))
        for tenant_id in added:
            context.log.info(
                "new tenant %s (%s)", tenant_id, connected[tenant_id].get("tenantName")
            )
        for tenant_id in removed:
            context.log.info("tenant %s disconnected; its rows stay in the warehouse", tenant_id)
        # the new partitions are added in this order after the known ones: each batch of
        # them is a range of consecutive partitions
        return dg.SensorResult(
            run_requests=[
                batch_run_request(f"first-sync:{batch[0]}", batch)
                for batch in batches(added, tenants_per_run)
            ],
            dynamic_partitions_requests=requests,
        )

    return xero_tenants_sensor


def build_webhook_sensor(webhook_job: str) -> dg.SensorDefinition:
    @dg.sensor(
        name="xero_webhook_sensor",
        job_name=webhook_job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Launches a targeted sync for each tenant with pending webhook events.",
    )
    def xero_webhook_sensor(context: dg.SensorEvaluationContext):
        pending = {
            tenant: sum(counts.values())
            for tenant, counts in pending_event_summary().items()
            if sum(counts.values())
        }
        if not pending:
            return dg.SkipReason("no pending webhook events")
        known = set(context.instance.get_dynamic_partitions(TENANT_PARTITIONS.name))
        busy = busy_partitions(context.instance, webhook_job)
        ready = sorted(tenant for tenant in pending if tenant in known and tenant not in busy)
        if not ready:
            return dg.SkipReason(
                f"{len(pending)} tenants with pending events: already running or not yet known"
            )
        return [
            dg.RunRequest(partition_key=tenant, tags={"xero/webhook_records": str(pending[tenant])})
            for tenant in ready
        ]

    return xero_webhook_sensor


def busy_partitions(instance: dg.DagsterInstance, job_name: str) -> set[str]:
    """Partitions with a run of `job_name` queued or in progress."""
    records = instance.get_run_records(dg.RunsFilter(job_name=job_name, statuses=list(IN_PROGRESS)))
    return {
        r.dagster_run.tags["dagster/partition"]
        for r in records
        if "dagster/partition" in r.dagster_run.tags
    }


IN_PROGRESS = (
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
)


def build_reporting_automation_sensor(
    model_assets: dg.AssetsDefinition,
) -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        "reporting_automation_sensor",
        target=dg.AssetSelection.assets(model_assets),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=60,
        description="Rebuilds the reporting models after the raw tables they read change, "
        "once no sync of them is in progress.",
    )
