"""Sensors evaluated with Dagster's test contexts against a real (temporary) instance."""

import uuid

import dagster as dg
import pytest

from dagster_project.definitions import build_definitions
from pipelines.webhooks.store import EventStore


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return build_definitions()


def sensor(definitions, name: str) -> dg.SensorDefinition:
    return definitions.get_repository_def().get_sensor_def(name)


def context_for(definitions, instance, **kwargs) -> dg.SensorEvaluationContext:
    return dg.build_sensor_context(
        instance=instance, repository_def=definitions.get_repository_def(), **kwargs
    )


def add_run(instance, job_name: str, status: dg.DagsterRunStatus, partition: str | None = None):
    tags = {"dagster/partition": partition} if partition else {}
    run = dg.DagsterRun(job_name=job_name, run_id=str(uuid.uuid4()), status=status, tags=tags)
    instance.add_run(run)
    return run


def materialize_raw(instance, table: str, tenant: str) -> None:
    instance.add_dynamic_partitions("tenants", [tenant])
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key=["xero", table], partition=tenant)
    )


# reporting models: declarative automation


def automation_requests(definitions, instance, cursor=None):
    result = dg.evaluate_automation_conditions(
        defs=definitions, instance=instance, cursor=cursor
    )
    keys = definitions.resolve_asset_graph().get_all_asset_keys()
    requested = {key.path[-1] for key in keys if result.get_num_requested(key)}
    return requested, result.cursor


def test_reporting_waits_for_a_raw_change(definitions, instance):
    requested, _ = automation_requests(definitions, instance)
    assert requested == set()


def test_reporting_rebuilds_once_per_raw_change(definitions, instance):
    _, cursor = automation_requests(definitions, instance)
    materialize_raw(instance, "invoices", "tenant-a")
    requested, cursor = automation_requests(definitions, instance, cursor)
    # what reads invoices, and everything downstream of it, in one go
    assert {"stg_xero__invoices", "stg_xero__invoice_line_items", "fct_ar_aging"} <= requested
    assert "stg_xero__contacts" not in requested

    again, cursor = automation_requests(definitions, instance, cursor)
    assert again == set()


# xero_webhook_sensor


def webhook_event(tenant: str, category: str = "INVOICE", resource_id: str | None = None):
    return {
        "tenantId": tenant,
        "eventCategory": category,
        "resourceId": resource_id or str(uuid.uuid4()),
        "eventDateUtc": "2026-11-21T09:00:00.000",
        "eventType": "UPDATE",
        "tenantType": "ORGANISATION",
    }


def test_webhook_sensor_skips_without_pending_events(definitions, instance):
    result = sensor(definitions, "xero_webhook_sensor").evaluate_tick(
        context_for(definitions, instance)
    )
    assert not result.run_requests
    assert result.skip_message == "no pending webhook events"


def test_webhook_sensor_runs_one_targeted_sync_per_known_tenant(definitions, instance):
    instance.add_dynamic_partitions("tenants", ["tenant-a", "tenant-b"])
    with EventStore() as store:  # the default store under $XERO_WAREHOUSE_HOME
        store.add([webhook_event("tenant-a"), webhook_event("tenant-a", "CONTACT")])
        store.add([webhook_event("tenant-b", "CREDITNOTE")])
        store.add([webhook_event("tenant-unknown")])
    result = sensor(definitions, "xero_webhook_sensor").evaluate_tick(
        context_for(definitions, instance)
    )
    requests = {r.partition_key: r for r in result.run_requests}
    assert set(requests) == {"tenant-a", "tenant-b"}
    assert requests["tenant-a"].tags["xero/webhook_records"] == "2"


def test_webhook_sensor_leaves_a_tenant_whose_webhook_run_is_in_progress(definitions, instance):
    instance.add_dynamic_partitions("tenants", ["tenant-a", "tenant-b"])
    with EventStore() as store:
        store.add([webhook_event("tenant-a"), webhook_event("tenant-b")])
    add_run(instance, "xero_webhook_job", dg.DagsterRunStatus.STARTING, "tenant-a")
    result = sensor(definitions, "xero_webhook_sensor").evaluate_tick(
        context_for(definitions, instance)
    )
    assert [r.partition_key for r in result.run_requests] == ["tenant-b"]


# xero_tenants_sensor


def test_tenants_sensor_adds_connected_tenants_and_runs_their_first_sync(
    definitions, instance, xero, xero_api
):
    tenants = sorted(t.tenant_id for t in xero.sandbox.tenants)
    tenants_sensor = sensor(definitions, "xero_tenants_sensor")
    context = context_for(definitions, instance, resources={"xero_api": xero_api})
    # called directly: evaluate_tick checks the run requests' partitions before the daemon
    # would have added them
    result = tenants_sensor(context)
    [add] = result.dynamic_partitions_requests
    assert add.partitions_def_name == "tenants"
    assert sorted(add.partition_keys) == tenants
    # the new tenants' first syncs run together, as one batch (a range of the new partitions)
    [first_sync] = result.run_requests
    assert first_sync.tags["dagster/asset_partition_range_start"] == add.partition_keys[0]
    assert first_sync.tags["dagster/asset_partition_range_end"] == add.partition_keys[-1]
    assert first_sync.run_key == f"first-sync:{add.partition_keys[0]}"

    instance.add_dynamic_partitions("tenants", tenants)
    again = tenants_sensor.evaluate_tick(
        context_for(definitions, instance, resources={"xero_api": xero_api})
    )
    assert not again.run_requests and not again.dynamic_partitions_requests
    assert "2 tenants, none added or removed" in again.skip_message


def test_tenants_sensor_removes_disconnected_tenants(definitions, instance, xero, xero_api):
    tenants = sorted(t.tenant_id for t in xero.sandbox.tenants)
    instance.add_dynamic_partitions("tenants", [*tenants, "gone-tenant"])
    result = sensor(definitions, "xero_tenants_sensor").evaluate_tick(
        context_for(definitions, instance, resources={"xero_api": xero_api})
    )
    [delete] = result.dynamic_partitions_requests
    assert list(delete.partition_keys) == ["gone-tenant"]
    assert not result.run_requests


def test_tenants_sensor_needs_xero_credentials(definitions, instance, xero_api):
    context = context_for(definitions, instance, resources={"xero_api": xero_api})
    with pytest.raises(Exception, match="(?i)credential|XERO_"):
        sensor(definitions, "xero_tenants_sensor").evaluate_tick(context)
