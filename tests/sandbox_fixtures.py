"""Pytest fixtures for the local Xero sandbox: `sandbox` (two small organisations, fixed
seed and anchor date) and `sandbox_server` (it served over real HTTP, rate limits on, with
windows 60 times faster than Xero's: a "minute" lasts one second).

For the Dagster tests: `xero` (the environment pointing at `sandbox_server`), `warehouse`
(a DuckDB warehouse resource), `xero_api` and `instance` (a Dagster instance held in memory).
A folder's conftest.py may define a fixture of the same name; it wins there."""

from __future__ import annotations

from datetime import date

import pytest

SANDBOX_ANCHOR = date(2026, 10, 31)
SANDBOX_TIME_SCALE = 60.0


@pytest.fixture
def sandbox():
    from sandbox.model import Sandbox

    return Sandbox(tenants=2, scale="small", seed=42, anchor=SANDBOX_ANCHOR)


@pytest.fixture
def sandbox_server(sandbox):
    from sandbox.server import running_sandbox

    with running_sandbox(sandbox, time_scale=SANDBOX_TIME_SCALE, limits=True) as server:
        yield server


def point_environment_at(server, monkeypatch, time_scale: float = SANDBOX_TIME_SCALE) -> None:
    """Set XERO_* to reach a running sandbox, the client pacing on its clock (`time_scale`
    as given to running_sandbox)."""
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("XERO_RATE_LIMIT_TIME_SCALE", str(time_scale))


@pytest.fixture
def xero(sandbox_server, monkeypatch):
    """`sandbox_server` with XERO_* pointing at it and the client pacing on the sandbox's
    faster clock."""
    point_environment_at(sandbox_server, monkeypatch)
    return sandbox_server


@pytest.fixture
def warehouse(tmp_path):
    from assets.resources import XeroWarehouseResource

    return XeroWarehouseResource(destination=f"duckdb:///{tmp_path / 'warehouse.duckdb'}")


@pytest.fixture
def xero_api():
    from assets.resources import XeroApiResource

    return XeroApiResource()


@pytest.fixture
def instance():
    import dagster as dg

    # build_sensor_context and materialize do not hand the instance to partition loading
    with (
        dg.DagsterInstance.ephemeral() as instance,
        dg.partition_loading_context(dynamic_partitions_store=instance),
    ):
        yield instance
