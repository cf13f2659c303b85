"""Bad input to `xero-warehouse sync` ends in one clear line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(Path(sys.executable).with_name("xero-warehouse")), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_unknown_resource_lists_the_valid_names():
    result = run_cli("sync", "--resource", "invoicez")
    line = assert_one_line_error(result, "invoicez", "invoices", "journals")
    assert "credit_notes" in line


@pytest.mark.parametrize(
    "url",
    ["mysql://root@localhost/x", "duckdb://", "postgresql://127.0.0.1", "nonsense"],
)
def test_bad_destination_url(url):
    assert_one_line_error(run_cli("sync", "--destination", url), "destination")


def test_unreachable_database():
    result = run_cli("sync", "--destination", "postgresql://postgres@127.0.0.1:1/nowhere")
    assert_one_line_error(result, "cannot connect")


def test_no_credentials():
    result = run_cli("sync", "--destination", "duckdb:///w.duckdb")
    assert_one_line_error(result, "credentials")


@pytest.fixture
def sandbox_env():
    from sandbox.model import Sandbox
    from sandbox.server import running_sandbox

    sb = Sandbox(tenants=2, scale="small", seed=3)
    with running_sandbox(sb, time_scale=1000.0, limits=True) as server:
        yield sb, {**server.env, "XERO_RATE_LIMIT_TIME_SCALE": "1000"}


def test_wrong_credentials(sandbox_env):
    _, env = sandbox_env
    env = {**env, "XERO_CLIENT_SECRET": "not-the-secret", "XERO_REFRESH_TOKEN": ""}
    result = run_cli("sync", "--destination", "duckdb:///w.duckdb", env=env)
    line = assert_one_line_error(result)
    assert "not-the-secret" not in result.stderr + result.stdout
    assert line


def test_unknown_tenant_names_the_connected_ones(sandbox_env):
    sb, env = sandbox_env
    name = sb.tenants[0].name
    result = run_cli(
        "sync", "--tenant", name.upper(), "--destination", "duckdb:///w.duckdb", env=env
    )
    assert_one_line_error(result, "unknown tenant", repr(name))


@pytest.mark.slow
def test_sync_one_tenant_one_resource(sandbox_env, tmp_path):
    sb, env = sandbox_env
    tenant = sb.tenants[1]
    result = run_cli(
        "sync",
        "--tenant",
        tenant.name,
        "--resource",
        "currencies",
        "--destination",
        f"duckdb:///{tmp_path / 'w.duckdb'}",
        "--no-progress",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "currencies" in result.stdout
    assert tenant.name in result.stdout
    assert sb.tenants[0].name not in result.stdout
