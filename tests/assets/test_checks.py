"""Freshness: every tenant partition of a raw table synced within max_age_hours."""

import time

import dagster as dg

from assets.checks import FRESH, build_freshness_checks, freshness_result

INVOICES = dg.AssetKey(["xero", "invoices"])
PAYMENTS = dg.AssetKey(["xero", "payments"])
CHECKS = build_freshness_checks([INVOICES, PAYMENTS])


def materialized(instance, key: dg.AssetKey, tenant: str) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, partition=tenant))


def run_checks(instance, max_age_hours: float = 3.0) -> dict[str, dg.AssetCheckEvaluation]:
    result = dg.materialize(
        [CHECKS],
        instance=instance,
        selection=dg.AssetSelection.checks(CHECKS),
        run_config={"ops": {"xero_freshness_checks": {"config": {"max_age_hours": max_age_hours}}}},
    )
    assert result.success
    return {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}


def test_fresh_when_every_tenant_synced_recently(instance):
    instance.add_dynamic_partitions("tenants", ["tenant-a", "tenant-b"])
    for tenant in ("tenant-a", "tenant-b"):
        materialized(instance, INVOICES, tenant)
    results = run_checks(instance)
    assert results["invoices"].passed
    assert results["invoices"].check_name == FRESH


def test_stale_tenants_are_named(instance):
    instance.add_dynamic_partitions("tenants", ["tenant-a", "tenant-b"])
    materialized(instance, INVOICES, "tenant-a")
    materialized(instance, PAYMENTS, "tenant-a")
    materialized(instance, PAYMENTS, "tenant-b")
    results = run_checks(instance)
    assert not results["invoices"].passed
    assert results["invoices"].severity == dg.AssetCheckSeverity.WARN
    assert results["invoices"].metadata["stale_tenants"].value == ["tenant-b"]
    assert results["payments"].passed


def test_an_old_sync_is_stale(instance):
    instance.add_dynamic_partitions("tenants", ["tenant-a"])
    materialized(instance, INVOICES, "tenant-a")
    time.sleep(0.05)
    assert not run_checks(instance, max_age_hours=0.01 / 3600)["invoices"].passed


def test_description_counts_stale_tenants():
    result = freshness_result(INVOICES, {"a", "b", "c"}, {"a"}, 3)
    assert result.description == "2 of 3 tenants not synced in the last 3 h"
    assert freshness_result(INVOICES, {"a"}, {"a"}, 3).passed
