"""`xero-warehouse demo`, the README's first command, works offline from an empty folder."""

from __future__ import annotations

import argparse

import duckdb

from pipelines.demo import demo_command


def test_demo_loads_both_organisations_and_builds_aging(tmp_path, capsys):
    target = tmp_path / "demo.duckdb"
    args = argparse.Namespace(destination=f"duckdb:///{target}", dagster=False)
    assert demo_command(args) == 0
    out = capsys.readouterr().out
    assert "AR aging as of" in out
    with duckdb.connect(str(target), read_only=True) as connection:
        tenants = connection.execute("select count(distinct tenant_id) from xero.invoices")
        assert tenants.fetchall() == [(2,)]
        buckets = {
            row[0]
            for row in connection.sql(
                "select distinct aging_bucket from reporting.fct_ar_aging"
            ).fetchall()
        }
    assert buckets <= {"current", "1_30", "31_60", "61_90", "over_90"}
    assert buckets
