"""Warehouses for the dbt project's tests: the sandbox's two organisations (every collection,
and the aged reports as at two dates) synced once per test session (and xdist worker) into
DuckDB and into PostgreSQL, shared by the tests that only build models on them; and those
warehouses after one `dbt build` each as at the sandbox's anchor date (tests/sql runs whole
in one worker, see WORK_UNITS in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sandbox_fixtures import SANDBOX_ANCHOR, SANDBOX_TIME_SCALE
from sql_harness import new_database, sync_sandbox_with_aged_snapshots


@dataclass(frozen=True)
class Synced:
    url: str
    sandbox: object


@dataclass(frozen=True)
class Built:
    """A synced warehouse after `dbt build` (models, unit and data tests) as of the anchor."""

    url: str
    sandbox: object
    results: tuple  # the ModelResult of every model


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
    sync_sandbox_with_aged_snapshots(synced_sandbox, url, folder / "home")
    return Synced(url, synced_sandbox.sandbox)


@pytest.fixture(scope="session")
def synced_postgres(synced_sandbox, postgres_server, tmp_path_factory) -> Synced:
    with new_database(postgres_server) as url:
        home = tmp_path_factory.mktemp("synced_postgres")
        sync_sandbox_with_aged_snapshots(synced_sandbox, url, home)
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


def _build(synced: Synced) -> Built:
    from pipelines.models import run_models

    results = run_models(synced.url, as_of=SANDBOX_ANCHOR, command="build")
    return Built(synced.url, synced.sandbox, tuple(results))


@pytest.fixture(scope="session")
def built_duckdb(synced_duckdb) -> Built:
    return _build(synced_duckdb)


@pytest.fixture(scope="session")
def built_postgres(synced_postgres) -> Built:
    return _build(synced_postgres)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built(request) -> Built:
    """The synced sandbox warehouse with the whole project built and tested once per engine
    and session: tests that rebuild models on it rebuild only those depending on as_of."""
    return request.getfixturevalue(f"built_{request.param}")
