"""`plan`: the pure projection against hand-counted numbers, and the command against a warehouse
whose real sync costs the sandbox counted."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from test_sync_sandbox import SEED, served, tenant_requests

from pipelines.cli import main
from pipelines.cli.plan import plan_lines
from pipelines.destination import parse_destination
from pipelines.errors import ConfigurationError
from pipelines.plan import Schedules, TenantRows, build_plan, runs_per_day, warehouse_rows
from pipelines.runner import sync
from pipelines.xero import settings
from sandbox.model import Sandbox

START = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday
HOURLY = runs_per_day("0 * * * *", START)
WEEKLY = runs_per_day("0 3 * * 0", START)
NONE = runs_per_day(None, START)

# a tenant whose pages are easy to count by hand
ROWS = {"invoices": 2500, "quotes": 250, "journals": 1000, "linked_transactions": 150}


def test_runs_per_day_counts_each_utc_day():
    assert HOURLY == (24,) * 28
    assert sum(WEEKLY) == 4 and max(WEEKLY) == 1
    assert WEEKLY[6] == 1  # Sunday 6 December
    assert runs_per_day("*/15 * * * *", START)[0] == 96
    assert NONE == (0,) * 28
    with pytest.raises(ConfigurationError, match="not a cron expression"):
        runs_per_day("every hour", START)


def test_plan_counts_pages_per_collection_and_flags_a_tenant_over_budget():
    counted = TenantRows("t-1", "Counted", ROWS)
    floor = TenantRows("t-2", "New", None)
    schedules = Schedules(sync=HOURLY, reconcile=WEEKLY, reports=NONE, reference_hours=24)
    big, new = build_plan([counted, floor], schedules, day_limit=1000, reserve=500)

    # incremental run: one call per collection with If-Modified-Since (18), and every page
    # of LinkedTransactions (150 rows: 2 pages of 100)
    # full refresh: invoices 3 pages of 1000, quotes 250 // 100 + 1 = 3 (no page count),
    # 8 other paged 1 each, 7 unpaged, journals 1000 // 100 + 1 = 11, linked 2, 11 reference
    assert [line.peak for line in big.lines] == [24 * 20, 11, 3 + 3 + 8 + 7 + 11 + 2 + 11, 0]
    assert big.peak == 480 + 11 + 45
    assert big.average == pytest.approx(480 + 11 + 45 / 7)
    assert (big.available, big.headroom, big.over_budget) == (500, -36, True)

    # floor: one request per collection, 24 runs, reference once, full refresh 30
    assert [line.peak for line in new.lines] == [24 * 19, 11, 30, 0]
    assert (new.peak, new.headroom, new.over_budget) == (497, 3, False)

    text = "\n".join(plan_lines([big, new], {"sync": "0 * * * *"}, 1000, 500))
    assert "OVER BUDGET by 36" in text
    assert "headroom on the peak day: 3 of 500 (ok)" in text
    assert text.rstrip().endswith("over budget: Counted")


def test_reference_cadence_and_report_snapshots_in_the_plan():
    tenant = TenantRows("t-1", "Counted", ROWS)
    every_run = Schedules(sync=HOURLY, reconcile=NONE, reports=NONE, reference_hours=0)
    [plan] = build_plan([tenant], every_run, day_limit=5000, reserve=0)
    assert plan.lines[1].peak == 24 * 11

    daily_reports = runs_per_day("0 6 * * *", START)
    with_reports = Schedules(sync=HOURLY, reconcile=NONE, reports=daily_reports)
    [plan] = build_plan([tenant], with_reports, day_limit=5000, reserve=0)
    # organisation + 3 re-read months of 4 monthly reports; open invoices listed once
    # (2500: 3 pages of 1000) and 20 contacts for each aged report
    assert plan.lines[3].peak == (1 + 4 * 3) + (3 + 2 * 20)


def _plan_numbers(capsys, *argv) -> dict[str, int]:
    with pytest.raises(SystemExit) as exited:
        main(["plan", *argv])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    numbers = dict(re.findall(r"^  (\w[\w /]+?) \((\d+) requests a run\)", out, re.MULTILINE))
    return {what: int(n) for what, n in numbers.items()} | {"text": out}


@pytest.mark.slow
def test_plan_matches_what_syncs_of_a_known_warehouse_cost(monkeypatch, tmp_path, capsys):
    sb = Sandbox(tenants=2, scale="small", seed=SEED)
    tenant = sb.tenants[0]
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with served(monkeypatch, sb) as server:
        # no warehouse yet: every connected tenant, at the floor
        floor = _plan_numbers(capsys, "--destination", destination)
        assert floor["incremental syncs"] == len(settings.COLLECTIONS) - 11
        assert floor["text"].count("floor: no rows yet") == 2

        assert sync(destination=destination, tenants=[tenant.tenant_id]).ok
        server.log.reset()
        assert sync(destination=destination, tenants=[tenant.tenant_id], full_refresh=True).ok
        full_refresh = tenant_requests(server, tenant)
        server.log.reset()
        assert sync(destination=destination, tenants=[tenant.tenant_id]).ok
        incremental = tenant_requests(server, tenant)

        planned = _plan_numbers(capsys, "--destination", destination, "--tenant", tenant.name)
    assert planned["incremental syncs"] == incremental
    assert planned["full refresh / reconcile"] == full_refresh
    assert f"{tenant.name} ({tenant.tenant_id}), rows from the warehouse" in planned["text"]


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request, tmp_path) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'w.duckdb'}"
    return request.getfixturevalue("postgres_url")


def test_warehouse_rows_count_live_rows_per_tenant(warehouse):
    target = parse_destination(warehouse)
    assert warehouse_rows(target, "xero") == []  # nothing there yet
    connection = target.connect()
    cursor = connection.cursor()
    for statement in (
        "create schema xero",
        "create table xero.invoices (tenant_id varchar, invoice_id varchar, _deleted_at timestamp)",
        "insert into xero.invoices values ('a', '1', null), ('a', '2', null),"
        " ('a', '3', current_timestamp), ('b', '4', null)",
        "create table xero.organisations (tenant_id varchar, name varchar)",
        "insert into xero.organisations values ('a', 'Alpha Ltd'), ('b', 'Beta Ltd')",
        "create table xero.accounts (tenant_id varchar, account_id varchar)",
        "insert into xero.accounts values ('b', 'x')",
    ):
        cursor.execute(statement)
    connection.commit()
    connection.close()
    rows = warehouse_rows(target, "xero")
    assert rows == [
        TenantRows("a", "Alpha Ltd", {"invoices": 2, "organisations": 1}),
        TenantRows("b", "Beta Ltd", {"accounts": 1, "invoices": 1, "organisations": 1}),
    ]
