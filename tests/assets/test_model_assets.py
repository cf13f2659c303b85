"""The dbt models as Dagster assets on a synced sandbox: one asset per model with lineage
from the raw assets, dbt tests as passing checks, the AR aging summary per organisation in
its own currency against the sandbox's ground truth, and the tie-out check."""

from datetime import UTC, datetime
from decimal import Decimal

import dagster as dg
import pytest

from assets.checks import AR_AGING_TIES, ar_aging_tie_check, build_ar_aging_tie_check
from assets.models import AGING_BUCKETS, aging_chart_markdown, build_model_assets
from assets.xero import build_xero_assets, xero_tables
from pipelines.models import project_manifest
from sandbox.ground_truth import ar_aging

RAW = build_xero_assets(xero_tables())
READ_KEYS = [
    dg.AssetKey(["xero", name])
    for name in ("invoices", "payments", "credit_notes", "overpayments", "prepayments",
                 "contacts", "accounts", "organisations")
]


@pytest.fixture
def models():
    return build_model_assets(project_manifest())


@pytest.fixture
def synced(xero, warehouse, instance):
    """Both sandbox tenants loaded into the warehouse, partition by partition."""
    tenants = [tenant.tenant_id for tenant in xero.sandbox.tenants]
    instance.add_dynamic_partitions("tenants", tenants)
    for tenant_id in tenants:
        result = dg.materialize(
            [RAW],
            partition_key=tenant_id,
            instance=instance,
            resources={"warehouse": warehouse},
            selection=READ_KEYS,
        )
        assert result.success
    return xero


def test_lineage_runs_from_the_raw_assets_through_staging_to_the_marts(models):
    deps = {key: set(models.asset_deps[key]) for key in models.keys}
    assert len(deps) == 57
    assert deps[dg.AssetKey(["reporting", "stg_xero__credit_note_allocations"])] == {
        dg.AssetKey(["xero", "credit_notes"])  # credit_notes__allocations is loaded with it
    }
    assert deps[dg.AssetKey(["reporting", "fct_ar_aging"])] == {
        dg.AssetKey(["reporting", "int_open_invoices_aged"])
    }
    spec = next(s for s in models.specs if s.key.path[-1] == "fct_ar_aging")
    assert spec.description.startswith("Grain: one row per tenant_id, invoice_id")
    columns = {c.name: c.description for c in spec.metadata["dagster/column_schema"].columns}
    assert columns["aging_bucket"].startswith("current (days_overdue <= 0), 1_30")
    assert spec.automation_condition is not None
    checks = {key.name for key in models.check_keys if key.asset_key == spec.key}
    bucket_check = "accepted_values_fct_ar_aging_aging_bucket__current__1_30__31_60__61_90__over_90"
    assert bucket_check in checks


@pytest.mark.slow
def test_models_materialize_with_passing_checks_and_aging_per_organisation(
    synced, warehouse, instance, models
):
    today = datetime.now(UTC).date()
    result = dg.materialize(
        [RAW, models, build_ar_aging_tie_check()],
        selection=dg.AssetSelection.assets(models),
        instance=instance,
        resources={"warehouse": warehouse},
    )
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == set(models.keys)
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) > 100
    assert [e.check_name for e in evaluations if not e.passed] == []
    assert AR_AGING_TIES in {e.check_name for e in evaluations}

    aging = next(
        e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["reporting", "fct_ar_aging"])
    )
    assert set(aging) >= {"aging_by_organisation", "aging_chart"}
    records = {r.data["organisation"]: r.data for r in aging["aging_by_organisation"].value.records}
    rates = invoice_rates(warehouse)
    for tenant in synced.sandbox.tenants:
        record = records[tenant.name]
        assert record["currency"] == tenant.base_currency
        truth = ar_aging(tenant, today)
        assert record["invoices"] == len(truth)
        for bucket in AGING_BUCKETS:
            expected = sum(
                (round(row.amount_due / rates[row.invoice_id], 2) for row in truth
                 if row.bucket == bucket),
                Decimal(0),
            )
            assert record[bucket] == pytest.approx(float(expected), abs=0.005), bucket
    assert f"({synced.sandbox.tenants[0].base_currency})" in aging["aging_chart"].value

    # the tie-out fails when the aging loses an invoice
    with warehouse.parsed.connect() as connection:
        connection.execute(
            "delete from reporting.fct_ar_aging where invoice_id ="
            " (select invoice_id from reporting.fct_ar_aging where amount_due > 0 limit 1)"
        )
    tie = ar_aging_tie_check(warehouse, today)
    assert not tie.passed
    assert len(tie.metadata["tenants_off"].value) == 1


def invoice_rates(warehouse) -> dict[str, Decimal]:
    rows = warehouse.query(
        "select invoice_id, currency_rate from reporting_staging.stg_xero__invoices"
    )
    return {invoice_id: Decimal(rate) for invoice_id, rate in rows}


def test_each_organisation_has_its_own_chart_in_its_own_currency():
    organisations = [
        {"organisation": "Harbour", "currency": "AUD", "current": Decimal("100"),
         "1_30": Decimal("50"), "31_60": Decimal(0), "61_90": Decimal(0), "over_90": Decimal(0)},
        {"organisation": "Kiwi", "currency": "NZD", "current": Decimal("1"),
         "1_30": Decimal(0), "31_60": Decimal(0), "61_90": Decimal(0), "over_90": Decimal(0)},
    ]
    chart = aging_chart_markdown(organisations, width=10)
    harbour, kiwi = chart.split("\n\n**")
    assert harbour.startswith("**Harbour** (AUD)") and kiwi.startswith("Kiwi** (NZD)")
    assert "| current | 100.00 | `██████████` |" in harbour
    assert "| 1_30 | 50.00 | `█████` |" in harbour
    assert "| current | 1.00 | `██████████` |" in kiwi  # scaled to its own largest bucket
