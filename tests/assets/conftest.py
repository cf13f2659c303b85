"""The sandbox served over HTTP with the environment pointing at it, a DuckDB warehouse and
a temporary Dagster instance."""

import dagster as dg
import pytest
from sandbox_fixtures import SANDBOX_TIME_SCALE

from assets.resources import XeroApiResource, XeroWarehouseResource


@pytest.fixture
def xero(sandbox_server, monkeypatch):
    """`sandbox_server` (two small tenants, limits on) with XERO_* pointing at it and the
    client pacing on the sandbox's faster clock."""
    for name, value in sandbox_server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("XERO_RATE_LIMIT_TIME_SCALE", str(SANDBOX_TIME_SCALE))
    return sandbox_server


@pytest.fixture
def warehouse(tmp_path) -> XeroWarehouseResource:
    return XeroWarehouseResource(destination=f"duckdb:///{tmp_path / 'warehouse.duckdb'}")


@pytest.fixture
def xero_api() -> XeroApiResource:
    return XeroApiResource()


@pytest.fixture
def instance():
    # build_sensor_context and materialize do not hand the instance to partition loading
    with (
        dg.instance_for_test() as instance,
        dg.partition_loading_context(dynamic_partitions_store=instance),
    ):
        yield instance
