"""The daily request budget against the sandbox over HTTP: reference data on its cadence,
the day-limit reserve, and what a no-change run costs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_sync_sandbox import (
    CORE,
    SEED,
    assert_matches_truth,
    query,
    served,
    tenant_requests,
)

from pipelines.runner import sync
from pipelines.xero import cadence, limiter
from sandbox.model import Sandbox

INCREMENTAL = ("invoices", "contacts")
REFERENCE = ("tax_rates", "currencies", "tracking_categories")
START = datetime(2026, 11, 30, 9, 0, 5, tzinfo=UTC)


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(tenants=2, scale="small", seed=SEED)


@pytest.fixture
def clock(monkeypatch) -> list[datetime]:
    """The cadence's clock: set `clock[0]` to move it."""
    now = [START]
    monkeypatch.setattr(cadence, "utc_now", lambda: now[0])
    return now


def _requests(server, tenant, **options) -> int:
    server.log.reset()
    result = sync(tenants=[tenant.tenant_id], resources=list(INCREMENTAL + REFERENCE), **options)
    assert result.ok, result.errors
    return tenant_requests(server, tenant)


def _category_name(destination: str, category_id: str) -> str:
    rows = query(
        destination,
        "select name from xero.tracking_categories where tracking_category_id = %s",
        category_id,
    )
    return rows[0][0]


@pytest.mark.slow
def test_reference_data_is_read_again_only_when_due(monkeypatch, sb, tmp_path, clock):
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    tenant = sb.tenants[0]
    category = next(iter(tenant.collection("TrackingCategories").records()))
    everything = len(INCREMENTAL + REFERENCE)  # one page each at this size
    with served(monkeypatch, sb) as server:
        assert _requests(server, tenant, destination=destination) == everything
        renamed = tenant.update(
            "TrackingCategories", category["TrackingCategoryID"], {"Name": "Renamed"}
        )

        # an hour later: the reference collections cost nothing and lose nothing
        clock[0] = START + timedelta(hours=1)
        assert _requests(server, tenant, destination=destination) == len(INCREMENTAL)
        assert_matches_truth(destination, sb, INCREMENTAL + REFERENCE, [tenant])
        assert _category_name(destination, category["TrackingCategoryID"]) == category["Name"]

        # a day after the last read (a scheduled run a minute early counts): read again
        clock[0] = START + timedelta(hours=24, minutes=-1)
        assert _requests(server, tenant, destination=destination) == everything
        assert _category_name(destination, category["TrackingCategoryID"]) == renamed["Name"]
        assert_matches_truth(destination, sb, INCREMENTAL + REFERENCE, [tenant])

        # within the window again, but a full refresh reads everything
        clock[0] += timedelta(hours=1)
        assert _requests(server, tenant, destination=destination, full_refresh=True) == everything
        # and 0 hours reads reference data on every run
        monkeypatch.setenv(cadence.REFRESH_VARIABLE, "0")
        assert _requests(server, tenant, destination=destination) == everything
        assert_matches_truth(destination, sb, INCREMENTAL + REFERENCE, [tenant])
        (duplicates,) = query(
            destination,
            "select count(*) from (select tenant_id, tax_type from xero.tax_rates"
            " group by 1, 2 having count(*) > 1) as twice",
        )[0]
        assert duplicates == 0


def test_cadence_arithmetic():
    hours = 24.0
    assert cadence.is_due({}, hours, START)
    state = {cadence.READ_AT: START.isoformat()}
    assert not cadence.is_due(state, hours, START + timedelta(hours=23))
    assert cadence.is_due(state, hours, START + timedelta(hours=23, minutes=56))
    assert cadence.is_due(state, 0, START)
    assert cadence.reads_per_day(24, 24) == 1
    assert cadence.reads_per_day(24, 0) == 24
    assert cadence.reads_per_day(4, 1) == 4
    assert cadence.reads_per_day(24, 48) == 0.5


@pytest.mark.slow
def test_reserve_stops_one_tenant_cleanly_and_the_next_run_resumes(monkeypatch, sb, tmp_path):
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    limited, other = sb.tenants
    reserve, allowed = 100, 3  # the sandbox allows 5,000 a day
    monkeypatch.setenv("XERO_DAY_LIMIT_RESERVE", str(reserve))
    with served(monkeypatch, sb) as server:
        server.limiter.spend_day(limited.tenant_id, 5000 - reserve - allowed)  # other work
        server.log.reset()
        result = sync(destination=destination, resources=list(CORE))
        assert result.ok, result.errors  # a planned stop, not a failure
        outcome = {t.tenant_id: t for t in result.tenants}
        status = outcome[limited.tenant_id].status
        assert status.startswith("stopped: daily API limit reserve reached"), status
        assert "can resume after" in status and "next UTC midnight, an estimate" in status
        assert "\n" not in status
        assert tenant_requests(server, limited) == allowed  # not one call into the reserve
        assert outcome[limited.tenant_id].rows > 0  # what it read before the stop is kept
        assert outcome[other.tenant_id].status == "ok"
        assert_matches_truth(destination, sb, CORE, [other])

        # the next day (a new process): the stopped tenant picks up where it left off
        server.limiter.reset()
        monkeypatch.setattr(limiter, "_shared", {})
        again = sync(destination=destination, resources=list(CORE))
        assert again.ok, again.errors
        assert [t.status for t in again.tenants] == ["ok", "ok"]
        assert_matches_truth(destination, sb, CORE)


@pytest.mark.slow
def test_a_run_with_nothing_changed_loads_nothing(monkeypatch, sb, tmp_path):
    destination = f"duckdb:///{tmp_path / 'w.duckdb'}"
    tenant = sb.tenants[0]
    loads = "select count(*) from xero._dlt_loads"
    with served(monkeypatch, sb):
        assert sync(destination=destination, tenants=[tenant.tenant_id]).ok
        [(loaded,)] = query(destination, loads)

        again = sync(destination=destination, tenants=[tenant.tenant_id])
        assert again.ok, again.errors
        # the lookback's rows came back unchanged: no normalize, no load at all
        assert query(destination, loads) == [(loaded,)]

        contact = next(iter(tenant.collection("Contacts").records()))
        tenant.update("Contacts", contact["ContactID"], {"Name": "Changed Name Ltd"})
        changed = sync(destination=destination, tenants=[tenant.tenant_id])
        assert changed.ok, changed.errors
        assert changed.tables[(tenant.tenant_id, "contacts")].rows == 1
        assert query(destination, loads) == [(loaded + 1,)]
        [(name,)] = query(
            destination,
            "select name from xero.contacts where contact_id = %s",
            contact["ContactID"],
        )
        assert name == "Changed Name Ltd"
        assert_matches_truth(destination, sb, tenants=[tenant])
