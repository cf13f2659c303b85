"""A running Xero sandbox with the environment pointing at it, and a DuckDB warehouse."""

from datetime import date

import dagster as dg
import pytest

from assets.resources import XeroWarehouseResource
from sandbox.model import Sandbox
from sandbox.server import running_sandbox


@pytest.fixture
def xero(monkeypatch):
    """Two small tenants served over HTTP, rate limits on (windows 60 times faster)."""
    sandbox = Sandbox(tenants=2, scale="small", seed=42, anchor=date(2026, 10, 31))
    with running_sandbox(sandbox, time_scale=60) as server:
        for name, value in server.env.items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture
def warehouse(tmp_path) -> XeroWarehouseResource:
    return XeroWarehouseResource(destination=f"duckdb:///{tmp_path / 'warehouse.duckdb'}")


@pytest.fixture
def instance():
    with (
        dg.instance_for_test() as instance,
        dg.partition_loading_context(dynamic_partitions_store=instance),
    ):
        yield instance
