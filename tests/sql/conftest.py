"""Warehouses for the dbt project's tests: the sandbox's two organisations synced once per
test session (and xdist worker) into DuckDB and into PostgreSQL, shared by the tests that
only build models on them; and those warehouses after one `dbt build` each (tests/sql runs
whole in one worker, see WORK_UNITS in tests/conftest.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sandbox_fixtures import SANDBOX_ANCHOR, SANDBOX_TIME_SCALE

# what the aging models and the generic tests' relationships read
RESOURCES = [
    "invoices",
    "payments",
    "credit_notes",
    "overpayments",
    "prepayments",
    "contacts",
    "accounts",
    "organisations",
]


@dataclass(frozen=True)
class Synced:
    url: str
    sandbox: object


@dataclass(frozen=True)
class Built:
    """A synced warehouse after `dbt build` (models, unit and data tests) as of today."""

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


def _sync(server, url: str, home) -> None:
    from pipelines.runner import sync

    with pytest.MonkeyPatch.context() as env:
        for name, value in server.env.items():
            env.setenv(name, value)
        env.setenv("XERO_RATE_LIMIT_TIME_SCALE", str(SANDBOX_TIME_SCALE))
        env.setenv("XERO_WAREHOUSE_HOME", str(home))
        env.setenv("DLT_DATA_DIR", str(home / "dlt"))
        env.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        result = sync(url, resources=RESOURCES)
    assert result.ok, result.errors


@pytest.fixture(scope="session")
def synced_duckdb(synced_sandbox, tmp_path_factory) -> Synced:
    folder = tmp_path_factory.mktemp("synced_duckdb")
    url = f"duckdb:///{folder / 'warehouse.duckdb'}"
    _sync(synced_sandbox, url, folder / "home")
    return Synced(url, synced_sandbox.sandbox)


@pytest.fixture(scope="session")
def synced_postgres(synced_sandbox, postgres_server, tmp_path_factory) -> Synced:
    import psycopg2

    name = f"xw_dbt_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(postgres_server)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    url = f"{postgres_server.rsplit('/', 1)[0]}/{name}"
    _sync(synced_sandbox, url, tmp_path_factory.mktemp("synced_postgres"))
    yield Synced(url, synced_sandbox.sandbox)
    with admin.cursor() as cursor:
        cursor.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (name,)
        )
        cursor.execute(f'drop database if exists "{name}"')
    admin.close()


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


def _build(synced: Synced) -> Built:
    from pipelines.models import run_models

    return Built(synced.url, synced.sandbox, tuple(run_models(synced.url, command="build")))


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
