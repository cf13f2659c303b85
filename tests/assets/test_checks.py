"""Freshness: every tenant partition of a raw table synced within max_age_hours."""

import time

import dagster as dg
from tie_out_rows import BROKEN, EXPLAINED, TIED, write_warehouse

from assets.checks import FRESH, build_freshness_checks, build_tie_out_checks, freshness_result
from assets.resources import XeroWarehouseResource

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


def tie_out_evaluations(url: str) -> dict[str, dg.AssetCheckEvaluation]:
    checks = build_tie_out_checks({"fct_trial_balance", "rpt_balance_sheet", "fct_payments"})
    result = dg.materialize(
        [checks],
        selection=dg.AssetSelection.checks(checks),
        resources={"warehouse": XeroWarehouseResource(destination=url)},
        raise_on_error=False,
    )
    assert result.success
    return {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}


def test_tie_out_check_fails_the_statement_with_a_broken_line(tmp_path):
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    write_warehouse(url, [TIED, EXPLAINED, BROKEN])
    results = tie_out_evaluations(url)
    assert set(results) == {"fct_trial_balance", "rpt_balance_sheet"}
    trial_balance, balance_sheet = results["fct_trial_balance"], results["rpt_balance_sheet"]
    assert not trial_balance.passed and trial_balance.severity == dg.AssetCheckSeverity.ERROR
    assert "400 Advertising" in trial_balance.metadata["broken_lines"].value
    assert balance_sheet.passed and balance_sheet.metadata["explained"].value == 1


def test_tie_out_check_warns_when_nothing_was_compared(tmp_path):
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    write_warehouse(url, [])
    result = tie_out_evaluations(url)["fct_trial_balance"]
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
