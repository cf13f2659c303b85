"""The fault suite: a sync killed (os._exit, like kill -9) at every step of extract, normalize
and load, a database cut off mid-load, and per-tenant syncs in parallel while the data changes.
After each, a plain re-run must leave every tenant equal to the sandbox's ground truth: no id
lost, no key twice, money to the cent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from processes import run_at_once
from test_sync_sandbox import CORE, _mutate, assert_matches_truth, query, served

from pipelines.runner import sync
from sandbox.model import Sandbox

KILLER = Path(__file__).with_name("sync_killed_at.py")
KILLED = 99

pytestmark = pytest.mark.slow


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(tenants=2, scale="small", seed=11)


def cli(*argv: str, point: str | None = None, tenant: str = "") -> subprocess.CompletedProcess:
    """`xero-warehouse ARGV` in a new process, killed at `point` when given."""
    command = (
        [sys.executable, str(KILLER), point, tenant, "--"]
        if point
        else [sys.executable, "-m", "pipelines.cli"]
    )
    return subprocess.run(
        [*command, *argv], capture_output=True, text=True, timeout=600, env=os.environ.copy()
    )


def sync_args(destination: str, *extra: str) -> list[str]:
    resources = [arg for name in CORE for arg in ("--resource", name)]
    return ["sync", "--destination", destination, "--no-progress", *resources, *extra]


def duplicate_keys(destination: str) -> int:
    (count,) = query(
        destination,
        "select count(*) from (select tenant_id, invoice_id from xero.invoices"
        " group by 1, 2 having count(*) > 1) as twice",
    )[0]
    return count


POINTS = ["extract", "normalize", "initialized", "staged", "merged", "completing"]


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_any_step_then_a_plain_rerun_loses_and_duplicates_nothing(
    monkeypatch, sb, tmp_path, point
):
    """On DuckDB at every step; on PostgreSQL at the moments that lost or doubled rows
    (see the test below)."""
    kill_then_rerun(monkeypatch, sb, f"duckdb:///{tmp_path / 'warehouse.duckdb'}", point)


@pytest.mark.postgres
@pytest.mark.parametrize("point", ["staged", "merged"])
def test_a_kill_mid_load_on_postgres_then_a_plain_rerun_is_exact(
    monkeypatch, sb, postgres_url, point
):
    kill_then_rerun(monkeypatch, sb, postgres_url, point)


def kill_then_rerun(monkeypatch, sb, destination: str, point: str) -> None:
    """The sync of the tenants' group dies at `point`; both tenants' invoices change; a plain
    re-run finishes or discards the leftover package first and ends exact."""
    first, second = sb.tenants
    with served(monkeypatch, sb):
        killed = cli(*sync_args(destination), point=point, tenant=second.tenant_id)
        assert killed.returncode == KILLED, killed.stderr[-2000:]
        _mutate(first)
        _mutate(second)
        result = sync(destination=destination, resources=list(CORE))
        assert result.ok, result.errors
        assert_matches_truth(destination, sb, only=CORE)
        assert duplicate_keys(destination) == 0


@pytest.mark.postgres
def test_a_database_cut_off_mid_load_gives_one_line_and_the_rerun_is_exact(
    monkeypatch, sb, postgres_url
):
    import psycopg2

    second = sb.tenants[1]
    monkeypatch.setenv("XW_KILL_DESTINATION", postgres_url)
    with served(monkeypatch, sb):
        cut = cli(*sync_args(postgres_url), point="outage", tenant=second.tenant_id)
        database = postgres_url.rsplit("/", 1)[1]
        admin = psycopg2.connect(postgres_url.rsplit("/", 1)[0] + "/postgres")
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'alter database "{database}" allow_connections true')
        admin.close()
        assert cut.returncode == 1
        assert "Traceback" not in cut.stderr
        errors = [line for line in cut.stderr.splitlines() if line.startswith("error:")]
        # the tenants load together (one group): the failed load is each one's, in one line
        assert sorted(line.split(":")[1].strip() for line in errors) == sorted(
            tenant.name for tenant in sb.tenants
        ), cut.stderr[-2000:]
        assert all("load failed" in line for line in errors)
        assert "password" not in cut.stderr.lower()
        result = sync(destination=postgres_url, resources=list(CORE))
        assert result.ok, result.errors
        assert_matches_truth(postgres_url, sb, only=CORE)


def change_references(tenant, label: str, count: int = 25) -> dict[str, str]:
    """Give `count` invoices a new Reference; returns {invoice id: reference}."""
    invoices = [
        r
        for r in tenant.collection("Invoices").records()
        if r["Status"] in ("DRAFT", "SUBMITTED", "AUTHORISED")
    ]
    changed = {}
    for invoice in invoices[:count]:
        reference = f"{label} {invoice['InvoiceID'][:8]}"
        tenant.update("Invoices", invoice["InvoiceID"], {"Reference": reference})
        changed[invoice["InvoiceID"]] = reference
    return changed


def assert_references(destination: str, tenant, expected: dict[str, str]) -> None:
    loaded = dict(
        query(
            destination,
            "select cast(invoice_id as varchar), reference from xero.invoices where tenant_id = %s",
            tenant.tenant_id,
        )
    )
    stale = {i: r for i, r in expected.items() if loaded.get(i) != r}
    assert not stale, f"{tenant.name}: {len(stale)} of {len(expected)} updates not loaded"


@pytest.mark.postgres
def test_per_tenant_syncs_in_parallel_lose_no_update(monkeypatch, sb, postgres_url):
    """Two processes, one per tenant, into one new PostgreSQL dataset, two rounds with
    invoices changing between rounds: every round ends exactly at the truth, every update in."""
    changed: dict[str, dict[str, str]] = {}
    with served(monkeypatch, sb):
        for round_ in range(2):
            cli = [sys.executable, "-m", "pipelines.cli"]
            run_at_once(
                [[*cli, *sync_args(postgres_url, "--tenant", t.tenant_id)] for t in sb.tenants],
                label=f"round {round_}: ",
            )
            assert_matches_truth(postgres_url, sb, only=CORE)
            for tenant in sb.tenants:
                assert_references(postgres_url, tenant, changed.get(tenant.tenant_id, {}))
                changed[tenant.tenant_id] = change_references(tenant, f"round {round_}")


def test_a_second_sync_on_the_same_warehouse_waits_for_the_first(monkeypatch, sb, tmp_path):
    """Two whole syncs at once on one DuckDB file: both succeed, one after the other."""
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with served(monkeypatch, sb):
        command = [sys.executable, "-m", "pipelines.cli", *sync_args(destination)]
        outcomes = run_at_once([command, command])
        assert any("waiting: another sync" in stderr for _, stderr in outcomes)
        assert_matches_truth(destination, sb, only=CORE)


def test_loaded_packages_are_pruned(monkeypatch, sb, tmp_path):
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with served(monkeypatch, sb):
        for _ in range(3):
            assert sync(destination=destination, resources=["accounts", "invoices"]).ok
    loaded = list((tmp_path / "home" / "pipelines").glob("*/*/load/loaded/*"))
    assert len(loaded) == 1  # the newest package of the one group pipeline


@pytest.mark.postgres
def test_dlt_files_are_written_uncompressed(monkeypatch, sb, postgres_url, tmp_path):
    """The csv files PostgreSQL loads from are plain: gzip would only cost CPU."""
    monkeypatch.delenv("DATA_WRITER__DISABLE_COMPRESSION", raising=False)
    with served(monkeypatch, sb):
        assert sync(destination=postgres_url, resources=["accounts"]).ok
    jobs = list((tmp_path / "home" / "pipelines").glob("*/*/load/loaded/*/completed_jobs/*"))
    assert any(job.name.endswith(".csv") for job in jobs), jobs
    assert not [job.name for job in jobs if job.name.endswith(".gz")]


def test_a_key_held_twice_fails_the_run_naming_the_table(monkeypatch, sb, tmp_path):
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with served(monkeypatch, sb):
        assert sync(destination=destination, resources=["invoices"]).ok
        connection = __import__("duckdb").connect(str(tmp_path / "w.duckdb"))
        connection.execute("insert into xero.invoices select * from xero.invoices limit 1")
        connection.close()
        _mutate(sb.tenants[0])
        result = sync(destination=destination, resources=["invoices"])
    assert not result.ok
    assert any("invoices: 1 keys loaded twice" in error for error in result.errors), result.errors
