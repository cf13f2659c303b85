"""Many tenants in one run: the tenants of a group load through one dlt pipeline (one extract,
one normalize, one load), while each keeps cursors of its own, so a tenant that fails neither
loses nor rewinds another tenant's rows."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest
from test_sync_sandbox import CORE, assert_matches_truth, query, served

from pipelines.runner import (
    PARALLEL_NORMALIZE_ROWS,
    normalize_workers,
    pipeline_name,
    sync,
    tenant_group,
)
from pipelines.xero import settings
from sandbox.model import Sandbox

pytestmark = pytest.mark.slow

LOADS = "select count(*) from xero._dlt_loads"


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(tenants=4, scale="small", seed=23)


def _rename_invoices(tenant, label: str, count: int = 3) -> dict[str, str]:
    invoices = [
        r for r in tenant.collection("Invoices").records() if r["Status"] in ("DRAFT", "AUTHORISED")
    ][:count]
    for invoice in invoices:
        tenant.update("Invoices", invoice["InvoiceID"], {"Reference": label})
    return {invoice["InvoiceID"]: label for invoice in invoices}


def _references(destination: str, tenant, ids) -> set[str]:
    rows = query(
        destination,
        "select cast(invoice_id as varchar), reference from xero.invoices where tenant_id = %s",
        tenant.tenant_id,
    )
    return {reference for invoice_id, reference in rows if invoice_id in ids}


def test_a_run_over_many_tenants_loads_once_per_group(monkeypatch, sb, tmp_path):
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with served(monkeypatch, sb):
        result = sync(destination=destination, resources=list(CORE))
        assert result.ok, result.errors
        assert [t.status for t in result.tenants] == ["ok"] * 4
        assert query(destination, LOADS) == [(1,)]  # four tenants, one load package
        assert_matches_truth(destination, sb, CORE)

        monkeypatch.setenv("XERO_TENANT_GROUPS", "2")
        spread = f"duckdb:///{tmp_path / 'spread.duckdb'}"
        groups = {tenant_group(t.tenant_id, 2) for t in sb.tenants}
        assert sync(destination=spread, resources=list(CORE)).ok
        assert query(spread, LOADS) == [(len(groups),)]
        assert_matches_truth(spread, sb, CORE)
    folders = {path.name for path in (tmp_path / "home" / "pipelines").glob("*/*")}
    assert {pipeline_name(group) for group in groups} <= folders


def test_the_tenants_collections_are_read_concurrently(monkeypatch, sb, tmp_path):
    """With every call taking 0.1 s, a run with nothing changed (one call per collection and
    tenant) has calls of several tenants in flight at once, never one call at a time."""
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with served(monkeypatch, sb) as server:
        assert sync(destination=destination, resources=list(CORE)).ok
        server.runtime.faults.add("latency", count=None, seconds=0.1)
        server.log.reset()
        result = sync(destination=destination, resources=list(CORE))
        assert result.ok, result.errors
    calls = [e for e in server.log.entries if e.tenant_id and e.duration_ms >= 100]
    assert {e.tenant_id for e in calls} == {t.tenant_id for t in sb.tenants}
    assert _most_at_once(calls) >= 3


def _most_at_once(calls) -> int:
    edges = sorted([(e.at - e.duration_ms / 1000, 1) for e in calls] + [(e.at, -1) for e in calls])
    most = running = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def test_a_tenant_synced_alone_goes_on_from_the_group_run(monkeypatch, sb, tmp_path):
    """The group's cursors are the tenant's own: a later run of one tenant reads only what
    changed, and leaves the other tenants' cursors where they were."""
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    first, second = sb.tenants[:2]
    with served(monkeypatch, sb):
        assert sync(destination=destination, resources=["invoices"]).ok
        changed = _rename_invoices(first, "alone")
        alone = sync(destination=destination, tenants=[first.tenant_id], resources=["invoices"])
        assert alone.ok, alone.errors
        assert alone.tables[(first.tenant_id, "invoices")].rows == len(changed)
        assert _references(destination, first, changed) == {"alone"}

        _rename_invoices(second, "later")
        everyone = sync(destination=destination, resources=["invoices"])
        assert everyone.ok, everyone.errors
        assert everyone.tables[(first.tenant_id, "invoices")].rows == 0
        assert everyone.tables[(second.tenant_id, "invoices")].rows == 3
        assert_matches_truth(destination, sb, ["invoices"])


def test_a_failing_tenant_neither_loses_nor_rewinds_another(monkeypatch, sb, tmp_path):
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    failing, healthy = sb.tenants[:2]
    with served(monkeypatch, sb) as server:
        assert sync(destination=destination, resources=list(CORE)).ok
        lost = _rename_invoices(failing, "after the failure")
        kept = _rename_invoices(healthy, "loaded")
        fault = server.faults.add(
            "status", status=500, count=None, tenant_id=failing.tenant_id, path="/Invoices"
        )
        result = sync(destination=destination, resources=list(CORE))
        outcome = {t.tenant_id: t for t in result.tenants}
        assert outcome[failing.tenant_id].status.startswith("failed: invoices:")
        assert all(outcome[t.tenant_id].status == "ok" for t in sb.tenants if t is not failing), (
            result.errors
        )
        assert _references(destination, healthy, kept) == {"loaded"}
        assert "after the failure" not in _references(destination, failing, lost)
        assert_matches_truth(destination, sb, CORE, [t for t in sb.tenants if t is not failing])

        server.faults.remove(fault.id)
        again = sync(destination=destination, resources=list(CORE))
        assert again.ok, again.errors
        # the failed tenant's cursor stayed, so its changes come now; the others' moved on
        assert again.tables[(failing.tenant_id, "invoices")].rows == len(lost)
        assert again.tables[(healthy.tenant_id, "invoices")].rows == 0
        assert_matches_truth(destination, sb, CORE)


def test_a_collection_read_part_way_keeps_its_cursor(monkeypatch, tmp_path):
    """Pages newest first, page 2 failing: page 1 loads, and the newest row seen is past
    every row of the pages not read. The cursor stays where it was (unset), so the next run
    reads those rows."""
    from pipelines.xero.client import XeroClient, XeroError

    one = Sandbox(tenants=1, scale=1500, seed=23)  # 365 invoices: four pages of 100
    invoices = settings.BY_NAME["invoices"]
    newest_first = (*invoices.params, ("order", "UpdatedDateUTC DESC"))
    monkeypatch.setitem(
        settings.BY_NAME,
        "invoices",
        dataclasses.replace(invoices, page_size=100, params=newest_first),
    )
    original = XeroClient.get

    def page_two_fails(self, path, params=None, **options):
        if path == "/Invoices" and (params or {}).get("page") == 2:
            raise XeroError("Xero answered 500 for page 2", 500)
        return original(self, path, params, **options)

    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with served(monkeypatch, one):
        monkeypatch.setattr(XeroClient, "get", page_two_fails)
        first = sync(destination=destination, resources=["invoices"])
        assert not first.ok and first.tables[(one.tenants[0].tenant_id, "invoices")].rows == 100
        monkeypatch.setattr(XeroClient, "get", original)
        again = sync(destination=destination, resources=["invoices"])
        assert again.ok, again.errors
        assert_matches_truth(destination, one, ["invoices"])


def test_a_run_of_a_hundred_tenants_with_nothing_to_read(monkeypatch, tmp_path):
    """1,100 resources (reference data of 100 tenants) all ending without a row, as in an
    hourly run between two daily reads: the run completes, reads nothing and loads nothing."""
    many = Sandbox(tenants=100, scale="small", seed=5)
    reference = [c.name for c in settings.COLLECTIONS if c.reference]
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with served(monkeypatch, many) as server:
        assert sync(destination=destination, resources=reference).ok
        server.log.reset()
        again = sync(destination=destination, resources=reference)
        assert again.ok, again.errors[:3]
        assert len(again.tenants) == 100
        assert server.log.count() == 1  # /connections, nothing else
        assert query(destination, LOADS) == [(1,)]


# a sync from a script, as `xero-warehouse sync` runs (dlt starts no worker processes from an
# interactive session, which is what a pytest worker looks like to it), counting every
# extract as large on a machine of two cores
LARGE_SYNC = """
import json, os, resource, sys
from pipelines import runner

os.cpu_count = lambda: 2
runner.PARALLEL_NORMALIZE_ROWS = 1
chosen = []
original = runner.normalize_workers
runner.normalize_workers = lambda rows: chosen.append(original(rows)) or chosen[-1]
result = runner.sync(destination=sys.argv[1], resources=sys.argv[2].split(","))
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([result.ok, chosen, children.ru_utime + children.ru_stime]))
"""


def test_a_large_extract_is_normalized_in_a_process_per_core(monkeypatch, sb, tmp_path):
    script = tmp_path / "large_sync.py"
    script.write_text(LARGE_SYNC)
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with served(monkeypatch, sb):
        done = subprocess.run(
            [sys.executable, str(script), destination, ",".join(CORE)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    ok, chosen, worker_seconds = json.loads(done.stdout.splitlines()[-1])
    assert ok and chosen == [2]
    assert worker_seconds > 0.5  # the workers did the normalizing
    assert_matches_truth(destination, sb, CORE)
    assert normalize_workers(PARALLEL_NORMALIZE_ROWS - 1) == 1  # a small one stays in-process
