"""Warehouses for the dbt project's tests: the sandbox's two organisations synced once per
test session (and xdist worker) into DuckDB and into PostgreSQL, shared by the tests that
only build models on them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sandbox_fixtures import SANDBOX_ANCHOR, SANDBOX_TIME_SCALE
from sql_harness import new_database, sync_sandbox


@dataclass(frozen=True)
class Synced:
    url: str
    sandbox: object


@pytest.fixture(scope="session")
def synced_sandbox(tmp_path_factory):
    from sandbox.model import Sandbox
    from sandbox.server import running_sandbox

    sandbox = Sandbox(tenants=2, scale="small", seed=42, anchor=SANDBOX_ANCHOR)
    with running_sandbox(sandbox, time_scale=SANDBOX_TIME_SCALE, limits=True) as server:
        yield server


@pytest.fixture(scope="session")
def synced_duckdb(synced_sandbox, tmp_path_factory) -> Synced:
    folder = tmp_path_factory.mktemp("synced_duckdb")
    url = f"duckdb:///{folder / 'warehouse.duckdb'}"
    sync_sandbox(synced_sandbox, url, folder / "home")
    return Synced(url, synced_sandbox.sandbox)


@pytest.fixture(scope="session")
def synced_postgres(synced_sandbox, postgres_server, tmp_path_factory) -> Synced:
    with new_database(postgres_server) as url:
        sync_sandbox(synced_sandbox, url, tmp_path_factory.mktemp("synced_postgres"))
        yield Synced(url, synced_sandbox.sandbox)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def synced(request) -> Synced:
    """The synced sandbox warehouse, on DuckDB and on PostgreSQL."""
    return request.getfixturevalue(f"synced_{request.param}")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request, tmp_path) -> str:
    """A destination URL of an empty warehouse, on DuckDB and on PostgreSQL."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="module")
def module_postgres_url(postgres_server) -> Iterator[str]:
    """A new, empty PostgreSQL database shared by one test module."""
    with new_database(postgres_server) as url:
        yield url
