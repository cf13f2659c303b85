"""The report snapshot assets materialized for one tenant partition against the sandbox,
into DuckDB: only the selected reports are read, each snapshot lands in its raw table."""

import dagster as dg

from assets.reports import build_report_assets, report_key
from pipelines.xero.reports import REPORT_NAMES

REPORTS = build_report_assets()
AGED = ["report_aged_receivables_by_contact", "report_aged_payables_by_contact"]


def test_one_asset_per_report_in_the_warehouse_pool():
    assert set(REPORTS.keys) == {report_key(name) for name in REPORT_NAMES}
    assert REPORTS.op.pool == "xero_warehouse"


def test_selected_reports_of_the_tenant_are_snapshotted(xero, warehouse, instance, monkeypatch):
    monkeypatch.setenv("XERO_REPORT_AS_OF", xero.sandbox.anchor.isoformat())
    monkeypatch.setenv("XERO_REPORT_AGED_CONTACTS", "2")
    tenant = xero.sandbox.tenants[0]
    instance.add_dynamic_partitions("tenants", [tenant.tenant_id])
    result = dg.materialize(
        [REPORTS],
        partition_key=tenant.tenant_id,
        instance=instance,
        resources={"warehouse": warehouse},
        selection=[report_key(name) for name in AGED],
    )
    assert result.success
    events = {
        e.asset_key: e.materialization.metadata for e in result.get_asset_materialization_events()
    }
    assert set(events) == {report_key(name) for name in AGED}
    for name in AGED:
        contacts = warehouse.query(
            f"select count(distinct contact_id), count(*) from xero.{name} where tenant_id = ?",
            (tenant.tenant_id,),
        )
        assert contacts[0][0] == 2
        assert events[report_key(name)]["rows_loaded"].value == contacts[0][1] > 0
        assert events[report_key(name)]["requests"].value >= 2
    tables = {
        row[0]
        for row in warehouse.query(
            "select table_name from information_schema.tables where table_schema = 'xero'"
        )
    }
    assert not tables & {"report_trial_balance", "invoices"}
