"""Shared fixtures: an isolated environment per test and a throwaway PostgreSQL database.

Tests run in parallel workers (pytest-xdist, see pyproject.toml), each module whole in one
worker unless WORK_UNITS says otherwise: anything a test writes lives under its own tmp_path,
every PostgreSQL database has a unique name and every server binds a free port."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest
from isolation import isolate_environment
from xdist.scheduler import LoadScopeScheduling

pytest_plugins = ["sandbox_fixtures"]

POSTGRES_ADMIN_URL = "postgresql://postgres:@127.0.0.1:5432/test"

# How the workers share the tests (--dist loadscope): a module is one unit of work, handed
# whole to one worker, unless its path starts with a prefix below. "test": each test is a unit
# of its own, for long modules whose tests each start their own sandbox and warehouse (every
# worker takes from them); "folder": the folder is one unit, for modules sharing
# session-scoped fixtures (tests/sql: the sandbox synced into each engine once); "module":
# the module alone, for one inside such a folder that builds its own warehouses.
WORK_UNITS = {
    "tests/pipelines/test_sync_faults.py": "test",
    "tests/pipelines/test_sync_sandbox.py": "test",
    "tests/pipelines/test_xero_source.py": "test",
    "tests/pipelines/test_auth_flows.py": "test",
    "tests/pipelines/test_bad_homes.py": "test",
    "tests/sql/test_statements.py": "module",
    "tests/sql/": "folder",
}


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path):
    """No test sees the developer's Xero credentials, dlt config or working directory."""
    isolate_environment(monkeypatch, tmp_path)


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"true", "1", "yes"}


def _admin_url() -> str:
    return os.environ.get("XW_TEST_POSTGRES_URL", POSTGRES_ADMIN_URL)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a reachable server. Skips without one, but fails under CI=true:
    CI must never pass with the PostgreSQL tests silently skipped."""
    import psycopg2

    try:
        psycopg2.connect(_admin_url(), connect_timeout=5).close()
    except psycopg2.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {_admin_url()}: {str(exc).strip()}"
        if running_in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return _admin_url()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A new, empty database for one test, dropped afterwards."""
    import psycopg2

    name = f"xw_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(postgres_server)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    base = postgres_server.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.cursor() as cursor:
        cursor.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (name,)
        )
        cursor.execute(f'drop database if exists "{name}"')
    admin.close()


class ConfiguredWorkUnits(LoadScopeScheduling):
    """xdist's loadscope scheduling, with the units of work of WORK_UNITS."""

    def _split_scope(self, nodeid: str) -> str:
        for prefix, unit in WORK_UNITS.items():
            if nodeid.startswith(prefix):
                return nodeid if unit == "test" else prefix
        return super()._split_scope(nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker per core, plus one. The Dagster UI test holds its worker for
    minutes spent mostly waiting on the daemon's 30-second ticks; the extra worker keeps the
    cores busy meanwhile."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log) -> LoadScopeScheduling | None:
    if config.getvalue("dist") != "loadscope":
        return None
    return ConfiguredWorkUnits(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked starts_first go first (the order is otherwise kept): a worker starts
    the longest test at once instead of the run waiting on it at the end."""
    items.sort(key=lambda item: item.get_closest_marker("starts_first") is None)


class PostgresSkipGuard:
    """Under CI a PostgreSQL test skipped for any reason fails the run. Registered only in
    the process that decides the exit code: xdist's controller sees every worker's reports."""

    def __init__(self) -> None:
        self.skipped: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail") and "postgres" in report.keywords:
            self.skipped.append(report.nodeid)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.skipped:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.skipped:
            terminalreporter.write_line(
                f"CI: {len(self.skipped)} PostgreSQL test(s) skipped, so the run fails: "
                + ", ".join(self.skipped[:3]),
                red=True,
            )


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller has done both
    use_memory_for_scratch()
    if running_in_ci():
        config.pluginmanager.register(PostgresSkipGuard(), "postgres-skip-guard")


def use_memory_for_scratch(memory: Path = Path("/dev/shm")) -> None:
    """Every test's files (warehouses, dlt's and Dagster's folders, token stores) under a
    memory-backed folder where the machine has one and TMPDIR is not set: the suite's DuckDB
    checkpoints, SQLite commits and dlt packages sync to disk thousands of times (on a disk,
    a fifth of the suite's system time). The workers and every process a test starts
    inherit TMPDIR."""
    if "TMPDIR" in os.environ or not (memory.is_dir() and os.access(memory, os.W_OK)):
        return
    os.environ["TMPDIR"] = str(memory)
    tempfile.tempdir = None  # computed again from TMPDIR
