"""The raw Xero assets materialized for one tenant partition against the sandbox, into DuckDB."""

import uuid
from decimal import Decimal

import dagster as dg
import pytest

from assets.partitions import FULL_REFRESH_TAG
from assets.resources import XeroWarehouseResource
from assets.xero import (
    NO_DUPLICATE_KEYS,
    ROW_COUNT_NOT_DROPPED,
    build_xero_assets,
    duplicate_keys_check,
    row_count_check,
    xero_tables,
)
from pipelines.webhooks.store import EventStore
from pipelines.xero.settings import COLLECTIONS
from sandbox.ground_truth import collection_truth

TABLES = xero_tables()
RAW = build_xero_assets(TABLES)
BY_NAME = {table.resource: table for table in TABLES}


def sync(instance, warehouse, tenant_id, *, keys=None, config=None, tags=None):
    instance.add_dynamic_partitions("tenants", [tenant_id])
    return dg.materialize(
        [RAW],
        partition_key=tenant_id,
        instance=instance,
        resources={"warehouse": warehouse},
        selection=keys,
        run_config={"ops": {"xero_raw": {"config": config}}} if config else None,
        tags=tags,
        raise_on_error=False,
    )


def metadata(result, table: str) -> dict:
    for event in result.get_asset_materialization_events():
        if event.asset_key == dg.AssetKey(["xero", table]):
            return {key: value.value for key, value in event.materialization.metadata.items()}
    raise AssertionError(f"xero/{table} was not materialized")


def checks(result) -> dict[tuple[str, str], bool]:
    return {
        (e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()
    }


def tenant_rows(warehouse, table: str, tenant_id: str) -> int:
    return warehouse.query(
        f"select count(*) from xero.{table} where tenant_id = ? and _deleted_at is null",
        (tenant_id,),
    )[0][0]


@pytest.mark.slow
def test_first_sync_materializes_every_table_of_the_tenant(xero, warehouse, instance):
    tenant = xero.sandbox.tenants[0]
    result = sync(instance, warehouse, tenant.tenant_id)
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {dg.AssetKey(["xero", c.name]) for c in COLLECTIONS}
    assert all(e.partition == tenant.tenant_id for e in result.get_asset_materialization_events())

    invoices = metadata(result, "invoices")
    expected = collection_truth(tenant, "Invoices").count
    assert invoices["tenant_row_count"] == tenant_rows(warehouse, "invoices", tenant.tenant_id)
    assert invoices["tenant_row_count"] == expected
    assert invoices["rows_loaded"] == expected
    assert invoices["dagster/partition_row_count"] == expected
    assert invoices["requests"] >= 1
    assert invoices["sync_requests"] >= len(COLLECTIONS) - 1
    assert 0 <= invoices["rate_limit_min_remaining"] < 60
    assert invoices["full_refresh"] is False
    # the other tenant's partition was not touched
    other = xero.sandbox.tenants[1].tenant_id
    assert tenant_rows(warehouse, "invoices", other) == 0

    results = checks(result)
    assert len(results) == 2 * len(COLLECTIONS)
    assert all(results.values()), [key for key, passed in results.items() if not passed]


@pytest.mark.slow
def test_second_sync_is_incremental_and_keeps_keys_unique(xero, warehouse, instance):
    tenant = xero.sandbox.tenants[0]
    keys = [dg.AssetKey(["xero", "invoices"]), dg.AssetKey(["xero", "contacts"])]
    first = sync(instance, warehouse, tenant.tenant_id, keys=keys)
    assert first.success
    invoice = next(iter(tenant.collection("Invoices").records()))
    tenant.update("Invoices", invoice["InvoiceID"], {"Reference": "changed for the test"})

    second = sync(instance, warehouse, tenant.tenant_id, keys=keys)
    assert second.success
    invoices = metadata(second, "invoices")
    assert 1 <= invoices["rows_loaded"] < metadata(first, "invoices")["rows_loaded"]
    assert invoices["tenant_row_count"] == collection_truth(tenant, "Invoices").count
    assert checks(second)[("invoices", NO_DUPLICATE_KEYS)]
    assert checks(second)[("invoices", ROW_COUNT_NOT_DROPPED)]
    reference = warehouse.query(
        "select reference from xero.invoices where invoice_id = ?", (invoice["InvoiceID"],)
    )
    assert reference == [("changed for the test",)]


@pytest.mark.slow
@pytest.mark.parametrize("how", ["config", "tag"])
def test_full_refresh_marks_rows_deleted_in_xero(xero, warehouse, instance, how):
    tenant = xero.sandbox.tenants[0]
    keys = [dg.AssetKey(["xero", "accounts"])]
    assert sync(instance, warehouse, tenant.tenant_id, keys=keys).success
    before = tenant_rows(warehouse, "accounts", tenant.tenant_id)
    account = next(a for a in tenant.collection("Accounts").records() if not a.get("SystemAccount"))
    tenant.delete("Accounts", account["AccountID"])

    options = (
        {"config": {"full_refresh": True}}
        if how == "config"
        else {"tags": {FULL_REFRESH_TAG: "true"}}
    )
    result = sync(instance, warehouse, tenant.tenant_id, keys=keys, **options)
    assert result.success
    accounts = metadata(result, "accounts")
    assert accounts["full_refresh"] is True
    assert accounts["tenant_row_count"] == before - 1 == collection_truth(tenant, "Accounts").count
    assert checks(result)[("accounts", ROW_COUNT_NOT_DROPPED)]


def test_a_failed_sync_fails_the_step_and_materializes_nothing(xero, warehouse, instance):
    tenant = xero.sandbox.tenants[0]
    xero.faults.add("status", status=500, count=None, tenant_id=tenant.tenant_id, path="/Invoices")
    result = sync(instance, warehouse, tenant.tenant_id, keys=[dg.AssetKey(["xero", "invoices"])])
    assert not result.success
    assert not result.get_asset_materialization_events()
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "sync of tenant" in failure.step_failure_data.error.message


@pytest.mark.slow
def test_webhook_run_refetches_only_the_named_records(xero, warehouse, instance):
    tenant = xero.sandbox.tenants[0]
    keys = [dg.AssetKey(["xero", name]) for name in ("invoices", "contacts", "credit_notes")]
    assert sync(instance, warehouse, tenant.tenant_id, keys=keys).success
    invoice = next(iter(tenant.collection("Invoices").records()))
    tenant.update("Invoices", invoice["InvoiceID"], {"Reference": "from a webhook"})
    with EventStore() as store:
        store.add([{
            "tenantId": tenant.tenant_id, "eventCategory": "INVOICE",
            "resourceId": invoice["InvoiceID"], "eventDateUtc": "2026-11-21T09:00:00.000",
            "eventType": "UPDATE", "tenantType": "ORGANISATION",
        }])  # fmt: skip

    result = sync(instance, warehouse, tenant.tenant_id, keys=keys, config={"from_webhooks": True})
    assert result.success
    assert [e.asset_key for e in result.get_asset_materialization_events()] == [keys[0]]
    invoices = metadata(result, "invoices")
    assert invoices["webhook_events"] == 1
    assert invoices["records_refetched"] == 1
    assert invoices["rows_loaded"] == 1
    reference = warehouse.query(
        "select reference from xero.invoices where invoice_id = ?", (invoice["InvoiceID"],)
    )
    assert reference == [("from a webhook",)]
    with EventStore() as store:
        assert store.counts().get("pending", 0) == 0


def test_duplicate_keys_fail_the_check(xero, warehouse, instance):
    tenant = xero.sandbox.tenants[0]
    assert sync(instance, warehouse, tenant.tenant_id, keys=[dg.AssetKey(["xero", "currencies"])])
    table = BY_NAME["currencies"]
    assert duplicate_keys_check(warehouse, table).passed
    with warehouse.parsed.connect() as connection:
        connection.execute(
            "insert into xero.currencies select * replace (? as _dlt_id)"
            " from xero.currencies limit 1",
            [uuid.uuid4().hex[:14]],
        )
    result = duplicate_keys_check(warehouse, table)
    assert not result.passed
    assert result.metadata["duplicate_keys"].value == 1


@pytest.mark.parametrize(
    "previous, current, passed",
    [(None, 0, True), (100, 100, True), (100, 51, True), (100, 49, False), (0, 5, True)],
)
def test_row_count_check_warns_on_a_big_drop(previous, current, passed):
    result = row_count_check(BY_NAME["invoices"], {"t": (previous, current)}, max_drop=0.5)
    assert result.passed is passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["rows"].value == current


def test_row_count_check_names_the_tenant_whose_rows_fell():
    counts = {"steady": (100, 100), "fell": (100, 10), "new": (None, 7)}
    result = row_count_check(BY_NAME["invoices"], counts, max_drop=0.5)
    assert not result.passed
    assert result.metadata["tenants_dropped"].value == ["fell: 100 -> 10"]
    assert result.metadata["rows"].value == 117
    assert result.metadata["drop"].value == 0.9


def test_money_arrives_as_decimal(xero, warehouse, instance):
    tenant = xero.sandbox.tenants[0]
    assert sync(instance, warehouse, tenant.tenant_id, keys=[dg.AssetKey(["xero", "invoices"])])
    total = warehouse.query(
        "select sum(amount_due) from xero.invoices where tenant_id = ?", (tenant.tenant_id,)
    )[0][0]
    expected = collection_truth(tenant, "Invoices").money["AmountDue"]
    assert isinstance(total, Decimal)
    assert total == expected


@pytest.mark.postgres
def test_sync_into_postgres(xero, postgres_url, instance):
    warehouse = XeroWarehouseResource(destination=postgres_url)
    tenant = xero.sandbox.tenants[1]
    keys = [dg.AssetKey(["xero", "invoices"]), dg.AssetKey(["xero", "accounts"])]
    result = sync(instance, warehouse, tenant.tenant_id, keys=keys)
    assert result.success
    assert metadata(result, "invoices")["tenant_row_count"] == (
        collection_truth(tenant, "Invoices").count
    )
    assert all(checks(result).values())


def test_a_failed_webhook_sync_fails_the_step_and_keeps_the_events(xero, warehouse, instance):
    tenant = xero.sandbox.tenants[0]
    with EventStore() as store:
        store.add([{
            "tenantId": tenant.tenant_id, "eventCategory": "CONTACT",
            "resourceId": str(uuid.uuid4()), "eventDateUtc": "2026-11-21T09:00:00.000",
            "eventType": "UPDATE", "tenantType": "ORGANISATION",
        }])  # fmt: skip
    broken = XeroWarehouseResource(destination="postgresql://nobody@127.0.0.1:1/nowhere")
    result = sync(
        instance, broken, tenant.tenant_id, keys=[dg.AssetKey(["xero", "contacts"])],
        config={"from_webhooks": True},
    )  # fmt: skip
    assert not result.success
    assert not result.get_asset_materialization_events()
    with EventStore() as store:
        assert store.counts().get("pending") == 1
