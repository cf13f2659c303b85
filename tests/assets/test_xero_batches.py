"""Several tenant partitions in one run (a backfill or schedule batch) against the sandbox,
into DuckDB: one sync loads them all, each tenant's partition is materialized, and a tenant
that fails leaves the others' results recorded before the step fails naming it."""

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from assets.reports import build_report_assets
from assets.xero import build_xero_assets, tenant_failures, xero_tables
from pipelines.runner import SyncResult, TenantOutcome
from sandbox.ground_truth import collection_truth

RAW = build_xero_assets(xero_tables(), tenants_per_run=2)
KEYS = [dg.AssetKey(["xero", "invoices"]), dg.AssetKey(["xero", "contacts"])]


def sync_batch(instance, warehouse, tenant_ids: list[str]):
    instance.add_dynamic_partitions("tenants", tenant_ids)
    return dg.materialize(
        [RAW],
        instance=instance,
        resources={"warehouse": warehouse},
        selection=KEYS,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: tenant_ids[0],
            ASSET_PARTITION_RANGE_END_TAG: tenant_ids[-1],
        },
        raise_on_error=False,
    )


def materialized(result) -> dict[tuple[str, str], dict]:
    """(table, tenant id) -> the materialization's metadata values."""
    return {
        (event.asset_key.path[-1], event.partition): {
            key: value.value for key, value in event.materialization.metadata.items()
        }
        for event in result.get_asset_materialization_events()
    }


def tenant_rows(warehouse, table: str, tenant_id: str) -> int:
    sql = f"select count(*) from xero.{table} where tenant_id = ?"
    return warehouse.query(sql, (tenant_id,))[0][0]


def test_one_run_syncs_and_materializes_every_tenant_of_the_batch(xero, warehouse, instance):
    tenants = xero.sandbox.tenants
    result = sync_batch(instance, warehouse, [t.tenant_id for t in tenants])
    assert result.success
    events = materialized(result)
    assert set(events) == {
        (table, t.tenant_id) for table in ("invoices", "contacts") for t in tenants
    }
    for tenant in tenants:
        expected = collection_truth(tenant, "Invoices").count
        invoices = events[("invoices", tenant.tenant_id)]
        assert invoices["tenant_row_count"] == invoices["rows_loaded"] == expected
        assert tenant_rows(warehouse, "invoices", tenant.tenant_id) == expected
        assert invoices["sync_requests"] >= 2
        contacts = events[("contacts", tenant.tenant_id)]
        assert contacts["tenant_row_count"] == collection_truth(tenant, "Contacts").count
    # one check result per table covers the whole batch
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 2 * len(KEYS)
    assert all(e.passed for e in evaluations)
    assert all(e.metadata["tenants"].value == 2 for e in evaluations if "tenants" in e.metadata)


def test_a_failed_tenant_fails_the_step_naming_it_and_the_other_is_kept(xero, warehouse, instance):
    broken, healthy = xero.sandbox.tenants
    xero.faults.add("status", status=500, count=None, tenant_id=broken.tenant_id, path="/Invoices")
    result = sync_batch(instance, warehouse, [broken.tenant_id, healthy.tenant_id])
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message
    assert f"sync of tenant {broken.tenant_id} failed" in message
    assert healthy.tenant_id not in message

    events = materialized(result)
    assert set(events) == {("invoices", healthy.tenant_id), ("contacts", healthy.tenant_id)}
    expected = collection_truth(healthy, "Invoices").count
    assert events[("invoices", healthy.tenant_id)]["rows_loaded"] == expected
    assert tenant_rows(warehouse, "invoices", healthy.tenant_id) == expected
    checks = result.get_asset_check_evaluations()
    assert checks and all(e.passed for e in checks)
    status = instance.get_status_by_partition(
        dg.AssetKey(["xero", "invoices"]), [broken.tenant_id, healthy.tenant_id], RAW.partitions_def
    )
    assert status[healthy.tenant_id] != status[broken.tenant_id]


def test_backfills_run_the_configured_number_of_tenants_together():
    assert RAW.backfill_policy == dg.BackfillPolicy.multi_run(2)
    assert build_xero_assets(xero_tables()).backfill_policy.max_partitions_per_run == 25
    reports = build_report_assets(tenants_per_run=7)
    assert reports.backfill_policy.max_partitions_per_run == 7


def test_failures_are_told_per_tenant():
    outcomes = [
        TenantOutcome("t1", "Acme: NZ", 10, 3, "ok"),
        TenantOutcome("t2", "Beta", 0, 1, "failed: HTTP 500", errors=("invoices: HTTP 500",)),
        TenantOutcome("t3", "Gamma", 4, 2, "stopped: daily limit reached"),
    ]
    result = SyncResult(tenants=outcomes, errors=["Beta: invoices: HTTP 500"])
    assert tenant_failures(result, ["t1", "t2", "t3", "t4"]) == {
        "t2": "invoices: HTTP 500",
        "t3": "stopped: daily limit reached",
        "t4": "tenant t4 is not connected",
    }
