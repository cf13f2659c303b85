"""`xero-warehouse demo`, the README's first command, works offline from an empty folder."""

from __future__ import annotations

import argparse
from decimal import Decimal

import duckdb
import pytest

from pipelines.cli.demo import demo_command


@pytest.mark.slow
def test_demo_loads_both_organisations_and_builds_aging(tmp_path, capsys):
    target = tmp_path / "demo.duckdb"
    args = argparse.Namespace(destination=f"duckdb:///{target}", dagster=False)
    assert demo_command(args) == 0
    out = capsys.readouterr().out
    assert "AR aging as of" in out
    # ends with the verify summary: every statement compared, none broken
    summary = out.rsplit("tie-out: ", 1)[1].splitlines()[0]
    assert summary.endswith(" 0 broken: ties to Xero") and not summary.startswith("0 tied")
    with duckdb.connect(str(target), read_only=True) as connection:
        tenants = connection.execute("select count(distinct tenant_id) from xero.invoices")
        assert tenants.fetchall() == [(2,)]
        buckets = {
            row[0]
            for row in connection.sql(
                "select distinct aging_bucket from reporting.fct_ar_aging"
            ).fetchall()
        }
        invoices = connection.execute(
            "select o.name, count(*) from xero.invoices i"
            " join xero.organisations o using (tenant_id) group by 1"
        ).fetchall()
        base_totals = connection.execute(
            "select o.name, a.base_currency, sum(a.amount_due_base) from reporting.fct_ar_aging a"
            " join xero.organisations o using (tenant_id) group by 1, 2"
        ).fetchall()
    # the rows per organisation of each raw table, by name
    counts = out.split("rows per organisation in schema xero:", 1)[1].splitlines()
    shown = next(line for line in counts if line.split()[:1] == ["invoices"])
    assert len(invoices) == 2
    for name, rows in invoices:
        assert f"{name}: {rows}" in shown
    assert buckets <= {"current", "1_30", "31_60", "61_90", "over_90"}
    assert buckets
    # one line per organisation, in its base currency, adding up amounts in that currency
    lines = out.split("AR aging as of", 1)[1].splitlines()
    for name, currency, total in base_totals:
        line = next(line for line in lines if line.strip().startswith(name[:27]))
        cells = line.strip()[len(name[:27]) :].split()
        assert cells[0] == currency
        shown = sum(Decimal(c.replace(",", "")) for c in cells[1:])
        assert abs(shown - Decimal(str(total))) <= Decimal("0.03")  # five cells to the cent
