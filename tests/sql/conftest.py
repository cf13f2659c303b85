"""Warehouses on both engines for the SQL model tests."""

from __future__ import annotations

import pytest
from sandbox_fixtures import sandbox, sandbox_server  # noqa: F401


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request, tmp_path) -> str:
    """A destination URL of an empty warehouse, on DuckDB and on PostgreSQL."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")
