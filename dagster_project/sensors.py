"""Sensors: keep the tenant partitions in step with Xero's /connections, and rebuild the
reporting models once the syncs have settled."""

import dagster as dg

from assets.partitions import TENANT_PARTITIONS
from assets.resources import XeroApiResource


def build_tenants_sensor(sync_job: str) -> dg.SensorDefinition:
    @dg.sensor(
        name="xero_tenants_sensor",
        job_name=sync_job,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Adds a partition per newly connected Xero organisation (and runs its "
        "first sync); removes the partitions of disconnected ones.",
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
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(run_key=f"first-sync:{tenant_id}", partition_key=tenant_id)
                for tenant_id in added
            ],
            dynamic_partitions_requests=requests,
        )

    return xero_tenants_sensor


def build_reporting_sensor(reporting_job: str, raw_keys: list[dg.AssetKey]) -> dg.SensorDefinition:
    @dg.sensor(
        name="reporting_after_sync_sensor",
        job_name=reporting_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Rebuilds the reporting models after raw tables change, once no other "
        "run is queued or in progress.",
    )
    def reporting_after_sync_sensor(context: dg.SensorEvaluationContext):
        latest = latest_materialization_id(context.instance, raw_keys)
        seen = int(context.cursor) if context.cursor else 0
        if latest <= seen:
            return dg.SkipReason("no raw table changed since the last reporting run")
        busy = [
            record
            for record in context.instance.get_run_records(
                dg.RunsFilter(statuses=list(IN_PROGRESS))
            )
            if record.dagster_run.job_name != reporting_job
        ]
        if busy:
            return dg.SkipReason(f"waiting for {len(busy)} runs to finish")
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"after:{latest}")], cursor=str(latest)
        )

    return reporting_after_sync_sensor


def build_webhook_sensor(webhook_job: str) -> dg.SensorDefinition:
    @dg.sensor(
        name="xero_webhook_sensor",
        job_name=webhook_job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Launches a targeted sync for each tenant with pending webhook events.",
    )
    def xero_webhook_sensor(context: dg.SensorEvaluationContext):
        from pipelines.webhooks.store import pending_event_summary

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


def latest_materialization_id(instance: dg.DagsterInstance, keys: list[dg.AssetKey]) -> int:
    """Storage id of the newest materialization of any of `keys` (0 when none)."""
    latest = 0
    for record in instance.get_asset_records(keys):
        last = record.asset_entry.last_materialization_record
        if last is not None:
            latest = max(latest, last.storage_id)
    return latest
