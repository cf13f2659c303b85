"""No secret reaches the output of a sync, its logs, its local state or the warehouse, even
when Xero fails, throttles and expires the token in the middle of the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest


@pytest.mark.slow
def test_a_faulted_sync_shows_no_secret_anywhere(sandbox_server, tmp_path):
    faults = sandbox_server.faults
    injected = [
        faults.add("status", status=503, count=3, path="/Invoices"),
        faults.add("rate_limit", problem="minute", seconds=0.2, count=3),
        faults.add("expire_token", after=10),
        faults.add("truncate", count=1, path="/Contacts"),
    ]
    home = tmp_path / "home"
    warehouse = tmp_path / "w.duckdb"
    env = {**os.environ, **sandbox_server.env, "XERO_WAREHOUSE_HOME": str(home)}

    result = subprocess.run(
        [str(Path(sys.executable).with_name("xero-warehouse")), "-v", "sync",
         "--destination", f"duckdb:///{warehouse}", "--no-progress"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-2000:]
    assert all(fault.fired for fault in injected)
    identity = sandbox_server.identity
    secrets = {env["XERO_CLIENT_SECRET"], *identity.access, *identity.refresh}
    assert len(identity.access) >= 2  # the token was refreshed mid-run
    places = {"stdout": result.stdout, "stderr": result.stderr}
    places |= {str(p): p.read_text(errors="replace") for p in home.rglob("*") if p.is_file()
               and p.name != "tokens.json"}  # fmt: skip
    places["warehouse"] = _all_text(warehouse)
    for secret in secrets:
        for place, text in places.items():
            assert secret not in text, f"a secret appears in {place}"


def _all_text(path: Path) -> str:
    """Every text value of every table in the warehouse, one per line."""
    with duckdb.connect(str(path), read_only=True) as connection:
        columns = connection.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where data_type = 'VARCHAR'"
        ).fetchall()
        values = []
        for schema, table, column in columns:
            rows = connection.execute(
                f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
            ).fetchall()
            values.extend(row[0] for row in rows)
    assert values, "the warehouse holds no text: nothing was scanned"
    return "\n".join(values)
