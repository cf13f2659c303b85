"""The reporting assets built from a synced sandbox: lineage, AR aging metadata against the
sandbox's ground truth, and the tie-out check to open invoices."""

from datetime import UTC, datetime
from decimal import Decimal

import dagster as dg
import pytest

from assets.models import (
    AGING_BUCKETS,
    AR_AGING_TIES,
    aging_chart_markdown,
    ar_aging_tie_check,
    build_model_assets,
)
from assets.xero import build_xero_assets, xero_tables
from pipelines.models import discover_models
from sandbox.ground_truth import ar_aging, totals_by_bucket

TABLES = xero_tables()
RAW = build_xero_assets(TABLES)
MODELS = build_model_assets(discover_models(), {table.resource for table in TABLES})
MODEL_KEYS = list(MODELS.keys)
# only the raw tables the models read
READ_KEYS = sorted(
    {
        dg.AssetKey(["xero", table.split("__")[0]])
        for m in discover_models()
        for table in m.raw_tables
    },
    key=str,
)


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


def build_models(instance, warehouse, as_of=None):
    return dg.materialize(
        [RAW, MODELS],
        selection=MODEL_KEYS,
        instance=instance,
        resources={"warehouse": warehouse},
        run_config={"ops": {"reporting_models": {"config": {"as_of": as_of}}}} if as_of else None,
    )


@pytest.mark.slow
def test_models_materialize_and_ar_aging_matches_the_ground_truth(synced, warehouse, instance):
    today = datetime.now(UTC).date()
    result = build_models(instance, warehouse)
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == set(MODEL_KEYS)

    [tie] = result.get_asset_check_evaluations()
    assert tie.check_name == AR_AGING_TIES
    assert tie.passed, tie.metadata

    aging = next(
        e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["reporting", "fct_ar_aging"])
    )
    assert aging["as_of"].value == today.isoformat()
    expected = dict.fromkeys(AGING_BUCKETS, Decimal(0))
    for tenant in synced.sandbox.tenants:
        for bucket, amount in totals_by_bucket(ar_aging(tenant, today)).items():
            expected[bucket] += amount
    records = aging["aging_buckets"].value.records
    assert [record.data["bucket"] for record in records] == list(AGING_BUCKETS)
    for record in records:
        assert record.data["amount_due"] == pytest.approx(
            float(expected[record.data["bucket"]]), abs=0.005
        )
    assert aging["amount_due_total"].value == pytest.approx(
        float(sum(expected.values())), abs=0.005
    )
    assert "over_90" in aging["aging_chart"].value
    assert aging["aging_vega_lite"].value["mark"] == "bar"
    assert aging["dagster/row_count"].value > 0

    # and as of a past date (point in time): the sandbox's aging on that date
    as_of = datetime(2026, 9, 30, tzinfo=UTC).date()
    result = build_models(instance, warehouse, as_of=as_of.isoformat())
    assert result.success
    [tie] = result.get_asset_check_evaluations()
    assert tie.passed and tie.metadata["skipped"].value is True
    rows = warehouse.query(
        "select aging_bucket, sum(amount_due) from reporting.fct_ar_aging"
        " where as_of_date = ? group by 1",
        (as_of,),
    )
    expected = {}
    for tenant in synced.sandbox.tenants:
        for bucket, amount in totals_by_bucket(ar_aging(tenant, as_of)).items():
            expected[bucket] = expected.get(bucket, Decimal(0)) + amount
    assert {bucket: amount for bucket, amount in rows} == {
        bucket: amount for bucket, amount in expected.items() if amount
    }


@pytest.mark.slow
def test_tie_out_fails_when_the_aging_loses_an_invoice(synced, warehouse, instance):
    today = datetime.now(UTC).date()
    assert build_models(instance, warehouse).success
    with warehouse.parsed.connect() as connection:
        connection.execute(
            "delete from reporting.fct_ar_aging where invoice_id ="
            " (select invoice_id from reporting.fct_ar_aging where amount_due > 0 limit 1)"
        )
    result = ar_aging_tie_check(warehouse, today)
    assert not result.passed
    assert len(result.metadata["tenants_off"].value) == 1


def test_chart_scales_bars_to_the_largest_bucket():
    chart = aging_chart_markdown(
        [("current", 2, Decimal("100")), ("1_30", 1, Decimal("50")), ("31_60", 0, Decimal(0))],
        width=10,
    )
    lines = chart.splitlines()
    assert "`██████████`" in lines[2]
    assert "`█████`" in lines[3]
    assert "`·`" in lines[4]
